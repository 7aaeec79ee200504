"""SQLAlchemy 2 typed models, one module per aggregate."""

"""Settings, defaults and mail templates."""

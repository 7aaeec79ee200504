"""The protocol adapters: the only code that imports imapclient (imap.py) and
aiosmtplib (smtp.py).

May import: config (and daemon/text.py). Never the case layer, the pipeline or the
database: an adapter reports what the wire said and lets its caller decide.
"""

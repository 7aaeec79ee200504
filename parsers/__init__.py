"""Pure parsers: bytes (and plain data) in, frozen dataclasses out. No I/O."""

"""Rules that decide without acting: threading and sender trust, the proven origin of an
operator's command mail, suppression of automatic answers (RFC 3834). Each rule is a pure
function of parsed facts.

May import: parsers, config. Nothing with a database or a clock.
"""

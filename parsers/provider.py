"""The service provider (custodian) a request names."""

from __future__ import annotations

import re

from parsers.countries import countries_in

_F = re.IGNORECASE | re.UNICODE

LEGAL_FORMS = (
    r"GmbH|AG|KG|K\.K\.|KK|Ltd\.?|Limited|LLC|L\.L\.C\.|Inc\.?|Corp\.?|Corporation|PLC|plc|"
    r"S\.?r\.?l\.?|S\.?p\.?A\.?|SpA|S\.A\.S?\.?|SAS|SARL|S\.L\.|SL|SA|NV|N\.V\.|BV|B\.V\.|AB|"
    r"ASA|AS|A/S|ApS|Oy|Oyj|Lda\.?|s\.r\.o\.|a\.s\.|Sp\. z o\.o\.|S\.R\.L\.|A\.Ş\.|Kft\.?|Zrt\.?|"
    r"d\.o\.o\.|OÜ|UAB|SIA|Pty Ltd|Co\., Ltd\.|e\.K\."
)
_COMPANY = re.compile(
    rf"((?:[A-Z0-9][\w&'.-]*\s+){{0,4}}[A-Z0-9][\w&'.-]*,?\s+(?:{LEGAL_FORMS}))(?![\w])"
)


def clean(value: str) -> str | None:
    """A provider name without its parenthesised description or trailing location."""
    first = value.strip().split("\n", 1)[0]
    first = re.sub(r"\s*\([^)]*\)", "", first)
    first = re.sub(r"\s*\[[^\]]*\]", "", first)
    parts = re.split(r"\s+[-–—]\s+|;\s*", first)
    name = parts[0]
    if "," in name:
        head, _, tail = name.partition(",")
        if not re.match(rf"\s*(?:{LEGAL_FORMS})(?!\w)", tail) or countries_in(tail):
            name = head
    name = re.sub(r"\s+", " ", name).strip(" ,:;")
    last = name.rsplit(" ", 1)[-1]
    if name.endswith(".") and "." not in last[:-1] and not re.fullmatch(LEGAL_FORMS, last):
        name = name[:-1]  # a sentence's full stop, not an abbreviation's ("K.K.", "Sp. z o.o.")
    if not name or len(name) > 120 or name.startswith("_"):
        return None
    return name


def find_company(text: str) -> str | None:
    """The first company name (words ending in a legal form) in a text."""
    m = _COMPANY.search(text)
    if not m:
        return None
    name = m.group(1)
    # Drop leading sentence words that are not part of the name ("whether Kumo Social K.K.").
    words = name.split()
    while len(words) > 2 and words[0][:1].islower():
        words.pop(0)
    return clean(" ".join(words))


# Platforms requests name without a legal form ("the Telegram account @x"). Matched with
# their usual capitals only; names that are also common words (Signal, Steam) are left out.
PLATFORMS = (
    "Telegram", "WhatsApp", "Facebook", "Instagram", "TikTok", "Snapchat", "Discord",
    "Twitter", "YouTube", "Google", "Gmail", "Microsoft", "Hotmail", "Skype", "iCloud",
    "Viber", "WeChat", "LinkedIn", "Reddit", "Twitch", "Binance", "PayPal", "Coinbase",
    "ProtonMail", "Proton Mail", "Yahoo", "VKontakte", "Odnoklassniki", "Yandex", "Mail.ru",
    "Threema", "Roblox", "OnlyFans", "Tinder", "Kraken", "Revolut", "Airbnb", "Vinted",
    "eBay", "Amazon", "Cloudflare",
)
_PLATFORM = re.compile(r"(?<![\w.@/-])(" + "|".join(re.escape(p) for p in PLATFORMS)
                       + r")(?![\w@-]|\.[a-z])")


def find_platform(text: str) -> str | None:
    """The first well-known platform a text names, when it names no company."""
    m = _PLATFORM.search(text)
    return m.group(1) if m else None

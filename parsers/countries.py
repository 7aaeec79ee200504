"""Country names (English, native, adjectives) to ISO 3166-1 alpha-2 codes."""

from __future__ import annotations

import re
from functools import lru_cache

# Names by which a requesting authority states its country; adjectives count because
# authorities are named after them ("Philippine National Police", "Polícia Judiciária").
NAMES: dict[str, tuple[str, ...]] = {
    "AL": ("Albania", "Shqipëri", "Shqipëria", "Albanian"),
    "AD": ("Andorra",),
    "AM": ("Armenia", "Armenian"),
    "AR": ("Argentina", "Argentine", "Argentinian"),
    "AU": ("Australia", "Australian"),
    "AT": ("Austria", "Österreich", "Austrian", "österreichische"),
    "AZ": ("Azerbaijan", "Azərbaycan"),
    "BE": ("Belgium", "Belgique", "België", "Belgien", "Belgian", "belge"),
    "BA": ("Bosnia and Herzegovina", "Bosna i Hercegovina", "Bosnia"),
    "BR": ("Brazil", "Brasil", "Brazilian"),
    "BG": ("Bulgaria", "България", "Bulgarian"),
    "CA": ("Canada", "Canadian"),
    "CV": ("Cabo Verde", "Cape Verde"),
    "CL": ("Chile", "Chilean", "chilena", "chileno"),
    "CO": ("Colombia", "Colombian"),
    "CR": ("Costa Rica",),
    "HR": ("Croatia", "Hrvatska", "Croatian"),
    "CY": ("Cyprus", "Κύπρος", "Cypriot"),
    "CZ": ("Czech Republic", "Czechia", "Česká republika", "Česko", "Czech"),
    "DK": ("Denmark", "Danmark", "Danish"),
    "DO": ("Dominican Republic", "República Dominicana"),
    "EE": ("Estonia", "Eesti", "Estonian"),
    "FI": ("Finland", "Suomi", "Finnish"),
    "FR": ("France", "French", "française"),
    "GE": ("Georgia", "Georgian"),
    "DE": ("Germany", "Deutschland", "Allemagne", "German", "deutsche"),
    "GH": ("Ghana",),
    "GR": ("Greece", "Ελλάδα", "Hellas", "Hellenic", "Greek"),
    "HU": ("Hungary", "Magyarország", "Hungarian"),
    "IS": ("Iceland", "Ísland", "Icelandic"),
    "IE": ("Ireland", "Éire", "Irish"),
    "IL": ("Israel", "Israeli"),
    "IT": ("Italy", "Italia", "Italie", "Italian", "italiana"),
    "JP": ("Japan", "日本", "Japanese"),
    "KR": ("Republic of Korea", "South Korea", "Korea", "Korean"),
    "LV": ("Latvia", "Latvija", "Latvian"),
    "LI": ("Liechtenstein",),
    "LT": ("Lithuania", "Lietuva", "Lithuanian"),
    "LU": ("Luxembourg", "Luxemburg", "Lëtzebuerg", "Luxembourgish", "Grand-Ducale"),
    "MT": ("Malta", "Maltese"),
    "MU": ("Mauritius",),
    "MX": ("Mexico", "México", "Mexican"),
    "MD": ("Moldova", "Republic of Moldova", "Moldovan"),
    "MC": ("Monaco", "Monégasque"),
    "ME": ("Montenegro", "Crna Gora"),
    "MA": ("Morocco", "Maroc", "Moroccan"),
    "NL": ("Netherlands", "Nederland", "Pays-Bas", "Dutch"),
    "NG": ("Nigeria", "Nigerian"),
    "MK": ("North Macedonia", "Macedonia", "Северна Македонија"),
    "NO": ("Norway", "Norge", "Norwegian"),
    "PA": ("Panama", "Panamá"),
    "PY": ("Paraguay",),
    "PE": ("Peru", "Perú", "Peruvian"),
    "PH": ("Philippines", "Philippine", "Pilipinas", "Filipino"),
    "PL": ("Poland", "Polska", "Polish", "polska", "polskiej"),
    "PT": ("Portugal", "Portuguese", "portuguesa"),
    "RO": ("Romania", "România", "Romanian", "română"),
    "SM": ("San Marino",),
    "SN": ("Senegal", "Sénégal"),
    "RS": ("Serbia", "Srbija", "Србија", "Serbian"),
    "SL": ("Sierra Leone",),
    "SK": ("Slovakia", "Slovensko", "Slovenská republika", "Slovak", "Slovenskej"),
    "SI": ("Slovenia", "Slovenija", "Slovenian"),
    "ES": ("Spain", "España", "Espagne", "Spanish", "española"),
    "LK": ("Sri Lanka",),
    "SE": ("Sweden", "Sverige", "Swedish"),
    "CH": ("Switzerland", "Schweiz", "Suisse", "Svizzera", "Swiss", "schweizerische"),
    "TO": ("Tonga",),
    "TN": ("Tunisia", "Tunisie"),
    "TR": ("Türkiye", "Turkey", "Turkish", "Türk"),
    "UA": ("Ukraine", "Україна", "Ukrainian"),
    "GB": ("United Kingdom", "UK", "Great Britain", "England", "Scotland", "Wales", "British"),
    "US": ("United States", "United States of America", "USA", "U.S.A.", "U.S.", "American"),
    "UY": ("Uruguay",),
    "BJ": ("Benin", "Bénin"),
    "CM": ("Cameroon", "Cameroun"),
    "FJ": ("Fiji",),
    "GT": ("Guatemala",),
    "KE": ("Kenya",),
    "KZ": ("Kazakhstan",),
    "RW": ("Rwanda",),
    "CI": ("Côte d'Ivoire", "Ivory Coast"),
    "EC": ("Ecuador",),
    "IN": ("India", "Indian"),
    "ID": ("Indonesia", "Indonesian"),
    "NZ": ("New Zealand",),
    "SG": ("Singapore",),
    "ZA": ("South Africa",),
    "BY": ("Belarus",),
    "RU": ("Russia", "Russian Federation"),
    "CN": ("China", "Chinese"),
}


@lru_cache(maxsize=1)
def _pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    lookup: dict[str, str] = {}
    for code, names in NAMES.items():
        if len(code) != 2:
            continue
        for name in names:
            lookup[name.casefold()] = code
    alternation = "|".join(sorted((re.escape(n) for n in lookup), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternation})(?![\w-])", re.IGNORECASE), lookup


def countries_in(text: str) -> list[str]:
    """ISO codes of the countries named in a text, in order of appearance."""
    rx, lookup = _pattern()
    out = []
    for m in rx.finditer(text):
        name = m.group(1)
        short = (len(name) <= 5 and "." in name) or name.upper() in ("UK", "USA")
        if short and not name.isupper():
            continue  # "uk", "usa" in running text are not country names
        code = lookup.get(name.casefold())
        if code:
            out.append(code)
    return out

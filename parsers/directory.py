"""The contact-point directory as plain data: loading, validation and the questions asked of it."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ContactPoint:
    """One 24/7 contact point of a party to the Convention."""

    country: str
    authority: str
    role: str
    emails: tuple[str, ...]
    timezone: str
    office_hours: str = "24/7"
    office_phone: str | None = None
    after_hours_phone: str | None = None
    languages: tuple[str, ...] = ()
    retention: tuple[tuple[str, str], ...] = ()
    preservation_days: int | None = None

    @property
    def retention_map(self) -> Mapping[str, str]:
        return dict(self.retention)


@dataclass(frozen=True)
class Directory:
    """Every contact point known to the desk."""

    contact_points: tuple[ContactPoint, ...] = ()
    _by_address: Mapping[str, ContactPoint] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        index = {e.lower(): cp for cp in self.contact_points for e in cp.emails}
        object.__setattr__(self, "_by_address", index)

    def owner_of(self, address: str) -> ContactPoint | None:
        """The contact point whose emails include exactly this address (case-insensitive)."""
        return self._by_address.get(address.strip().lower())

    def owner_of_domain(self, domain: str) -> ContactPoint | None:
        """The contact point holding an address at exactly this domain."""
        domain = domain.strip().lower().rstrip(".")
        for address, cp in self._by_address.items():
            if address.rpartition("@")[2] == domain:
                return cp
        return None

    def for_country(self, country: str) -> tuple[ContactPoint, ...]:
        """Contact points of a country, primary first."""
        cps = [cp for cp in self.contact_points if cp.country == country.upper()]
        return tuple(sorted(cps, key=lambda cp: cp.role != "primary"))


class DirectoryError(ValueError):
    """A directory file that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def load_toml(data: bytes) -> Directory:
    """Parse a directory in the TOML format (`[[contact_points]]`)."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DirectoryError([f"not a valid TOML file: {exc}"]) from exc
    entries = doc.get("contact_points", [])
    cps = []
    for raw in entries:
        cps.append(
            ContactPoint(
                country=str(raw.get("country", "")).upper(),
                authority=str(raw.get("authority", "")),
                role=str(raw.get("role", "primary")),
                emails=tuple(str(e) for e in raw.get("emails", [])),
                timezone=str(raw.get("timezone", "UTC")),
                office_hours=str(raw.get("office_hours", "24/7")),
                office_phone=raw.get("office_phone"),
                after_hours_phone=raw.get("after_hours_phone"),
                languages=tuple(raw.get("languages", [])),
                retention=tuple((str(k), str(v)) for k, v in raw.get("retention", {}).items()),
                preservation_days=raw.get("preservation_days"),
            )
        )
    return Directory(tuple(cps))

"""The directory in the database: import, differences, events, confirmation dates, reload."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from daemon.store import directory as directory_store
from daemon.store.db import transaction
from models import ContactEmail, ContactPointRow, Event
from parsers.directory import ContactPoint, Directory, load_toml

SAMPLE = Path(__file__).resolve().parent / "data" / "corpus" / "directory.toml"
DATA = Path(__file__).resolve().parent / "data" / "directory"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def sample() -> Directory:
    return load_toml(SAMPLE.read_bytes())


def edited(directory: Directory, country: str, role: str, **fields: object) -> Directory:
    """The directory with some fields of one contact point replaced."""
    return Directory(tuple(
        replace(cp, **fields) if (cp.country, cp.role) == (country, role) else cp  # type: ignore[arg-type]
        for cp in directory.contact_points
    ))


def point(directory: Directory, country: str, role: str = "primary") -> ContactPoint:
    return next(cp for cp in directory.contact_points if (cp.country, cp.role) == (country, role))


def by_key(directory: Directory) -> dict[tuple[str, str], ContactPoint]:
    return {(cp.country, cp.role): cp for cp in directory.contact_points}


def rows(sessions: sessionmaker[Session]) -> dict[tuple[str, str], ContactPointRow]:
    with sessions() as s:
        found = s.scalars(select(ContactPointRow)).all()
        return {(r.country, r.role): r for r in found}


def events(sessions: sessionmaker[Session], kind: str) -> list[Event]:
    with sessions() as s:
        return list(s.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


def import_(sessions: sessionmaker[Session], directory: Directory, at: datetime,
            actor: str = "alice") -> directory_store.DirectoryDiff:
    with transaction(sessions) as s:
        return directory_store.apply(s, directory, actor, at, source="directory.toml")


def test_sample_imports_into_empty_database(sessions: sessionmaker[Session]) -> None:
    """The test directory imports whole: every contact point added and read back equal."""
    result = import_(sessions, sample(), T0)
    assert result.counts() == {"contact_points": 12, "added": 12, "removed": 0, "changed": 0,
                               "unchanged": 0}
    with sessions() as s:
        loaded = directory_store.load_directory(s)
        assert s.scalar(select(func.count()).select_from(ContactEmail)) == 13
    assert by_key(loaded) == by_key(sample())
    assert loaded.owner_of("GNCCB.Duty@garda.ie.example") == point(sample(), "IE")


def test_same_file_again_changes_nothing(sessions: sessionmaker[Session]) -> None:
    """Importing the same directory again finds no difference and keeps ids and dates."""
    import_(sessions, sample(), T0)
    before = {k: (r.id, r.created_at, r.changed_at) for k, r in rows(sessions).items()}
    result = import_(sessions, sample(), T0 + timedelta(days=3))
    assert result.empty and result.unchanged == 12
    assert {k: (r.id, r.created_at, r.changed_at) for k, r in rows(sessions).items()} == before
    assert len(events(sessions, "directory_imported")) == 2
    assert len(events(sessions, "directory_changed")) == 12


def test_changed_fields_are_reported_and_dated(sessions: sessionmaker[Session]) -> None:
    """A changed phone and language list show as field changes; only that row's changed_at moves."""
    import_(sessions, sample(), T0)
    before = rows(sessions)
    new = edited(sample(), "DK", "primary", office_phone="+4533000199",
                 languages=("da",))
    later = T0 + timedelta(days=10)
    result = import_(sessions, new, later, actor="bob")
    assert [(c.kind, c.country, c.role) for c in result.changes] == [("changed", "DK", "primary")]
    assert [(f.field, f.old, f.new) for f in result.changes[0].fields] == [
        ("office_phone", "+4533000101", "+4533000199"),
        ("languages", "da, en", "da"),
    ]
    after = rows(sessions)
    dk = after[("DK", "primary")]
    assert dk.id == before[("DK", "primary")].id
    assert (dk.created_at, dk.changed_at) == (T0, later)
    assert dk.office_phone == "+4533000199" and dk.languages == ["da"]
    assert after[("NL", "primary")].changed_at == T0

    changed = events(sessions, "directory_changed")[-1]
    assert changed.actor == "bob" and changed.at == later
    assert changed.data["change"] == "changed" and changed.data["country"] == "DK"
    assert [f["field"] for f in changed.data["fields"]] == ["office_phone", "languages"]
    summary = events(sessions, "directory_imported")[-1]
    assert summary.actor == "bob"
    assert (summary.data["changed"], summary.data["added"], summary.data["removed"]) == (1, 0, 0)


def test_added_and_removed_contact_points(sessions: sessionmaker[Session]) -> None:
    """A contact point left out is removed and a new one added, each with its own event."""
    import_(sessions, sample(), T0)
    austria = ContactPoint(
        country="AT", authority="Bundeskriminalamt C4 (fictional)", role="primary",
        emails=("c4-247@bmi.gv.at.example",), timezone="Europe/Vienna",
        office_hours="24/7", office_phone="+4312480000", languages=("de", "en"),
    )
    new = Directory((*[cp for cp in sample().contact_points if cp.country != "CY"], austria))
    result = import_(sessions, new, T0 + timedelta(days=1))
    assert [(c.kind, c.country) for c in result.changes] == [("added", "AT"), ("removed", "CY")]
    assert ("timezone", "", "Europe/Vienna") in [(f.field, f.old, f.new)
                                                for f in result.added[0].fields]
    assert set(rows(sessions)) == set(by_key(new))
    kinds = [(e.data["change"], e.data["country"]) for e in events(sessions, "directory_changed")]
    assert kinds[-2:] == [("added", "AT"), ("removed", "CY")]


def test_contact_point_kept_by_a_shared_address(sessions: sessionmaker[Session]) -> None:
    """A new first address or role still finds the same row through an address in common."""
    import_(sessions, sample(), T0)
    ie_id = rows(sessions)[("IE", "primary")].id
    new = edited(sample(), "IE", "primary",
                 emails=("gnccb.duty@garda.ie.example", "ncb-247@garda.ie.example"))
    result = import_(sessions, new, T0 + timedelta(days=1))
    assert [(c.kind, c.address) for c in result.changes] == [
        ("changed", "gnccb.duty@garda.ie.example")]
    assert result.changes[0].fields[0].field == "emails"
    ie = rows(sessions)[("IE", "primary")]
    assert ie.id == ie_id
    with sessions() as s:
        assert directory_store.load_directory(s).owner_of("ncb-247@garda.ie.example") is not None
        assert directory_store.load_directory(s).owner_of("gnccb-247@garda.ie.example") is None


def test_address_moves_to_another_contact_point(sessions: sessionmaker[Session]) -> None:
    """An address taken from one contact point and given to a new one imports in one go."""
    import_(sessions, sample(), T0)
    moved = "gnccb.duty@garda.ie.example"
    secondary = ContactPoint(
        country="IE", authority="Duty desk (fictional)", role="secondary", emails=(moved,),
        timezone="Europe/Dublin", office_hours="24/7", office_phone="+35316660002",
    )
    base = edited(sample(), "IE", "primary", emails=("gnccb-247@garda.ie.example",))
    new = Directory((*base.contact_points, secondary))
    result = import_(sessions, new, T0 + timedelta(days=1))
    assert sorted((c.kind, c.role) for c in result.changes) == [
        ("added", "secondary"), ("changed", "primary")]
    with sessions() as s:
        owner = directory_store.load_directory(s).owner_of(moved)
    assert owner is not None and owner.role == "secondary"


def test_failed_import_leaves_database_unchanged(sessions: sessionmaker[Session]) -> None:
    """All or nothing: an import that fails half-way writes no row and no event."""
    import_(sessions, sample(), T0)
    before = rows(sessions)
    # Bypasses file validation on purpose: two contact points holding the same address.
    clash = replace(point(sample(), "NL"), country="AT", emails=("nc3-247@politi.dk.example",))
    broken = Directory((*edited(sample(), "NL", "primary", office_phone="+31880000199")
                        .contact_points, clash))
    with pytest.raises(IntegrityError):
        import_(sessions, broken, T0 + timedelta(days=1))
    after = rows(sessions)
    assert set(after) == set(before)
    assert after[("NL", "primary")].office_phone == before[("NL", "primary")].office_phone
    assert len(events(sessions, "directory_imported")) == 1


def test_diff_of_plain_directories() -> None:
    """diff pairs contact points by country, role and first address, and lists field changes."""
    old = sample()
    new = edited(old, "PT", "secondary", office_hours="Mon-Fri 09:00-17:00",
                 retention=(("subscriber", "12 months"),))
    result = directory_store.diff(old, new)
    assert [(c.kind, c.country, c.role) for c in result.changes] == [
        ("changed", "PT", "secondary")]
    assert result.lines() == [
        "changed PT secondary sic-norte@pj.pt.example (Polícia Judiciária - Diretoria do Norte"
        " - Secção de Investigação da Criminalidade Informática)",
        "    office_hours: Mon-Fri 09:00-17:30 -> Mon-Fri 09:00-17:00",
        "    retention: subscriber: 12 months; traffic: 12 months -> subscriber: 12 months",
    ]
    assert directory_store.diff(Directory(), old).counts()["added"] == 12
    assert directory_store.diff(old, Directory()).counts()["removed"] == 12


def test_to_confirm_lists_points_unchanged_for_a_year(sessions: sessionmaker[Session]) -> None:
    """Contact points whose details last changed over a year ago are to confirm; others not."""
    import_(sessions, sample(), T0)
    import_(sessions, edited(sample(), "HR", "primary", languages=("hr",)),
            T0 + timedelta(days=200))
    with sessions() as s:
        assert directory_store.to_confirm(s, T0 + timedelta(days=365)) == []
        late = directory_store.to_confirm(s, T0 + timedelta(days=366))
    assert len(late) == 11
    assert "HR" not in {p.contact_point.country for p in late}
    assert all(p.changed_at == T0 for p in late)


def test_reload_from_file_imports_and_logs(sessions: sessionmaker[Session],
                                           tmp_path: Path) -> None:
    """Reloading the configured file imports it and logs directory_reloaded with counts."""
    path = tmp_path / "directory.toml"
    path.write_bytes(SAMPLE.read_bytes())
    with capture_logs() as logs:
        result = directory_store.reload_from_file(sessions, path, "watchkeeper", T0)
    assert result is not None and result.counts()["added"] == 12
    reloaded = [e for e in logs if e["event"] == "directory_reloaded"]
    assert reloaded and reloaded[0]["added"] == 12 and reloaded[0]["contact_points"] == 12
    assert events(sessions, "directory_imported")[0].actor == "watchkeeper"

    with capture_logs() as logs:
        again = directory_store.reload_from_file(sessions, path, "watchkeeper", T0)
    assert again is not None and again.empty
    assert [e["event"] for e in logs] == ["directory_reloaded"]
    assert len(events(sessions, "directory_imported")) == 1


def test_reload_of_refused_file_keeps_old_directory(sessions: sessionmaker[Session],
                                                     tmp_path: Path) -> None:
    """A refused or missing file logs directory_reload_failed with each problem; nothing changes."""
    directory_store.reload_from_file(sessions, SAMPLE, "watchkeeper", T0)
    before = rows(sessions)
    bad = tmp_path / "directory.toml"
    bad.write_bytes((DATA / "bad-three.toml").read_bytes())
    with capture_logs() as logs:
        assert directory_store.reload_from_file(sessions, bad, "watchkeeper", T0) is None
        assert directory_store.reload_from_file(
            sessions, tmp_path / "missing.toml", "watchkeeper", T0) is None
    failed = [e for e in logs if e["event"] == "directory_reload_failed"]
    assert len(failed) == 2 and failed[0]["log_level"] == "error"
    assert len(failed[0]["problems"]) == 3
    assert "office_phone '+49 611'" in failed[0]["problems"][0]
    assert "cannot read" in failed[1]["problems"][0]
    assert {k: r.id for k, r in rows(sessions).items()} == {k: r.id for k, r in before.items()}

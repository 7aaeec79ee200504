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

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "samples" / "directory.toml"
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
    """The shared sample imports whole: every contact point added and read back equal."""
    result = import_(sessions, sample(), T0)
    assert result.counts() == {"contact_points": 11, "added": 11, "removed": 0, "changed": 0,
                               "unchanged": 0}
    with sessions() as s:
        loaded = directory_store.load_directory(s)
        assert s.scalar(select(func.count()).select_from(ContactEmail)) == 12
    assert by_key(loaded) == by_key(sample())
    assert loaded.owner_of("SNT.Astreinte@police.lu.example") == point(sample(), "LU")


def test_same_file_again_changes_nothing(sessions: sessionmaker[Session]) -> None:
    """Importing the same directory again finds no difference and keeps ids and dates."""
    import_(sessions, sample(), T0)
    before = {k: (r.id, r.created_at, r.changed_at) for k, r in rows(sessions).items()}
    result = import_(sessions, sample(), T0 + timedelta(days=3))
    assert result.empty and result.unchanged == 11
    assert {k: (r.id, r.created_at, r.changed_at) for k, r in rows(sessions).items()} == before
    assert len(events(sessions, "directory_imported")) == 2
    assert len(events(sessions, "directory_changed")) == 11


def test_changed_fields_are_reported_and_dated(sessions: sessionmaker[Session]) -> None:
    """A changed phone and language list show as field changes; only that row's changed_at moves."""
    import_(sessions, sample(), T0)
    before = rows(sessions)
    new = edited(sample(), "FR", "primary", office_phone="+33149000099",
                 languages=("fr",))
    later = T0 + timedelta(days=10)
    result = import_(sessions, new, later, actor="bob")
    assert [(c.kind, c.country, c.role) for c in result.changes] == [("changed", "FR", "primary")]
    assert [(f.field, f.old, f.new) for f in result.changes[0].fields] == [
        ("office_phone", "+33149000011", "+33149000099"),
        ("languages", "fr, en", "fr"),
    ]
    after = rows(sessions)
    fr = after[("FR", "primary")]
    assert fr.id == before[("FR", "primary")].id
    assert (fr.created_at, fr.changed_at) == (T0, later)
    assert fr.office_phone == "+33149000099" and fr.languages == ["fr"]
    assert after[("DE", "primary")].changed_at == T0

    changed = events(sessions, "directory_changed")[-1]
    assert changed.actor == "bob" and changed.at == later
    assert changed.data["change"] == "changed" and changed.data["country"] == "FR"
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
    new = Directory((*[cp for cp in sample().contact_points if cp.country != "GR"], austria))
    result = import_(sessions, new, T0 + timedelta(days=1))
    assert [(c.kind, c.country) for c in result.changes] == [("added", "AT"), ("removed", "GR")]
    assert ("timezone", "", "Europe/Vienna") in [(f.field, f.old, f.new)
                                                for f in result.added[0].fields]
    assert set(rows(sessions)) == set(by_key(new))
    kinds = [(e.data["change"], e.data["country"]) for e in events(sessions, "directory_changed")]
    assert kinds[-2:] == [("added", "AT"), ("removed", "GR")]


def test_contact_point_kept_by_a_shared_address(sessions: sessionmaker[Session]) -> None:
    """A new first address or role still finds the same row through an address in common."""
    import_(sessions, sample(), T0)
    lu_id = rows(sessions)[("LU", "primary")].id
    new = edited(sample(), "LU", "primary",
                 emails=("snt.astreinte@police.lu.example", "nt-247@police.lu.example"))
    result = import_(sessions, new, T0 + timedelta(days=1))
    assert [(c.kind, c.address) for c in result.changes] == [
        ("changed", "snt.astreinte@police.lu.example")]
    assert result.changes[0].fields[0].field == "emails"
    lu = rows(sessions)[("LU", "primary")]
    assert lu.id == lu_id
    with sessions() as s:
        assert directory_store.load_directory(s).owner_of("nt-247@police.lu.example") is not None
        assert directory_store.load_directory(s).owner_of("snt-247@police.lu.example") is None


def test_address_moves_to_another_contact_point(sessions: sessionmaker[Session]) -> None:
    """An address taken from one contact point and given to a new one imports in one go."""
    import_(sessions, sample(), T0)
    moved = "snt.astreinte@police.lu.example"
    secondary = ContactPoint(
        country="LU", authority="Astreinte (fictional)", role="secondary", emails=(moved,),
        timezone="Europe/Luxembourg", office_hours="24/7", office_phone="+35249970002",
    )
    base = edited(sample(), "LU", "primary", emails=("snt-247@police.lu.example",))
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
    clash = replace(point(sample(), "DE"), country="AT", emails=("sdlc-247@interieur.fr.example",))
    broken = Directory((*edited(sample(), "DE", "primary", office_phone="+496110000000")
                        .contact_points, clash))
    with pytest.raises(IntegrityError):
        import_(sessions, broken, T0 + timedelta(days=1))
    after = rows(sessions)
    assert set(after) == set(before)
    assert after[("DE", "primary")].office_phone == before[("DE", "primary")].office_phone
    assert len(events(sessions, "directory_imported")) == 1


def test_diff_of_plain_directories() -> None:
    """diff pairs contact points by country, role and first address, and lists field changes."""
    old = sample()
    new = edited(old, "CH", "secondary", office_hours="Mon-Fri 08:00-17:00",
                 retention=(("subscriber", "6 months"),))
    result = directory_store.diff(old, new)
    assert [(c.kind, c.country, c.role) for c in result.changes] == [
        ("changed", "CH", "secondary")]
    assert result.lines() == [
        "changed CH secondary bci-247@police.ge.ch.example"
        " (Police cantonale de Genève - Brigade de criminalité informatique)",
        "    office_hours: Mon-Fri 08:00-18:00 -> Mon-Fri 08:00-17:00",
        "    retention: subscriber: 6 months; traffic: 6 months -> subscriber: 6 months",
    ]
    assert directory_store.diff(Directory(), old).counts()["added"] == 11
    assert directory_store.diff(old, Directory()).counts()["removed"] == 11


def test_to_confirm_lists_points_unchanged_for_a_year(sessions: sessionmaker[Session]) -> None:
    """Contact points whose details last changed over a year ago are to confirm; others not."""
    import_(sessions, sample(), T0)
    import_(sessions, edited(sample(), "IT", "primary", languages=("it",)),
            T0 + timedelta(days=200))
    with sessions() as s:
        assert directory_store.to_confirm(s, T0 + timedelta(days=365)) == []
        late = directory_store.to_confirm(s, T0 + timedelta(days=366))
    assert len(late) == 10
    assert "IT" not in {p.contact_point.country for p in late}
    assert all(p.changed_at == T0 for p in late)


def test_reload_from_file_imports_and_logs(sessions: sessionmaker[Session],
                                           tmp_path: Path) -> None:
    """Reloading the configured file imports it and logs directory_reloaded with counts."""
    path = tmp_path / "directory.toml"
    path.write_bytes(SAMPLE.read_bytes())
    with capture_logs() as logs:
        result = directory_store.reload_from_file(sessions, path, "watchkeeper", T0)
    assert result is not None and result.counts()["added"] == 11
    reloaded = [e for e in logs if e["event"] == "directory_reloaded"]
    assert reloaded and reloaded[0]["added"] == 11 and reloaded[0]["contact_points"] == 11
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

"""`watchkeeper directory validate|import|list|show|export` run as the real command."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from daemon.store import directory as directory_store
from models import ContactPointRow, Event
from parsers.directory import load_csv, load_toml
from tests.conftest import run_cli

SAMPLE = Path(__file__).resolve().parent / "data" / "corpus" / "directory.toml"
DATA = Path(__file__).resolve().parent / "data" / "directory"

# Saturday 28 November 2026: 10:00 in Copenhagen; Tuesday 1 December: 10:00 and 22:00 there.
SATURDAY = "2026-11-28T09:00:00Z"
TUESDAY_MORNING = "2026-12-01T10:00:00+01:00"
TUESDAY_NIGHT = "2026-12-01T22:00:00+01:00"


def config(tmp_path: Path, db_url: str, directory: Path | None = None) -> Path:
    path = tmp_path / "watchkeeper.toml"
    text = f'[database]\nurl = "{db_url}"\n[logging]\nformat = "json"\n'
    if directory is not None:
        text += f'[directory]\npath = "{directory}"\n'
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(sessions: sessionmaker[Session]) -> list[tuple[object, ...]]:
    with sessions() as s:
        found = s.scalars(select(ContactPointRow).order_by(ContactPointRow.id)).all()
        return [(r.id, r.country, r.role, r.office_phone, r.timezone, r.changed_at,
                 tuple(e.address for e in r.emails)) for r in found]


def test_validate_reports_each_problem_without_a_database(tmp_path: Path) -> None:
    """validate prints one line per problem, exits 1 and never opens the database."""
    db = tmp_path / "never.db"
    cfg = config(tmp_path, f"sqlite:///{db}")
    bad = run_cli("--config", str(cfg), "directory", "validate", str(DATA / "bad-three.toml"))
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("contact point #2 (DE") and "office_phone '+49 611'" in lines[0]
    assert lines[1].startswith("contact point #3 (LU") and "'Europe/Luxemburg'" in lines[1]
    assert lines[2].startswith("contact point #4 (BE") and "cp247@police.fr.example" in lines[2]
    assert "3 problems" in bad.stderr
    good = run_cli("--config", str(cfg), "directory", "validate", str(SAMPLE))
    assert good.returncode == 0, good.stderr
    assert "12 contact points in 11 countries" in good.stdout
    assert not db.exists()


def test_import_shows_differences_and_records_who(tmp_path: Path, db_url: str,
                                                  sessions: sessionmaker[Session]) -> None:
    """import prints what it adds, changes and removes, and the events name who ran it."""
    cfg = config(tmp_path, db_url, directory=tmp_path / "configured.toml")
    first = run_cli("--config", str(cfg), "directory", "import", str(SAMPLE), "--by", "alice")
    assert first.returncode == 0, first.stderr
    assert "note: the daemon imports" in first.stderr
    assert first.stdout.count("\nadded ") + first.stdout.startswith("added ") == 12
    assert "imported by alice: 12 added, 0 removed, 0 changed, 0 unchanged" in first.stdout

    text = SAMPLE.read_text(encoding="utf-8")
    text = text.replace('office_phone = "+45 3300 0101"', 'office_phone = "+45 3300 0199"')
    start = text.index("[[contact_points]]\ncountry = \"CY\"")
    end = text.index("[[contact_points]]", start + 1)
    edited = tmp_path / "directory.toml"
    edited.write_text(text[:start] + text[end:], encoding="utf-8")
    second = run_cli("--config", str(cfg), "directory", "import", str(edited), "--by", "bob")
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == [
        "removed CY primary occ-247@police.cy.example"
        " (Cyprus Police - Office for Combating Cybercrime)",
        "changed DK primary nc3-247@politi.dk.example"
        " (Rigspolitiet - National Cyber Crime Center (NC3) - 24/7 kontaktpunkt)",
        "    office_phone: +4533000101 -> +4533000199",
        "imported by bob: 0 added, 1 removed, 1 changed, 10 unchanged",
    ]
    with sessions() as s:
        imports = s.scalars(select(Event).where(Event.kind == "directory_imported")
                            .order_by(Event.id)).all()
        changes = s.scalars(select(Event).where(Event.kind == "directory_changed",
                                                Event.actor == "bob")).all()
        directory = directory_store.load_directory(s)
    assert [e.actor for e in imports] == ["alice", "bob"]
    assert imports[1].data["source"] == str(edited)
    assert sorted(e.data["change"] for e in changes) == ["changed", "removed"]
    assert directory.primary("CY") is None
    dk = directory.primary("DK")
    assert dk is not None and dk.office_phone == "+4533000199"


def test_refused_import_and_dry_run_change_nothing(tmp_path: Path, db_url: str,
                                                   sessions: sessionmaker[Session]) -> None:
    """A refused file prints one line per problem and exits 1; a dry run only shows; the
    database is unchanged after both."""
    cfg = config(tmp_path, db_url)
    assert run_cli("--config", str(cfg), "directory", "import", str(SAMPLE)).returncode == 0
    before = snapshot(sessions)
    refused = run_cli("--config", str(cfg), "directory", "import",
                      str(DATA / "bad-three.toml"), "--by", "mallory")
    assert refused.returncode == 1
    assert len(refused.stdout.splitlines()) == 3
    assert "nothing imported" in refused.stderr
    csv_refused = run_cli("--config", str(cfg), "directory", "import",
                          str(DATA / "bad-three.csv"))
    assert csv_refused.returncode == 1 and len(csv_refused.stdout.splitlines()) == 3

    dry = run_cli("--config", str(cfg), "directory", "import", str(DATA / "good.toml"),
                  "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run, nothing imported" in dry.stdout
    assert "\nremoved " in dry.stdout
    assert snapshot(sessions) == before
    with sessions() as s:
        actors = s.scalars(select(Event.actor).where(Event.kind == "directory_imported")).all()
    assert len(actors) == 1


def test_list_show_and_export(tmp_path: Path, db_url: str,
                              sessions: sessionmaker[Session]) -> None:
    """list shows local time, open/closed and what is to confirm; show picks the number for
    the instant; export reads back to the same directory."""
    cfg = config(tmp_path, db_url)
    assert run_cli("--config", str(cfg), "directory", "import", str(SAMPLE)).returncode == 0
    listed = run_cli("--config", str(cfg), "directory", "list", "--at", SATURDAY)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["COUNTRY", "ROLE", "AUTHORITY", "EMAILS", "LOCAL", "TIME",
                                "OFFICE", "HOURS", "NOW", "NOTE"]
    assert len(lines) == 13
    nl = next(line for line in lines if line.startswith("NL "))
    dk = next(line for line in lines if line.startswith("DK "))
    au = next(line for line in lines if line.startswith("AU "))
    assert "Sat 10:00 CET" in nl and nl.rstrip().endswith("open")
    assert "Sat 10:00 CET" in dk and dk.rstrip().endswith("closed")
    assert "Sat 20:00" in au

    morning = run_cli("--config", str(cfg), "directory", "show", "dk", "--at", TUESDAY_MORNING)
    assert morning.returncode == 0, morning.stderr
    assert "DK primary: Rigspolitiet" in morning.stdout
    assert "traffic: 12 months (12 months)" in morning.stdout
    assert "subscriber: as long as the contract runs (not a duration)" in morning.stdout
    assert "preservation days: 90 (the desk's default)" in morning.stdout
    assert "local time:        Tue 2026-12-01 10:00 CET (UTC+01:00)" in morning.stdout
    assert morning.stdout.splitlines()[-1].startswith(
        "call now: +45 33 00 01 01 (office number of the primary contact point")
    night = run_cli("--config", str(cfg), "directory", "show", "DK", "--at", TUESDAY_NIGHT)
    assert night.stdout.splitlines()[-1].startswith(
        "call now: +45 20 00 01 01 (after-hours number")
    unknown = run_cli("--config", str(cfg), "directory", "show", "GB")
    assert unknown.returncode == 1 and "no contact point for GB" in unknown.stderr

    soon = run_cli("--config", str(cfg), "directory", "list", "--to-confirm")
    assert soon.stdout.strip() == "no contact points to confirm"
    later = run_cli("--config", str(cfg), "directory", "list", "--to-confirm",
                    "--at", "2099-01-01T00:00Z")
    rows = later.stdout.splitlines()[1:]
    assert len(rows) == 12 and all(r.rstrip().endswith("to confirm") for r in rows)
    bad = run_cli("--config", str(cfg), "directory", "list", "--at", "2099-01-01T00:00")
    assert bad.returncode == 2 and "has no UTC offset" in bad.stderr

    with sessions() as s:
        stored = directory_store.load_directory(s)
    toml = run_cli("--config", str(cfg), "directory", "export")
    assert toml.returncode == 0 and load_toml(toml.stdout.encode()) == stored
    out = tmp_path / "export.csv"
    csv = run_cli("--config", str(cfg), "directory", "export", "--format", "csv",
                  "--output", str(out))
    assert csv.returncode == 0 and load_csv(out.read_bytes()) == stored

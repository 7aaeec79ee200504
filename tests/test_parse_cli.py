"""`watchkeeper parse`: JSON lines per file, readable summaries, per-file errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from daemon.commands import parse as parse_command

DATA = Path(__file__).resolve().parent / "data" / "parse"


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    parse_command.register(sub)
    return parser.parse_args(["parse", *argv])


def test_json_lines_one_per_file(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints one contract object per file, named by its base name."""
    files = [DATA / "tr-emergency-acil.eml", DATA / "list-advisory.eml"]
    args = _args("--json", "--directory", str(DATA / "directory.toml"), *map(str, files))
    assert args.handler(args) == 0
    lines = capsys.readouterr().out.splitlines()
    objs = [json.loads(line) for line in lines]
    assert [o["file"] for o in objs] == ["tr-emergency-acil.eml", "list-advisory.eml"]
    assert objs[0]["kind"] == "request" and objs[0]["urgent"] is True
    assert objs[0]["identifiers"][0]["timestamp"] == "2026-11-20T23:55:00+03:00"


def test_unreadable_file_reported_and_others_parsed(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    """A missing file gives one stderr line, the others are still parsed, exit code 1."""
    missing = tmp_path / "missing.eml"
    args = _args("--json", str(missing), str(DATA / "empty-body.eml"))
    assert parse_command.run(args) == 1
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        f"watchkeeper: cannot read {missing}: No such file or directory"]
    assert json.loads(captured.out)["file"] == "empty-body.eml"


def test_readable_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --json each file gets a short summary with its identifiers."""
    args = _args("--directory", str(DATA / "directory.toml"),
                 str(DATA / "ro-traffic-disclosure-wrong-charset.eml"))
    assert parse_command.run(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("ro-traffic-disclosure-wrong-charset.eml: request traffic_disclosure")
    assert "2001:db8::8:800:200c:417a" in out


def test_summary_names_the_topic(capsys: pytest.CaptureFixture[str]) -> None:
    """The readable summary names what a partner asks beyond the contract's type."""
    args = _args(str(DATA / "en-takedown-phishing-infrastructure.eml"))
    assert parse_command.run(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("en-takedown-phishing-infrastructure.eml: request information (takedown)")


def test_json_has_no_topic(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the contract's fields only, without the topic."""
    args = _args("--json", str(DATA / "en-takedown-phishing-infrastructure.eml"))
    assert parse_command.run(args) == 0
    assert "topic" not in json.loads(capsys.readouterr().out)


def test_bad_directory_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An unusable directory file stops the command with one line on stderr."""
    bad = tmp_path / "dir.toml"
    bad.write_text("not = [valid", encoding="utf-8")
    args = _args("--directory", str(bad), str(DATA / "empty-body.eml"))
    assert parse_command.run(args) == 1
    assert capsys.readouterr().err.startswith("watchkeeper: cannot use directory")

"""Logging: JSON lines when not a TTY, one event per line, secrets masked."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog

from daemon.process import logs


@pytest.fixture(autouse=True)
def _structlog_restored() -> Iterator[None]:
    """Each test here configures the process's logging: later tests get the defaults back
    (a level filter left behind would hide debug lines from their captured logs)."""
    yield
    structlog.reset_defaults()


def test_json_lines_and_bound_context() -> None:
    """Off a TTY each event is one JSON line with its bound context."""
    out = io.StringIO()
    logs.configure(fmt="auto", stream=out)
    with structlog.contextvars.bound_contextvars(case="WK-2026-00042", mailbox="INBOX"):
        structlog.get_logger().info("case_opened", uid=7)
    line = json.loads(out.getvalue().strip())
    assert line["event"] == "case_opened"
    assert line["case"] == "WK-2026-00042" and line["uid"] == 7
    assert line["timestamp"].endswith("Z")


def test_secrets_never_printed() -> None:
    """Values of secret-looking keys and passwords inside URLs are masked."""
    out = io.StringIO()
    logs.configure(fmt="json", stream=out)
    structlog.get_logger().info("connecting", password="hunter2", access_token="tok-123",
                                url="postgresql://wk:dbpass@db.example/wk")
    text = out.getvalue()
    assert "hunter2" not in text and "tok-123" not in text and "dbpass" not in text
    assert "wk:********@db.example" in text


def test_log_file_receives_the_same_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With logging.file set, every line also goes to the file."""
    out = io.StringIO()
    target = tmp_path / "log" / "watchkeeper.log"
    logs.configure(fmt="json", stream=out, file=target)
    structlog.get_logger().info("mail_sent", key="k1")
    assert json.loads(target.read_text().strip())["event"] == "mail_sent"


def test_ping_tokens_are_shown_other_tokens_masked() -> None:
    """A ping token is no secret (it is in the ping mail itself): shown; any other
    token-looking value stays masked."""
    out = io.StringIO()
    logs.configure(fmt="json", stream=out)
    structlog.get_logger().info("ping_replied", ping_token="PING-2026-H2-7Q4K",
                                token="tok-456")
    line = json.loads(out.getvalue().strip())
    assert line["ping_token"] == "PING-2026-H2-7Q4K" and line["token"] == "********"


def test_debug_lines_are_left_out_at_info_level() -> None:
    """At the default level routine debug lines (folder_synced, outbox_delivered) are not
    written; info lines are."""
    out = io.StringIO()
    logs.configure(fmt="json", stream=out, level="info")
    structlog.get_logger().debug("folder_synced", fetched=1)
    structlog.get_logger().info("case_opened", case="WK-2026-00001")
    assert [json.loads(x)["event"] for x in out.getvalue().splitlines()] == ["case_opened"]

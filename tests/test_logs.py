"""Logging: JSON lines when not a TTY, one event per line, secrets masked."""

from __future__ import annotations

import io
import json

import structlog

from daemon.process import logs


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

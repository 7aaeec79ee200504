"""`watchkeeper demo`: the real daemon plays a scripted day on embedded servers, by itself."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.conftest import run_cli


def test_demo_plays_the_day_and_prints_the_summary(tmp_path: Path) -> None:
    """The demo needs no configuration, ends by itself within a minute with exit 0, and its
    summary shows the cases, the acks, what was suppressed and why, the command applied and
    the forged one refused, the call prompt with the after-hours number, a partner's mail
    the parser cannot classify as an unclassified case, a stranger's mail waiting for
    triage, and the digest; a configured database is never touched."""
    untouched = tmp_path / "production.db"
    started = time.monotonic()
    result = run_cli("demo", env={"WATCHKEEPER_DATABASE__URL": f"sqlite:///{untouched}"},
                     cwd=tmp_path, timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert elapsed < 60
    assert not untouched.exists()
    out = result.stdout
    summary = out[out.index("SUMMARY OF THE DAY"):]
    assert "Cases opened: 5" in summary
    assert re.search(r"WK-\d{4}-00001 +LU +preservation +status started", summary)
    assert re.search(r"WK-\d{4}-00002 .*flags: unverified_sender", summary)
    assert re.search(r"WK-\d{4}-00003 +DE +preservation_extension", summary)
    assert re.search(r"WK-\d{4}-00004 +JP +emergency_disclosure +URGENT", summary)
    assert re.search(r"WK-\d{4}-00005 +LU +unclassified +status acknowledged", summary)
    assert "Acknowledgements sent: 5" in summary
    assert re.search(r"to snt-247@police.lu.example: Re: \[WK-\d{4}-00005\] Fermeture", summary)
    assert re.search(r"Classification prompt sent to duty.officer@ncc.gov.example: Set the "
                     r"type of WK-\d{4}-00005", summary)
    # The stranger's mail, and the forged command mail kept as ordinary mail (its sender is
    # not the case's partner, so its tag counts for nothing).
    assert "Waiting for triage: 2" in summary
    assert re.search(r"msg \d+  duty.officer@ncc.gov.example: \[WK-\d{4}-00001\] update \(unknown "
                     r"sender quoting a case tag", summary)
    assert re.search(r"msg \d+  a.dubois@dubois-avocats.example: Notre client", summary)
    assert "Triage prompt sent to duty.officer@ncc.gov.example" in summary
    assert "k.wagner@bka.de.example: auto_reply" in summary
    assert "snt-247@police.lu.example: threaded into WK-" in summary
    assert "(verified by dmarc): #start: done (status started)" in summary
    # A forged '#close' with a made-up verdict is refused, and the operators are told.
    assert ("Command by mail REFUSED, from duty.officer@ncc.gov.example (#close): dmarc: "
            "mx.ncc.gov.example reports dmarc=fail for ncc.gov.example; 1 with that "
            "authserv-id further down came with the mail and proves nothing") in summary
    assert ("Operator alert sent to duty.officer@ncc.gov.example: [watchkeeper] command mail "
            "from duty.officer@ncc.gov.example not verified") in summary
    assert "Execution started sent to snt-247@police.lu.example" in summary
    # 16:15 in Brussels is 00:15 in Tokyo: outside office hours, so the after-hours number.
    assert re.search(r"CALL JP about WK-\d{4}-00004 now: \+81 90-1234-0001 "
                     r"\(after-hours number; 00:15 in Tokyo", summary)
    assert "Daily digest 2026-03-11: 5 open" in summary
    assert "2 waiting for triage, 1 unclassified" in summary
    assert "Demo finished in" in out
    # The log shows the day as it happens, one line per event.
    for event in ("case_opened", "ack_queued", "ack_suppressed", "mail_sent", "call_prompted",
                  "digest_planned", "mail_commands_verified", "mail_commands_refused"):
        assert event in result.stderr, event
    # Each log line carries the time of the scripted day at the desk.
    prompt = next(line for line in result.stderr.splitlines() if "call_prompted" in line)
    assert "desk_time='Tue 16:15'" in prompt
    assert "Traceback" not in result.stderr


# Any event about a connection, a retry or a failure (reconnects, the IMAP and SMTP
# servers, the database, leadership, a duty that failed).
CONNECTION_EVENTS = ("imap_", "watcher_failed", "idle_not_pushing", "sent_folder_not_found",
                     "smtp_", "_failed", "mail_retry_scheduled", "leadership_lost", "database_",
                     "shutdown_stalled")


def test_demo_played_three_times_logs_no_connection_warning(tmp_path: Path) -> None:
    """The embedded pymap writes response lines in several segments: three plays of the
    demo log not one reconnect or other connection warning."""
    for play in range(3):
        result = run_cli("demo", cwd=tmp_path, timeout=60)
        assert result.returncode == 0, result.stderr[-2000:]
        found = [line for line in result.stderr.splitlines()
                 if any(event in line for event in CONNECTION_EVENTS)]
        assert found == [], f"play {play + 1}: {found}"

"""The mailbox login as the desk's health sees it: a refused login raises the
`imap_login_refused` condition (status degrades and the operators are told once it has
lasted `imap.login_alert_minutes`), the next login that works clears it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from config.settings import ImapSettings
from daemon.adapters.imap import AuthenticationFailed
from daemon.store import conditions


def subject(imap: ImapSettings) -> str:
    return f"{imap.username}@{imap.host}"


def failed(sessions: sessionmaker[Session], imap: ImapSettings, exc: BaseException,
           now: datetime) -> None:
    """Called with whatever a watcher's connection raised: only a refused login (or
    credentials that could not be had) is a login condition; the rest is the folder's."""
    if isinstance(exc, AuthenticationFailed):
        conditions.report_safely(sessions, conditions.IMAP_LOGIN_REFUSED, subject(imap),
                                 str(exc), now=now, auth=imap.auth)


def succeeded(sessions: sessionmaker[Session], imap: ImapSettings, now: datetime) -> None:
    """A login worked: a refused login, if one was recorded, is over."""
    conditions.clear_safely(sessions, conditions.IMAP_LOGIN_REFUSED, now=now)

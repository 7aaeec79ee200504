"""Rules that decide which case a message belongs to and whether its sender is trusted.

Each rule answers one question and has no side effect; the pipeline acts on the answers
and records which rules fired.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from parsers import msgids
from parsers.directory import Directory
from parsers.headers import AuthenticationResults, MethodResult


def thread_ids(in_reply_to: str | None, references: Iterable[str]) -> tuple[str, ...]:
    """Message-IDs this message answers, nearest first (In-Reply-To, then References
    from the newest back to the root), without duplicates."""
    out: list[str] = []
    for mid in (in_reply_to, *reversed(tuple(references))):
        found = msgids.clean(mid)
        if found and found not in out:
            out.append(found)
    return tuple(out)


def own_ids(ids: Iterable[str], official_address: str) -> tuple[str, ...]:
    """Those of `ids` that are of the shape of our own Message-IDs (`wk.<hex>@<our
    domain>`), as the parser found them quoted in a message (`ParsedMessage.quoted_ids`)."""
    domain = re.escape(official_address.rpartition("@")[2].lower())
    shape = re.compile(rf"wk\.[0-9a-f]{{8,64}}@{domain}")
    return tuple(i for i in ids if shape.fullmatch(i))


EXTENSION = "preservation_extension"
# Parser topics of a reply that adds to or corrects the request it answers.
FOLLOW_UP_TOPICS = ("addendum", "correction")
# A notice that the MLA request follows (or was sent) is news of the preservation it is about.
MLA_NOTICE = "mla_notice"
PRESERVATION_TYPES = ("preservation", "preservation_extension", "traffic_disclosure")


def new_request_in_thread(kind: str, request_type: str | None, case_request_type: str | None,
                          topic: str | None = None) -> bool:
    """A message threaded into a case starts a new, linked case only when it is a new
    request: an extension, or a request of another type than the case's. A follow-up, a
    correction or an addendum is part of its case (a case still `unclassified` has no type
    for a request to differ from; an extension's thread is extended by its own case)."""
    if kind != "request" or request_type is None or topic in FOLLOW_UP_TOPICS:
        return False
    if topic == MLA_NOTICE and case_request_type in PRESERVATION_TYPES:
        return False  # "the MLA request follows": news of this preservation, not a new one
    if request_type == EXTENSION:
        return case_request_type != EXTENSION
    return case_request_type not in (None, "unclassified", request_type)


def same_counterpart(directory: Directory, sender: str | None, counterpart: str | None) -> bool:
    """A case tag counts only when the sender is the case's counterpart: the same address,
    or an address of the same directory entry."""
    if not sender or not counterpart:
        return False
    sender, counterpart = sender.lower().strip(), counterpart.lower().strip()
    if sender == counterpart:
        return True
    mine, theirs = directory.owner_of(sender), directory.owner_of(counterpart)
    return mine is not None and mine == theirs


def authentication_failed(
    results: Sequence[AuthenticationResults], from_addr: str | None,
    trusted_authserv_id: str | None,
) -> bool:
    """True when the receiving server reports DMARC or DKIM failure for the sender (the
    Authentication-Results fields as the parser read them, topmost first).

    Only the header of the configured `authserv-id` counts (anyone can write the others);
    without one configured, only the topmost header, which the receiving server adds.
    This rule only accuses: what clears an operator's command mail is
    `daemon.rules.origin`, which also asks where in the header a verdict lies.
    """
    chosen: list[AuthenticationResults] = []
    for found in results:
        if trusted_authserv_id:
            if found.authserv_id == trusted_authserv_id.strip().lower():
                chosen.append(found)
        else:
            chosen.append(found)
            break
    domain = (from_addr or "").rpartition("@")[2].lower()
    for found in chosen:
        if any(r.result == "fail" for r in found.for_method("dmarc")):
            return True
        dkim = [r.result for r in found.for_method("dkim")
                if not (domain and (about := _dkim_about(r)) and not _related(about, domain))]
        # A signature by some other domain says nothing about the sender.
        if "fail" in dkim and "pass" not in dkim:
            return True
    return False


def _dkim_about(result: MethodResult) -> str | None:
    return result.prop("header.d") or result.prop("header.i") or result.prop("header.from")


def _related(signer: str, domain: str) -> bool:
    signer = signer.lower().rstrip(".").rpartition("@")[2]
    return signer == domain or domain.endswith("." + signer) or signer.endswith("." + domain)

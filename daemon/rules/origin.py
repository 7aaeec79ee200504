"""Rules that decide whether an operator's command mail proves where it comes from.

A `From:` line proves nothing: anyone on the internet can write `From: duty@ncc.gov.example`.
Before the desk acts in its own name on an operator's mail (`#start` writes to the partner,
`#close` ends a case), the mail must prove its origin in one of the ways the desk
configured (`desk.command_auth`); otherwise it is kept as ordinary mail. Each way is a pure
function of the header facts (`parsers.headers`) returning a `Verdict` with its reason.

**Whose headers count.** Header fields are written top down by each server that handles
the message: a server adds its own `Received` (and maybe `Authentication-Results`) above
everything the message arrived with, and no sender can write above a server that handles
the message after them. So only the top of the header section can have been written by the
desk's own servers, and `trace` finds where that part ends:

1. The topmost `Received` field was written by the server that delivered the message into
   the desk's mailbox (ours: only someone holding the mailbox's own password can put mail
   there without passing a server, by IMAP APPEND).
2. Each `Received` field names the host that handed the message over: its address as the
   writing server saw the connection (`[192.0.2.1]`), and perhaps a name the writing server
   looked up for that address. When that host is internal — an address in one of
   `desk.internal_relays`' networks, a name listed there (only a name the server looked up;
   the name a sending host gives for itself, HELO, never counts), or a loopback address (a
   filter on the same server) — the field below it was written by that internal host, and
   the walk goes on down. A field without any `from` part is a step inside the same server.
3. The first field whose sending host is not internal is the **entry**: there our servers
   took the message from outside. Everything below the entry came with the message and may
   have been written by anyone.

**The ways.**

- `dmarc` / `dkim`: an `Authentication-Results` field with the trusted authserv-id
  (`desk.trusted_authserv_id`) *above the entry* reports `dmarc=pass` with `header.from`
  the From domain, or `dkim=pass` with a signing domain (`header.d`, else the domain of
  `header.i`) aligned with it. Alignment here is "the same domain, or one a subdomain of
  the other": a simple stand-in for DMARC's relaxed alignment (same organisational
  domain), stricter for sibling subdomains and not looking at the public suffix list; a
  signing domain of a single label never aligns. A trusted field reporting
  `dmarc=fail` is never outweighed.
  The attack this stops: the issue's forger adds `Authentication-Results:
  mx.ncc.gov.example; dmarc=pass` to the mail itself. That field arrives below the entry
  (below the Received field our MX wrote on taking the mail, whether or not an outside
  relay wrote more Received fields in between) and is ignored. A server that writes its
  verdict *below* its own Received field must be configured to write it at the top; and
  when the mailbox server adds its own Received field above the MX's (Dovecot LMTP does),
  the MX's address must be in `desk.internal_relays`, or the verdict lies below the entry.
- `received`: every hop, from the top down to where the message started, is internal
  (there is no entry): the operator sent it from inside the desk's own network. The
  attack this stops: a mail from outside relayed by the desk's own MX shows the outside
  host in the MX's Received field, so listing the MX among the internal relays is safe; a
  forger's own Received fields ("from [10.0.0.5]") lie below the entry and are never read.
- `secret`: the first line of the operator's own text is `#auth <token>` and the token is
  that operator's shared token (compared in constant time). The token is never logged,
  and the caller removes the line before any text is stored.

A command mail must also have exactly one From address (DMARC is undefined for more, and
it must be clear which operator acts).

Today command mail (including `#called`) is the only thing the desk does in its own name
on the strength of an operator's inbound mail; anything added later that does (forwarding
an operator's reply to a partner, say) must ask `prove_origin` the same question.
"""

from __future__ import annotations

import email.utils
import hmac
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from parsers.headers import AuthenticationResults, HeaderFacts, MethodResult, ReceivedHop

WAYS = ("dmarc", "dkim", "received", "secret")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Relays:
    """The desk's own network: addresses (networks) and host names, from
    `desk.internal_relays`."""

    networks: tuple[Network, ...] = ()
    names: frozenset[str] = frozenset()

    @classmethod
    def of(cls, entries: Iterable[str]) -> Relays:
        """Networks (`10.0.0.0/8`, a single address) and host names; settings validate the
        entries, so what is neither is left out here."""
        networks: list[Network] = []
        names: set[str] = set()
        for entry in entries:
            text = entry.strip().lower().rstrip(".")
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                if text:
                    names.add(text)
        return cls(tuple(networks), frozenset(names))

    def sent(self, hop: ReceivedHop) -> bool:
        """True when the host that handed the message over at this hop is internal."""
        if hop.from_ip is not None:
            address = ipaddress.ip_address(hop.from_ip)
            if address.is_loopback or any(address in n for n in self.networks):
                return True
        return hop.from_host is not None and hop.from_host in self.names


@dataclass(frozen=True)
class Trace:
    """The Received fields our own servers wrote (topmost first) and the entry, where the
    message came in from a host that is not internal (None: it never left our network)."""

    ours: tuple[ReceivedHop, ...]
    entry: ReceivedHop | None

    @property
    def boundary(self) -> int | None:
        """Position of the lowest field our servers wrote; None without any Received."""
        if self.entry is not None:
            return self.entry.position
        return self.ours[-1].position if self.ours else None


def trace(facts: HeaderFacts, relays: Relays) -> Trace:
    """Walk the Received fields from the top while the sending host is internal."""
    ours: list[ReceivedHop] = []
    for hop in facts.received:
        ours.append(hop)
        if hop.has_from and not relays.sent(hop):
            return Trace(tuple(ours), hop)
    return Trace(tuple(ours), None)


@dataclass(frozen=True)
class Verdict:
    """What one way says: proven or not, and why, in one phrase (never a secret)."""

    way: str
    proven: bool
    reason: str


@dataclass(frozen=True)
class Proof:
    """The verdict of every configured way; the mail is proven when one of them is."""

    verdicts: tuple[Verdict, ...] = ()
    refusal: str | None = None  # a reason that holds for every way (off, several From)

    @property
    def proven(self) -> bool:
        return self.refusal is None and any(v.proven for v in self.verdicts)

    @property
    def way(self) -> str | None:
        """The first configured way that proved the mail."""
        if self.refusal is not None:
            return None
        return next((v.way for v in self.verdicts if v.proven), None)

    @property
    def reason(self) -> str:
        """What proved the mail, or why no way did, as one line."""
        if self.refusal is not None:
            return self.refusal
        proven = next((v for v in self.verdicts if v.proven), None)
        if proven is not None:
            return f"{proven.way}: {proven.reason}"
        return "; ".join(f"{v.way}: {v.reason}" for v in self.verdicts)


@dataclass(frozen=True)
class Policy:
    """The desk's configuration of command-by-mail, as plain data."""

    ways: tuple[str, ...] = ()
    trusted_authserv_id: str | None = None
    relays: Relays = Relays()


def prove_origin(facts: HeaderFacts, from_addr: str, policy: Policy, *,
                 token_given: str | None = None, token_expected: str | None = None,
                 token_problem: str | None = None) -> Proof:
    """Ask every configured way whether the mail proves it comes from `from_addr`.

    `token_given` is the token of the mail's `#auth` line (None without one),
    `token_expected` the operator's configured token (None when none is configured), and
    `token_problem` why the configured token could not be read.
    """
    if not policy.ways:
        return Proof(refusal="command-by-mail is off (desk.command_auth names no way)")
    senders = [a for f in facts.values("From") for _, a in email.utils.getaddresses([f]) if a]
    if len(senders) != 1:
        return Proof(refusal=f"the mail has {len(senders)} From addresses, not one")
    domain = from_addr.rpartition("@")[2].strip().lower().rstrip(".")
    path = trace(facts, policy.relays)
    verdicts: list[Verdict] = []
    for way in policy.ways:
        if way == "dmarc":
            verdicts.append(dmarc(facts, path, domain, policy.trusted_authserv_id))
        elif way == "dkim":
            verdicts.append(dkim(facts, path, domain, policy.trusted_authserv_id))
        elif way == "received":
            verdicts.append(received(path))
        elif way == "secret":
            verdicts.append(secret(from_addr, token_given, token_expected, token_problem))
    return Proof(tuple(verdicts))


# --- the ways ----------------------------------------------------------------------------


def trusted_results(facts: HeaderFacts, path: Trace, authserv_id: str
                    ) -> tuple[list[AuthenticationResults], int]:
    """The Authentication-Results fields of `authserv_id` above the boundary, and how many
    fields of that authserv-id lie below it (they came with the message)."""
    wanted = authserv_id.strip().lower()
    mine = [ar for ar in facts.authentication_results if ar.authserv_id == wanted]
    limit = path.boundary
    if limit is None:
        return [], len(mine)
    above = [ar for ar in mine if ar.position < limit]
    return above, len(mine) - len(above)


def _no_verdict(path: Trace, authserv_id: str, ignored: int) -> str:
    if path.boundary is None:
        text = "no Received field: the mail did not come through a mail server"
    else:
        where = path.entry or path.ours[-1]
        text = (f"no Authentication-Results of {authserv_id} above the Received field where "
                f"the mail came in ({where.describe()})")
    return text + _ignored(ignored)


def _ignored(count: int) -> str:
    if not count:
        return ""
    return (f"; {count} with that authserv-id further down came with the mail and proves "
            "nothing")


def dmarc(facts: HeaderFacts, path: Trace, domain: str, authserv_id: str | None) -> Verdict:
    """`dmarc=pass` for the From domain, reported by the trusted server above the entry."""
    if not authserv_id:
        return Verdict("dmarc", False, "desk.trusted_authserv_id is not set")
    fields, ignored = trusted_results(facts, path, authserv_id)
    results = [r for ar in fields for r in ar.for_method("dmarc")]
    if not results:
        if fields:
            return Verdict("dmarc", False, f"{authserv_id} reports no DMARC result")
        return Verdict("dmarc", False, _no_verdict(path, authserv_id, ignored))
    failed = next((r for r in results if r.result != "pass"), None)
    if failed is not None:
        about = failed.prop("header.from") or domain
        return Verdict("dmarc", False, f"{authserv_id} reports dmarc={failed.result} for "
                       f"{about}" + _ignored(ignored))
    for r in results:
        if _domain(r.prop("header.from")) == domain:
            return Verdict("dmarc", True, f"dmarc=pass for {domain}, reported by {authserv_id}")
    others = ", ".join(sorted({r.prop("header.from") or "no header.from" for r in results}))
    return Verdict("dmarc", False, f"{authserv_id} reports dmarc=pass for {others}, "
                   f"not for {domain}" + _ignored(ignored))


def dkim(facts: HeaderFacts, path: Trace, domain: str, authserv_id: str | None) -> Verdict:
    """`dkim=pass` by a signing domain aligned with the From domain, reported by the
    trusted server above the entry."""
    if not authserv_id:
        return Verdict("dkim", False, "desk.trusted_authserv_id is not set")
    fields, ignored = trusted_results(facts, path, authserv_id)
    results = [r for ar in fields for r in ar.for_method("dkim")]
    if not results:
        if fields:
            return Verdict("dkim", False, f"{authserv_id} reports no DKIM result")
        return Verdict("dkim", False, _no_verdict(path, authserv_id, ignored))
    for r in results:
        signer = signing_domain(r)
        if r.result == "pass" and signer is not None and aligned(signer, domain):
            return Verdict("dkim", True, f"dkim=pass signed by {signer}, reported by "
                           f"{authserv_id}")
    seen = ", ".join(f"dkim={r.result} by {signing_domain(r) or 'an unnamed domain'}"
                     for r in results[:3])
    return Verdict("dkim", False, f"no passing DKIM signature aligned with {domain} "
                   f"({authserv_id} reports {seen})" + _ignored(ignored))


def received(path: Trace) -> Verdict:
    """Every Received hop, from the top down to the start, is internal."""
    if not path.ours:
        return Verdict("received", False,
                       "no Received field: the mail did not come through a mail server")
    if path.entry is not None:
        return Verdict("received", False, f"the mail came in {path.entry.describe()}, "
                       "which is not in desk.internal_relays")
    return Verdict("received", True, f"every hop is internal ({len(path.ours)} Received "
                   f"field{'s' if len(path.ours) != 1 else ''})")


def secret(operator: str, given: str | None, expected: str | None,
           problem: str | None = None) -> Verdict:
    """The `#auth` token equals the operator's own token (constant-time comparison)."""
    if problem is not None:
        return Verdict("secret", False, f"the token of {operator} cannot be read: {problem}")
    if expected is None:
        return Verdict("secret", False, f"no token is configured for {operator}")
    if given is None:
        return Verdict("secret", False, "no #auth line at the top of the mail")
    if not given:
        return Verdict("secret", False, "the #auth line carries no token")
    if hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        return Verdict("secret", True, "the #auth token matches")
    return Verdict("secret", False, "the #auth token does not match")


# --- domains -------------------------------------------------------------------------------


def _domain(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().rpartition("@")[2].lower().rstrip(".") or None


def signing_domain(result: MethodResult) -> str | None:
    """The DKIM signing domain: `header.d`, else the domain of `header.i`."""
    return _domain(result.prop("header.d")) or _domain(result.prop("header.i"))


def aligned(signer: str, domain: str) -> bool:
    """The same domain, or one a subdomain of the other (a single label never aligns)."""
    signer, domain = signer.lower().rstrip("."), domain.lower().rstrip(".")
    if "." not in signer or "." not in domain:
        return False
    return signer == domain or domain.endswith("." + signer) or signer.endswith("." + domain)

"""Entry point: raw message bytes (and the directory) to a ParsedMessage. Never raises."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from parsers import (
    authority,
    bounce,
    classify,
    identifiers,
    language,
    msgids,
    provider,
    references,
    requests,
    template,
    topics,
)
from parsers.countries import countries_in
from parsers.directory import ContactPoint, Directory
from parsers.headers import read_headers
from parsers.mime import Decoded, Headers, parse_bytes
from parsers.quoting import CLOSING, cut_signature, own_text, split_forward
from parsers.result import Identifier, ParsedMessage, TemplateFields
from parsers.timeparse import Found, zone_from_text

_F = re.IGNORECASE | re.UNICODE
MAX_TEXT = 50_000  # characters of text analysed; beyond this a body is bulk (logs, lists)
COVER_NOTE = 800  # own text shorter than this around an attached message just passes it on
ASK_TEXT = 20_000  # characters read for what is asked: a request says so near its start
AUTHORITY_HEAD = 12_000  # characters read from the start for who writes ...
AUTHORITY_TAIL = 2_000  # ... and from the end (the signature)


def parse_message(
    raw: bytes, directory: Directory | None = None, *, case_prefix: str = "WK",
    own_domain: str | None = None,
) -> ParsedMessage:
    """Parse one message. Any bytes give a result; an internal failure gives kind "other"
    with `error` set to one line (and the header facts, which never fail).

    `own_domain`, the desk's mail domain, fills `quoted_ids`: the msg-ids at that domain
    written anywhere in the message."""
    data = bytes(raw)
    headers = read_headers(data)
    quoted = msgids.quoted(data, own_domain) if own_domain else ()
    try:
        parsed = _parse(data, directory, case_prefix)
    except Exception as exc:  # the contract: nothing escapes parsers/
        line = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300]
        parsed = ParsedMessage(kind="other", error=line)
    return dataclasses.replace(parsed, headers=headers, quoted_ids=quoted)


@dataclass(frozen=True)
class _Content:
    """Where the request is: the text that carries it, its subject, and who forwarded it."""

    text: str
    subject: str
    forwarded_by: str | None
    attachment_text: str
    decoded: Decoded


def _content(d: Decoded, own: str, bounce: bool) -> _Content:
    h = d.headers
    fwd_subject = bool(classify.FORWARD_PREFIX.match(h.subject))
    attach = _attachment_text(d)
    if not bounce:
        _, inline = split_forward(d.text, outlook_blocks=fwd_subject)
        if inline is not None and inline.body.strip():
            return _Content(own_text(inline.body), inline.subject or h.subject, h.from_addr,
                            attach, d)
        cover_note = fwd_subject or len(own) < COVER_NOTE
        for sub in d.embedded:
            if not cover_note or sub.report_type or not (sub.text.strip() or sub.attachments):
                continue
            inner = _content(sub, own_text(sub.text), False)
            return _Content(inner.text, sub.headers.subject or h.subject, h.from_addr,
                            inner.attachment_text or attach, sub)
    return _Content(own, h.subject, None, attach, d)


def _attachment_text(d: Decoded) -> str:
    return "\n\n".join(a.text for a in d.attachments if a.text.strip())


def _remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for s, e in sorted(spans):
        if s < last:
            continue
        out.append(text[last:s])
        last = e
    out.append(text[last:])
    return "".join(out)


def _label_values_only(text: str) -> str:
    """The text with template labels dropped, so bilingual labels do not vote on language."""
    out = []
    for line in text.split("\n"):
        m = re.match(r"^\s*(?:\d{1,2}\s*[.)]\s*)?([^:\n]{2,200}?)\s*:\s*(.*)$", line)
        if m and (template.classify_label(m.group(1)) or template.classify_subfield(m.group(1))):
            out.append(m.group(2))
        else:
            out.append(line)
    return "\n".join(out)


def _without_contacts(text: str, is_data_section: bool) -> str:
    """The text without the sender's contact lines (kept inside a template's data section)."""
    if is_data_section:
        return text
    return "\n".join(ln for ln in text.split("\n") if not identifiers.CONTACT_LINE.match(ln))


def _directory_zone(cp: ContactPoint | None) -> tzinfo | None:
    if cp is None:
        return None
    try:
        return ZoneInfo(cp.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _phone_region(text: str) -> str | None:
    for m in re.finditer(r"\+\d[\d\s().-]{6,20}\d", text):
        try:
            n = phonenumbers.parse(re.sub(r"\(\s*0\s*\)", "", m.group(0)), None)
        except phonenumbers.NumberParseException:
            continue
        region = phonenumbers.region_code_for_number(n)
        if region and region != "ZZ":
            return region
    return None


def _parse(raw: bytes, directory: Directory | None, case_prefix: str) -> ParsedMessage:
    d = parse_bytes(raw)
    h = d.headers
    d_text = d.text[:MAX_TEXT]
    case_tag = re.compile(rf"\b{re.escape(case_prefix)}-\d{{4}}-\d{{5}}\b")

    bounce_rules = classify.bounce_signals(d)
    own = own_text(d_text, bounce=bool(bounce_rules))
    content = _content(d, own, bool(bounce_rules))
    text = content.text[:MAX_TEXT]

    m = case_tag.search(h.subject) or case_tag.search(own)
    case_ref = m.group(0) if m else None
    ping = classify.ping_token(h.subject, own)
    auto_rules = classify.auto_signals(d, own)
    list_rules = classify.list_signals(d)
    reply_rules = classify.reply_signals(d, case_ref)

    owner = directory.owner_of(h.from_addr) if directory and h.from_addr else None
    domain_owner = None
    if directory and h.from_addr and "@" in h.from_addr:
        domain_owner = directory.owner_of_domain(h.from_addr.rpartition("@")[2])

    # Sections of the request: the body's, or an attached template's when it carries one.
    sections = template.find_sections(text)
    att_sections = template.find_sections(content.attachment_text[:MAX_TEXT])
    request_text = text
    attached_template = template.is_template(att_sections) and not template.is_template(sections)
    if attached_template or (
        content.attachment_text and not requests.signals("", text).any_request
    ):
        sections = sections + att_sections
        request_text = text + "\n\n" + content.attachment_text[:MAX_TEXT]
    fields = template.template_fields(sections)
    first: dict[str, str] = {}
    for s in sections:
        first.setdefault(s.key, s.value)

    sender_spans = [(s.start, s.end) for s in sections if s.key in template.SENDER_KEYS]
    # Offsets of attachment sections are relative to the attachment text.
    request_sections = sections if request_text is text else template.find_sections(request_text)
    body_sender_spans = [(s.start, s.end) for s in request_sections
                         if s.key in template.SENDER_KEYS]
    asking_text = cut_signature(
        _remove_spans(request_text, body_sender_spans or sender_spans))[:ASK_TEXT]
    inherited = bool(classify.REPLY_PREFIX.match(content.subject))
    sig = requests.signals(content.subject, asking_text, inherited=inherited)
    status = None
    if "request_status" in first:
        status = template.checked_option(first["request_status"])
    data_section = "\n".join(s.value for s in sections if s.key == "data")
    data_text = data_section if data_section.strip() else asking_text

    # Identifiers are needed to tell an information request from a data request.
    known = owner or domain_owner
    country_hint = known.country if known else None
    tz_field = fields.get("requesting_authority.timezone") or fields.get("contact.timezone")
    stated_zone = zone_from_text(tz_field) if tz_field else None
    cp_zone = _directory_zone(owner or domain_owner)
    date_zone = h.date.tzinfo if h.date is not None else None

    def zone_for(f: Found) -> datetime | None:
        if f.zone is not None:
            return f.instant(None)
        for z in (stated_zone, cp_zone, date_zone):
            if z is not None:
                return f.instant(z)
        return None

    exclusions = _exclusions(h, directory, content, sections)
    ids: tuple[Identifier, ...] = ()
    kind = "other"
    rtype = None
    topic = None
    named = 0
    asks = False
    if bounce_rules:
        kind = "bounce"
    elif auto_rules:
        kind = "auto_reply"
    elif ping:
        kind = "ping_reply"
    elif not list_rules:
        ids = identifiers.extract(
            _without_contacts(data_text, bool(data_section.strip())),
            exclusions=exclusions,
            region=country_hint,
            zone_for=zone_for,
            month_first=False,
        )
        named = len(ids)
        keyword_type = requests.request_type(
            sig, status=status, has_identifiers=bool(ids),
            extension_near=requests.extension_near(
                asking_text if inherited else f"{content.subject}\n{asking_text}"),
        )
        tsig = topics.signals(content.subject, asking_text, inherited=inherited)
        topic = topics.topic(keyword_type, sig, tsig, has_identifiers=bool(ids),
                             refers_back=case_tag.search(asking_text) is not None)
        rtype = topics.request_type_for(topic, keyword_type, tsig)
        lowered = _sample(f"{content.subject}\n{request_text}").lower()
        private = authority.private_party(lowered)
        kind = _decide(
            rtype, topic, sig, tsig,
            is_template=template.is_template(sections),
            lowered=lowered,
            private=private,
            subject=content.subject.lower(),
            sender=(h.from_name, h.from_addr, content.decoded.headers.from_name,
                    content.decoded.headers.from_addr),
            has_identifiers=bool(ids),
            in_thread=_reply_shaped(h, case_tag) and content.forwarded_by is None,
            followed_up=bool(reply_rules),
        )
        asks = bool(sig.ask or ((keyword_type is not None or tsig.question) and not private))
        if kind == "reply" and topic != "mla_notice":  # a reply says what it adds, if anything
            topic = ("correction" if tsig.correction else "addendum") if tsig.addendum else None
    if kind != "request":
        rtype = None
        ids = ()
        if kind != "reply":
            topic = None
    reads_as_request = kind == "request" or (kind in ("other", "reply") and asks and named > 0)

    # Country: directory address, else the request's own statement, else the domain.
    country = None
    if kind != "bounce":
        if owner is not None:
            country = owner.country
        elif kind == "request":
            country = _stated_country(fields, request_text)
        if country is None and domain_owner is not None:
            country = domain_owner.country
    if kind == "request" and country == "US" and ids:
        ids = identifiers.extract(
            _without_contacts(data_text, bool(data_section.strip())),
            exclusions=exclusions,
            region=country,
            zone_for=zone_for,
            month_first=True,
        )

    their_ref, previous_ref = None, None
    if kind in ("request", "reply"):
        their_ref, previous_ref = references.their_and_previous(
            kind, rtype, content.subject, first, request_text if kind == "request" else own,
            case_tag, case_ref,
        )

    prov = None
    if kind == "request":
        for s in sections:
            if s.key == "provider":
                prov = provider.clean(s.value)
                if prov:
                    break
        if prov is None:
            prov = provider.find_company(f"{content.subject}\n{asking_text}")
        if prov is None:
            prov = provider.find_platform(f"{content.subject}\n{asking_text}")

    urgent = False
    if kind == "request":
        # The urgency field's own words are not an urgency flag; but a sentence that only
        # looks like a field ("This request is urgent: ...") keeps its words when it
        # answers neither yes nor no.
        undecided = requests.field_urgency(first.get("urgency")) is None
        urgency_text = _remove_spans(request_text, [
            (s.start, s.end) for s in request_sections
            if s.key == "urgency" and (s.numbered or not undecided)])
        urgent = requests.is_urgent(rtype, content.subject, cut_signature(urgency_text)[:ASK_TEXT],
                                    first.get("urgency"))

    lang_source = text if content.forwarded_by else own
    if 0 < language.letters(lang_source) < language.MIN_LETTERS and kind != "reply":
        # Two or three words ("Your message", "Read:") say nothing of a language; the whole
        # notice does. A person's short reply keeps its own words: the quote is ours.
        lang_source = d_text
    if not lang_source.strip():
        lang_source = content.attachment_text
    hints = tuple(x for x in known.languages if x != "en") if known else ()
    lang = language.detect(_label_values_only(lang_source[:MAX_TEXT])[:4000], hints)

    dsn = bounce.facts(d) if kind == "bounce" else None
    return ParsedMessage(
        kind=kind,
        request_type=rtype,
        urgent=urgent,
        country=country,
        sender_verified=owner is not None,
        case_ref=case_ref,
        their_reference=their_ref,
        previous_reference=previous_ref,
        identifiers=ids,
        provider=prov,
        language=lang,
        should_acknowledge=kind == "request",
        topic=topic,
        reads_as_request=reads_as_request,
        named_identifiers=named,
        message_id=h.message_id,
        in_reply_to=h.in_reply_to,
        references=h.references,
        subject=h.subject,
        from_addr=h.from_addr,
        from_name=h.from_name,
        to_addrs=h.to_addrs,
        cc_addrs=h.cc_addrs,
        reply_to=h.reply_to,
        date=h.date,
        auto_signals=bounce_rules + auto_rules + list_rules,
        is_list=bool(list_rules),
        bounced_message_id=dsn.report.original_message_id if dsn else None,
        bounce_status=dsn.status_line if dsn else None,
        bounce=dsn.report if dsn else None,
        ping_token=ping,
        forwarded_by=content.forwarded_by,
        own_text=own,
        template=fields,
        attachments=tuple(a.info for a in d.attachments),
        warnings=d.warnings,
    )


def _sample(text: str) -> str:
    """The part of a text that says who writes: its opening and its end (the signature);
    the bulk in between (pasted logs, long narratives) is not read."""
    if len(text) <= AUTHORITY_HEAD + AUTHORITY_TAIL:
        return text
    return text[:AUTHORITY_HEAD] + "\n" + text[-AUTHORITY_TAIL:]


def _reply_shaped(h: Headers, case_tag: re.Pattern[str]) -> bool:
    """Whether the mail answers one of ours: Re:, In-Reply-To/References, or our tag in the
    subject. Our tag only in the body is a reference, not an answer."""
    return bool(classify.REPLY_PREFIX.match(h.subject) or h.in_reply_to or h.references
                or case_tag.search(h.subject))


def _decide(
    rtype: str | None, topic: str | None, sig: requests.TypeSignals, tsig: topics.TopicSignals,
    *, is_template: bool, lowered: str, private: bool, subject: str,
    sender: tuple[str | None, str | None, str | None, str | None], has_identifiers: bool,
    in_thread: bool, followed_up: bool,
) -> str:
    """request, reply or other, from the mail alone (the directory is not consulted).

    A request needs something asked (`rtype`) and evidence that an authority asks it: a
    template, authority words in the text or in the sender's name or address (not in a
    text whose writer presents as a private party), or an ask for data about the
    identifiers it names. A threat to life is a request from any sender, except in an
    announcement or a newsletter. Inside a thread (an answer to one of our messages) only
    an ask or a template makes a new request; an addendum, a correction or an MLA notice
    there is a reply, an extension stays a request."""
    if rtype is not None:
        announced = authority.announcement(subject, lowered[:4000])
        if topic == "emergency":
            evidence = not announced and not authority.bulk(lowered)
        else:
            data_ask = bool(sig.ask and has_identifiers and (
                sig.preservation or sig.traffic or sig.stored or topic == "attribution"))
            shown = is_template or (not private and (
                authority.text_authority(lowered)
                or any(authority.sender_authority(sender[i], sender[i + 1]) for i in (0, 2))))
            evidence = (shown or data_ask or (in_thread and sig.ask > 0)) and not (
                announced and not data_ask)
        follow_up = in_thread and topic != "extension" and (
            tsig.addendum or topic == "mla_notice")
        if evidence and not follow_up and (not in_thread or is_template or sig.ask):
            return "request"
    return "reply" if followed_up else "other"


def _exclusions(h: Headers, directory: Directory | None, content: _Content,
                sections: list[template.Section]) -> identifiers.Exclusions:
    """The sender's, our and every directory address and phone: never the subject."""
    emails = {a for a in (h.from_addr, h.reply_to, *h.to_addrs, *h.cc_addrs) if a}
    inner = content.decoded.headers
    emails.update(a for a in (inner.from_addr, inner.reply_to, *inner.to_addrs) if a)
    phones: set[str] = set()
    if directory is not None:
        for cp in directory.contact_points:
            emails.update(e.lower() for e in cp.emails)
            phones.update(p for p in (cp.office_phone, cp.after_hours_phone) if p)
    for s in sections:
        if s.key in template.SENDER_KEYS:
            for sub_key, value in template.subfields(s.value):
                if sub_key == "email":
                    emails.add(value.strip().lower())
    domains = {e.rpartition("@")[2] for e in emails if e.rpartition("@")[2]}
    authority = {a.rpartition("@")[2] for a in h.to_addrs}
    if directory is not None:
        authority.update(e.lower().rpartition("@")[2] for cp in directory.contact_points
                         for e in cp.emails)
    return identifiers.Exclusions(frozenset(emails), frozenset(domains), frozenset(phones),
                                  frozenset(authority))


def _stated_country(fields: TemplateFields, text: str) -> str | None:
    """The country the request gives for its requesting authority."""
    for key in ("requesting_authority", "requesting_authority.organisation",
                "investigative_authority", "contact"):
        value = fields.get(key)
        if value:
            found = countries_in(value)
            if found:
                return found[-1]
    for key in ("requesting_authority", "contact"):
        value = fields.get(key)
        if value:
            region = _phone_region(value)
            if region:
                return region
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if CLOSING.match(line):
            found = countries_in("\n".join(lines[i:i + 8]))
            if found:
                return found[-1]
    tail = "\n".join(ln for ln in lines[-6:])
    found = countries_in(tail)
    return found[-1] if found else None

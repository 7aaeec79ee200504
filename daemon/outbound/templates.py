"""Mail templates: Jinja2 files in config/templates/, overridden file by file from
`desk.templates_dir`, in the partner's language when the desk has it.

A template named `ack` in French is the file `ack.fr.txt`; `ack.txt` is the
language-neutral fallback. A template may start with a `Subject: ...` line followed by a
blank line: that line is the mail's subject, the rest its body.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import structlog

import config
from config.settings import Settings
from parsers.directory import Directory
from parsers.partners import languages as partner_languages

log = structlog.get_logger("watchkeeper.templates")

BUILTIN_DIR = Path(config.__file__).resolve().parent / "templates"


class TemplateError(Exception):
    """A template is missing or cannot be rendered; the message is one line."""


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    text: str
    language: str | None


def _autoescape(name: str | None) -> bool:
    # HTML parts are escaped; plain-text mail must show "<" and "&" as written.
    return bool(name) and str(name).endswith((".html", ".htm"))


@lru_cache(maxsize=8)
def _environment(override: str | None, strict: bool) -> jinja2.Environment:
    search = [override] if override else []
    search.append(str(BUILTIN_DIR))
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined if strict else jinja2.Undefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def environment(settings: Settings, *, strict: bool = False) -> jinja2.Environment:
    """The Jinja2 environment: the configured directory first, then the built-in one.

    `strict` environments refuse an undefined variable (the desk's own reminders and
    digest, whose context is fixed); replies to partners leave a missing value blank."""
    override = settings.desk.templates_dir
    return _environment(str(override) if override is not None else None, strict)


def _exists(env: jinja2.Environment, filename: str) -> bool:
    try:
        env.get_template(filename)
    except jinja2.TemplateNotFound:
        return False
    except jinja2.TemplateError:
        return True  # there, but broken: rendering says so
    return True


def candidate_languages(settings: Settings, directory: Directory,
                        country: str | None) -> tuple[str, ...]:
    """The partner's languages in the directory's order, then the desk's default."""
    found: list[str] = list(partner_languages(directory, country)) if country else []
    if settings.desk.default_language not in found:
        found.append(settings.desk.default_language)
    return tuple(found)


def _choose_in(env: jinja2.Environment, name: str, languages: Iterable[str],
               ext: str) -> tuple[str, str | None]:
    for lang in languages:
        filename = f"{name}.{lang}.{ext}"
        if _exists(env, filename):
            return filename, lang
    filename = f"{name}.{ext}"
    if _exists(env, filename):
        return filename, None
    raise TemplateError(f"no template {name!r} (looked for {name}.<language>.{ext})")


def choose(settings: Settings, name: str, languages: Iterable[str],
           ext: str = "txt") -> tuple[str, str | None]:
    """The file to use for template `name`: the first language the desk has a file for,
    else the language-neutral file. Returns (filename, language)."""
    return _choose_in(environment(settings), name, languages, ext)


def _render_in(env: jinja2.Environment, name: str, languages: Sequence[str], ext: str,
               context: dict[str, Any]) -> Rendered:
    filename, lang = _choose_in(env, name, languages, ext)
    try:
        text = env.get_template(filename).render(**context)
    except jinja2.TemplateError as exc:
        where = f" line {exc.lineno}" if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        raise TemplateError(f"template {filename}{where} cannot be rendered: {exc}") from exc
    subject: str | None = None
    first, sep, rest = text.partition("\n")
    if first.startswith("Subject:") and sep:
        subject = " ".join(first[len("Subject:"):].split())
        text = rest.lstrip("\n")
    return Rendered(subject=subject, text=text, language=lang)


def render(settings: Settings, name: str, languages: Sequence[str] = (),
           ext: str = "txt", **context: Any) -> Rendered:
    """Render template `name` in the first available language of `languages`.

    A broken file in `desk.templates_dir` must not leave a partner without an answer: the
    error is logged and the built-in template is used instead.
    """
    langs = [*languages, settings.desk.default_language]
    try:
        return _render_in(environment(settings), name, langs, ext, context)
    except TemplateError as exc:
        if settings.desk.templates_dir is None:
            raise
        log.error("template_failed", template=name, error=str(exc), fallback="built-in")
        return _render_in(_environment(None, False), name, langs, ext, context)


def render_for(settings: Settings, directory: Directory, for_country: str | None, name: str,
               **context: Any) -> Rendered:
    """Render `name` in the language of `for_country`'s contact points."""
    return render(settings, name, candidate_languages(settings, directory, for_country),
                  **context)


def format_local(at: datetime, zone: ZoneInfo) -> str:
    """An instant as a reader in `zone` sees it: `2026-11-28 10:12 CET (UTC+01:00)`."""
    local = at.astimezone(zone)
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    name = local.tzname() or ""
    label = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    shown = f"{name} ({label})" if name and not name.startswith(("+", "-")) else label
    return f"{local:%Y-%m-%d %H:%M} {shown}"


def forget_compiled() -> None:
    """Drop the compiled templates: the next mail reads the template files again (SIGHUP)."""
    _environment.cache_clear()

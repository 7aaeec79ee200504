"""The one settings object: TOML file, then environment overrides, validated at start."""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import subprocess
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

ENV_PREFIX = "WATCHKEEPER_"
CONFIG_ENV = "WATCHKEEPER_CONFIG"
DEFAULT_DATABASE_URL = "sqlite:///var/watchkeeper.db"


class ConfigError(Exception):
    """A configuration that cannot be used; the message is one line for the operator."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _secret_from(value: SecretStr | None, env: str | None, file: Path | None, what: str) -> str:
    """Resolve a secret given directly (environment only), by variable name, or by file."""
    if value is not None:
        return value.get_secret_value()
    if env:
        found = os.environ.get(env)
        if found is None:
            raise ConfigError(f"{what}_env: environment variable {env} is not set")
        return found
    if file is not None:
        try:
            return file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{what}_file: cannot read {file}: {exc.strerror}") from exc
    return ""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class DatabaseSettings(Section):
    url: str = DEFAULT_DATABASE_URL
    echo: bool = False
    # SQLite: how long a write waits for another process's lock before it counts as an
    # outage.
    busy_timeout_seconds: float = Field(30.0, gt=0)
    # An unavailable database is asked again after this long, doubling up to the maximum.
    reconnect_initial_seconds: float = Field(0.5, gt=0)
    reconnect_max_seconds: float = Field(10.0, gt=0)

    @field_validator("url")
    @classmethod
    def _known_backend(cls, v: str) -> str:
        if not re.match(r"^(sqlite|postgresql(\+psycopg)?)://", v):
            raise ValueError("expected a sqlite:/// or postgresql+psycopg:// URL")
        return v


class ImapSettings(Section):
    host: str = ""
    port: int = Field(993, ge=1, le=65535)
    tls: Literal["ssl", "starttls", "none"] = "ssl"
    allow_insecure: bool = False
    ca_file: Path | None = None
    username: str = ""
    auth: Literal["password", "xoauth2"] = "password"
    password: SecretStr | None = None
    password_env: str | None = None
    password_file: Path | None = None
    oauth_token_file: Path | None = None
    oauth_token_command: str | None = None
    inbox: str = "INBOX"
    sent_folder: str | None = None
    processed_folder: str | None = None
    mark_seen: bool = False
    append_sent: bool = False
    idle: bool = True
    idle_renew_seconds: int = Field(25 * 60, ge=30, le=29 * 60)
    poll_seconds: int = Field(60, ge=1)
    idle_fallback_seconds: int = Field(10, ge=1)
    timeout_seconds: float = Field(30.0, gt=0)
    batch_size: int = Field(50, ge=1, le=1000)
    max_message_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    ack_backlog_hours: int = Field(24, ge=0)
    reconnect_initial_seconds: float = Field(1.0, gt=0)
    reconnect_max_seconds: float = Field(300.0, gt=0)
    login_alert_minutes: float = Field(10.0, ge=0)

    @model_validator(mode="after")
    def _plain_only_when_allowed(self) -> ImapSettings:
        if self.host and self.tls == "none" and not (is_loopback(self.host) or self.allow_insecure):
            raise ValueError(
                f"tls = 'none' with host {self.host!r} sends the password in clear: "
                "use ssl or starttls, or set imap.allow_insecure = true"
            )
        return self

    def secret(self) -> str:
        """The password, or for XOAUTH2 the access token, read now (tokens expire).

        A token that is empty is refused here, before it is sent, naming where it came
        from. A token command that fails is reported by its exit status and the first line
        of its error output, with anything that looks like a secret masked; its command
        line is never shown (it may carry a client secret)."""
        if self.auth == "xoauth2":
            if self.oauth_token_command:
                return _token_from_command(self.oauth_token_command, self.timeout_seconds)
            token = _secret_from(None, None, self.oauth_token_file, "imap.oauth_token")
            if not token:
                where = (f"imap.oauth_token_file {self.oauth_token_file} is empty"
                         if self.oauth_token_file is not None
                         else "neither imap.oauth_token_file nor imap.oauth_token_command is set")
                raise ConfigError(f"no XOAUTH2 token to send: {where}")
            return token
        return _secret_from(self.password, self.password_env, self.password_file, "imap.password")


def token_source(imap: ImapSettings) -> str:
    """Where the XOAUTH2 token comes from, for messages: never the whole command line."""
    if imap.oauth_token_command:
        return f"imap.oauth_token_command ({command_name(imap.oauth_token_command)})"
    return f"imap.oauth_token_file {imap.oauth_token_file}"


def command_name(command: str) -> str:
    """The program a shell command line runs, without its arguments or the variables set
    before it (`A=b /usr/local/bin/m365-token --secret x` is `m365-token`)."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    for word in words:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", word):
            return Path(word).name or word
    return "?"


# Long runs of token characters (a bearer token, a JWT, a client secret) in a message.
_SECRET_LIKE = re.compile(r"[A-Za-z0-9._~+/=-]{24,}")


def mask_secrets(text: str) -> str:
    return _SECRET_LIKE.sub("********", text)


def _token_from_command(command: str, timeout: float) -> str:
    name = f"imap.oauth_token_command ({command_name(command)})"
    try:
        out = subprocess.run(
            command, shell=True, check=False, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{name} printed no token within {timeout:g} s") from None
    except OSError as exc:
        raise ConfigError(f"{name} could not be started: {exc.strerror}") from None
    if out.returncode != 0:
        first = next((line.strip() for line in out.stderr.splitlines() if line.strip()), "")
        said = f": {mask_secrets(first)[:300]}" if first else " (and wrote no error)"
        raise ConfigError(f"{name} failed with exit status {out.returncode}{said}")
    token = out.stdout.strip()
    if not token:
        raise ConfigError(f"no XOAUTH2 token to send: {name} printed nothing")
    return token


class SmtpSettings(Section):
    host: str = ""
    port: int = Field(465, ge=1, le=65535)
    tls: Literal["ssl", "starttls", "none"] = "ssl"
    allow_insecure: bool = False
    ca_file: Path | None = None
    username: str = ""
    password: SecretStr | None = None
    password_env: str | None = None
    password_file: Path | None = None
    timeout_seconds: float = Field(30.0, gt=0)
    give_up_after_hours: float = Field(48.0, gt=0)
    retry_initial_seconds: float = Field(30.0, gt=0)
    retry_max_seconds: float = Field(3600.0, gt=0)
    max_auto_replies_per_hour: int = Field(5, ge=0)
    burst_size: int = Field(50, ge=1)

    @model_validator(mode="after")
    def _plain_only_when_allowed(self) -> SmtpSettings:
        if self.host and self.tls == "none" and not (is_loopback(self.host) or self.allow_insecure):
            raise ValueError(
                f"tls = 'none' with host {self.host!r} is not allowed: "
                "use ssl or starttls, or set smtp.allow_insecure = true"
            )
        return self

    def secret(self) -> str:
        return _secret_from(self.password, self.password_env, self.password_file, "smtp.password")


COMMAND_AUTH_WAYS = ("dmarc", "dkim", "received", "secret")
MIN_TOKEN_LENGTH = 16
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
                        r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


class OperatorToken(Section):
    """Where one operator's command-by-mail token is kept: never the token itself."""

    token_env: str | None = None
    token_file: Path | None = None

    @model_validator(mode="after")
    def _one_source(self) -> OperatorToken:
        if (self.token_env is None) == (self.token_file is None):
            raise ValueError("give exactly one of token_env and token_file")
        return self


class DeskSettings(Section):
    name: str = "National 24/7 cybercrime contact point"
    official_address: str = "poc247@ncc.gov.example"
    case_prefix: str = Field("WK", pattern=r"^[A-Z]{2,6}$")
    timezone: str = "UTC"
    country: str = ""
    operators: tuple[str, ...] = ()
    supervisors: tuple[str, ...] = ()
    unverified_sender: Literal["accept_and_flag", "ask_resend"] = "accept_and_flag"
    triage_alert_minutes: int = Field(30, ge=1)
    quarantine_alert_minutes: int = Field(15, ge=0)
    office_phone: str = ""
    after_hours_phone: str = ""
    office_hours: str = "Mon-Fri 08:00-18:00"
    default_language: str = "en"
    templates_dir: Path | None = None
    trusted_authserv_id: str | None = None
    command_auth: tuple[Literal["dmarc", "dkim", "received", "secret"], ...] = ()
    internal_relays: tuple[str, ...] = ()
    operator_tokens: dict[str, OperatorToken] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        return _check_zone(v)

    @field_validator("command_auth")
    @classmethod
    def _each_way_once(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v))

    @field_validator("internal_relays")
    @classmethod
    def _relays(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for entry in v:
            text = entry.strip().lower().rstrip(".")
            try:
                out.append(str(ipaddress.ip_network(text, strict=False)))
                continue
            except ValueError:
                pass
            if "/" in text or not _HOST_NAME.match(text) or text.replace(".", "").isdigit():
                raise ValueError(f"{entry!r} is neither a network (10.0.0.0/8, 192.0.2.25) "
                                 "nor a host name")
            out.append(text)
        return tuple(dict.fromkeys(out))

    @field_validator("operator_tokens")
    @classmethod
    def _addresses(cls, v: dict[str, OperatorToken]) -> dict[str, OperatorToken]:
        return {k.strip().lower(): t for k, t in v.items()}

    @model_validator(mode="after")
    def _ways_configured(self) -> DeskSettings:
        ways = self.command_auth
        for way in ("dmarc", "dkim"):
            if way in ways and not self.trusted_authserv_id:
                raise ValueError(
                    f"command_auth names {way} but trusted_authserv_id is not set: give the "
                    "authserv-id your own mail server writes in Authentication-Results")
        if "received" in ways and not self.internal_relays:
            raise ValueError("command_auth names received but internal_relays is empty: "
                             "list the networks and servers of your own network")
        if "secret" in ways and not self.operator_tokens:
            raise ValueError("command_auth names secret but operator_tokens is empty: give "
                             "each operator a token_env or token_file")
        operators = {a.strip().lower() for a in self.operators}
        for address in self.operator_tokens:
            if address not in operators:
                raise ValueError(f"operator_tokens names {address}, which is not in operators")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def operator_token(self, address: str) -> str | None:
        """The command-by-mail token of one operator, read now from its file or variable;
        None when the operator has none. Raises `ConfigError` when it cannot be read or
        is shorter than `MIN_TOKEN_LENGTH`; the message never contains the token."""
        key = address.strip().lower()
        entry = self.operator_tokens.get(key)
        if entry is None:
            return None
        what = f'desk.operator_tokens."{key}".token'
        token = _secret_from(None, entry.token_env, entry.token_file, what)
        if len(token) < MIN_TOKEN_LENGTH:
            raise ConfigError(f"{what}: the token is shorter than {MIN_TOKEN_LENGTH} characters")
        return token


def _check_zone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("expected an IANA time zone such as Europe/Paris") from exc
    return v


class DirectorySettings(Section):
    path: Path | None = None


class SlaSettings(Section):
    start_minutes_emergency: int = Field(30, ge=1)
    start_minutes_urgent: int = Field(120, ge=1)
    start_working_days_normal: int = Field(2, ge=0)
    answer_hours_emergency: int = Field(4, ge=1)
    answer_hours_urgent: int = Field(24, ge=1)
    answer_working_days_normal: int = Field(10, ge=1)
    partner_ack_minutes: int = Field(60, ge=1)
    preservation_days: int = Field(90, ge=60)
    preservation_warn_days: tuple[int, ...] = (14, 3)
    retention_risk_days: int = Field(30, ge=1)
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)


class ScheduleSettings(Section):
    tick_seconds: int = Field(60, ge=1)
    digest_at: time = time(7, 30)
    ping_dates: tuple[str, ...] = ("01-01", "07-01")

    @field_validator("ping_dates")
    @classmethod
    def _month_day(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for item in v:
            if not re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", item):
                raise ValueError(f"expected MM-DD dates, got {item!r}")
        return v


class PingSettings(Section):
    deadline_hours: int = Field(72, ge=1)


class LoggingSettings(Section):
    format: Literal["auto", "console", "json"] = "auto"
    level: Literal["debug", "info", "warning", "error"] = "info"
    file: Path | None = None


class Settings(BaseSettings):
    """Every key, with its default; the commented example file mirrors this class."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    database: DatabaseSettings = DatabaseSettings()
    imap: ImapSettings = ImapSettings()
    smtp: SmtpSettings = SmtpSettings()
    desk: DeskSettings = DeskSettings()
    directory: DirectorySettings = DirectorySettings()
    sla: SlaSettings = SlaSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    ping: PingSettings = PingSettings()
    logging: LoggingSettings = LoggingSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over the file, which init_settings carries.
        return (env_settings, init_settings)


SECRET_KEYS = ("password", "token")


def _describe_error(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    value = err.get("input")
    shown = "<secret>" if any(s in loc for s in SECRET_KEYS) else repr(value)
    if isinstance(value, dict):
        shown = "a table"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if isinstance(value, dict) and err["type"] == "value_error":
        return f"{loc}: {msg}"  # a rule across the keys of one table
    if err["type"] == "extra_forbidden":
        return f"unknown key {loc}"
    if err["type"] == "missing":
        return f"{loc} is required"
    return f"{loc} = {shown}: {msg[0].lower()}{msg[1:]}"


def load_settings(path: Path | str | None = None) -> Settings:
    """Read the TOML file (argument, else $WATCHKEEPER_CONFIG, else none) and the environment."""
    if path is None:
        path = os.environ.get(CONFIG_ENV) or None
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read configuration file {p}: {exc.strerror}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"configuration file {p} is not valid TOML: {exc}") from exc
        for section in ("imap", "smtp"):
            if isinstance(data.get(section), dict) and "password" in data[section]:
                raise ConfigError(
                    f"configuration error: {section}.password must not be written in the file: "
                    f"use {section}.password_env, {section}.password_file or "
                    f"{ENV_PREFIX}{section.upper()}__PASSWORD"
                )
        desk = data.get("desk")
        tokens = desk.get("operator_tokens") if isinstance(desk, dict) else None
        for address, entry in (tokens.items() if isinstance(tokens, dict) else ()):
            if isinstance(entry, dict) and "token" in entry:
                raise ConfigError(
                    f'configuration error: desk.operator_tokens."{address}".token must not be '
                    "written in the file: use token_env or token_file"
                )
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"configuration error: {_describe_error(first)}{suffix}") from None
    return settings


def check_secrets(settings: Settings, *, tokens: bool = True) -> None:
    """Read every configured secret once so a missing file fails at start, not at 3 a.m.

    `tokens=False` leaves out an XOAUTH2 token: the daemon reads one at every login, and
    one that cannot be had now (a refresher late, a refresh token expired) is a refused
    login it reports and waits out, not a reason to refuse to start."""
    if settings.imap.host and (tokens or settings.imap.auth != "xoauth2"):
        settings.imap.secret()
    if settings.smtp.host and settings.smtp.username:
        settings.smtp.secret()
    for address in settings.desk.operator_tokens:
        settings.desk.operator_token(address)


def masked(settings: Settings) -> dict[str, Any]:
    """The effective configuration as plain data with every secret masked."""
    data = settings.model_dump(mode="json")
    for section in ("imap", "smtp"):
        if data[section].get("password") is not None:
            data[section]["password"] = "********"
    url = data["database"]["url"]
    data["database"]["url"] = re.sub(r"://([^:/@]+):[^@]*@", r"://\1:********@", url)
    return data

"""Configuration: file plus environment, validated at start, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import ConfigError, load_settings, masked
from tests.conftest import run_cli


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "watchkeeper.toml"
    path.write_text(text)
    return path


def test_defaults_without_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no file and no environment the embedded defaults apply (SQLite under var/)."""
    monkeypatch.delenv("WATCHKEEPER_CONFIG", raising=False)
    s = load_settings()
    assert s.database.url == "sqlite:///var/watchkeeper.db"
    assert s.smtp.give_up_after_hours == 48
    assert s.smtp.max_auto_replies_per_hour == 5
    assert s.sla.preservation_days == 90


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WATCHKEEPER_<SECTION>__<KEY> wins over the same key in the file."""
    path = _write(tmp_path, '[imap]\nhost = "imap.ncc.gov.example"\nport = 993\n')
    monkeypatch.setenv("WATCHKEEPER_IMAP__PORT", "10993")
    monkeypatch.setenv("WATCHKEEPER_DESK__OPERATORS", '["duty@ncc.gov.example"]')
    s = load_settings(path)
    assert s.imap.host == "imap.ncc.gov.example"
    assert s.imap.port == 10993
    assert s.desk.operators == ("duty@ncc.gov.example",)


def test_config_file_from_environment_variable(tmp_path: Path) -> None:
    """WATCHKEEPER_CONFIG names the file when --config is not given."""
    path = _write(tmp_path, '[desk]\ncase_prefix = "NCC"\n')
    out = run_cli("config", "show", "--json", env={"WATCHKEEPER_CONFIG": str(path)})
    assert out.returncode == 0, out.stderr
    assert '"case_prefix": "NCC"' in out.stdout


def test_config_show_masks_every_secret(tmp_path: Path) -> None:
    """`config show` never prints a password, from the environment or inside the database URL."""
    path = _write(tmp_path, '[database]\nurl = "postgresql+psycopg://wk:dbsecret42@db.example/wk"\n')
    out = run_cli("--config", str(path), "config", "show",
                  env={"WATCHKEEPER_IMAP__PASSWORD": "imapsecret42",
                       "WATCHKEEPER_SMTP__PASSWORD": "smtpsecret42"})
    assert out.returncode == 0, out.stderr
    assert "imapsecret42" not in out.stdout and "smtpsecret42" not in out.stdout
    assert "dbsecret42" not in out.stdout
    assert out.stdout.count("********") == 3


@pytest.mark.parametrize(
    "text,env,expected",
    [
        ('[imap]\nport = "nine"\n', {}, "imap.port = 'nine'"),
        ("[smtp]\nport = 70000\n", {}, "smtp.port = 70000"),
        ("", {"WATCHKEEPER_IMAP__PORT": "0"}, "imap.port = '0'"),
        ('[desk]\ntimezone = "Europe/Atlantis"\n', {}, "expected an IANA time zone"),
        ('[imap]\nhost = "imap.example"\ntls = "none"\n', {}, "allow_insecure"),
        ('[imap]\npassword = "x"\n', {}, "imap.password must not be written in the file"),
        ("[nonsense]\nkey = 1\n", {}, "unknown key nonsense"),
        ("[imap\n", {}, "is not valid TOML"),
    ],
)
def test_bad_value_gives_one_line_and_exit_2(
    tmp_path: Path, text: str, env: dict[str, str], expected: str
) -> None:
    """A bad value stops the program with one line naming the key and value, exit code 2."""
    path = _write(tmp_path, text)
    out = run_cli("--config", str(path), "config", "show", env=env)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1, out.stderr
    assert expected in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_required_key_for_run(tmp_path: Path) -> None:
    """`run` without an IMAP host names the missing key, exit code 2."""
    out = run_cli("--config", str(_write(tmp_path, "")), "run", "--once", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "watchkeeper: configuration error: imap.host is required to run the daemon"
    )


def test_unreadable_password_file(tmp_path: Path) -> None:
    """A password file that cannot be read is one clear line and exit code 2."""
    text = (
        '[imap]\nhost = "127.0.0.1"\nusername = "desk"\ntls = "none"\n'
        f'password_file = "{tmp_path / "missing.secret"}"\n'
    )
    out = run_cli("--config", str(_write(tmp_path, text)), "config", "check")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert "imap.password_file: cannot read" in out.stderr
    assert "missing.secret" in out.stderr


def test_password_env_names_an_unset_variable(tmp_path: Path) -> None:
    """password_env naming an unset variable is reported with the variable's name only."""
    text = '[smtp]\nhost = "smtp.example"\nusername = "desk"\npassword_env = "WK_NOT_SET"\n'
    out = run_cli("--config", str(_write(tmp_path, text)), "config", "check")
    assert out.returncode == 2
    assert "smtp.password_env: environment variable WK_NOT_SET is not set" in out.stderr


def test_password_from_file_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets are read from a *_file or a *_env key, and masked in the effective config."""
    secret = tmp_path / "imap.secret"
    secret.write_text("from-file\n")
    monkeypatch.setenv("WK_SMTP_PW", "from-env")
    s = load_settings(_write(tmp_path, (
        f'[imap]\npassword_file = "{secret}"\n[smtp]\npassword_env = "WK_SMTP_PW"\n')))
    assert s.imap.secret() == "from-file"
    assert s.smtp.secret() == "from-env"
    assert "from-file" not in str(masked(s)) and "from-env" not in str(masked(s))


def test_unknown_config_path_is_one_line() -> None:
    """A --config path that does not exist is one line naming it."""
    with pytest.raises(ConfigError, match=r"cannot read configuration file /nonexistent\.toml"):
        load_settings("/nonexistent.toml")


def test_example_config_is_valid_and_complete() -> None:
    """The commented example file loads and mentions every key of every section."""
    example = Path(__file__).resolve().parents[1] / "config" / "watchkeeper.example.toml"
    text = example.read_text()
    s = load_settings(example)
    for section, values in s.model_dump().items():
        assert f"[{section}]" in text, section
        for key in values:
            assert f"{key} =" in text, f"{section}.{key} is not documented in the example"

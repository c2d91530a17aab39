"""Sign-in settings, identities, loopback addresses and ``coauthor studio``'s refusal to
serve an open address without sign-in (the launch itself is recorded, not run)."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coauthor.cli import app
from coauthor.cli import studio as studio_cli
from coauthor.signin import (
    OidcConfig,
    SignInConfigError,
    expired,
    is_loopback,
    member_name,
    shown_name,
    write_secrets,
)

FULL = {
    "COAUTHOR_OIDC_SERVER_METADATA_URL": "https://id.example.org/.well-known/openid-configuration",
    "COAUTHOR_OIDC_CLIENT_ID": "studio",
    "COAUTHOR_OIDC_CLIENT_SECRET": 'se"cret\\with\nodd characters',
    "COAUTHOR_OIDC_REDIRECT_URI": "https://studio.example.org/oauth2callback",
}


def test_no_variables_means_no_sign_in_and_a_partial_set_is_refused() -> None:
    assert OidcConfig.from_env({"COAUTHOR_MODEL": "local"}) is None
    with pytest.raises(SignInConfigError, match="COAUTHOR_OIDC_CLIENT_SECRET"):
        OidcConfig.from_env({k: v for k, v in FULL.items() if "SECRET" not in k})
    bad = {**FULL, "COAUTHOR_OIDC_REDIRECT_URI": "https://studio.example.org/"}
    with pytest.raises(SignInConfigError, match="oauth2callback"):
        OidcConfig.from_env(bad)


def test_the_secrets_file_is_streamlits_auth_section_readable_only_by_its_owner(
    tmp_path: Path,
) -> None:
    config = OidcConfig.from_env(FULL)
    assert config is not None
    assert 'se"cret' not in repr(config) and config.cookie_secret not in repr(config)
    path = write_secrets(config, tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    auth = tomllib.loads(path.read_text())["auth"]
    assert auth == {
        "server_metadata_url": FULL["COAUTHOR_OIDC_SERVER_METADATA_URL"],
        "client_id": "studio",
        "client_secret": FULL["COAUTHOR_OIDC_CLIENT_SECRET"],
        "redirect_uri": FULL["COAUTHOR_OIDC_REDIRECT_URI"],
        "cookie_secret": config.cookie_secret,
    }
    assert len(config.cookie_secret) >= 32
    other = OidcConfig.from_env(FULL)
    assert other is not None and other.cookie_secret != config.cookie_secret
    fixed = OidcConfig.from_env({**FULL, "COAUTHOR_OIDC_COOKIE_SECRET": "kept-across-restarts"})
    assert fixed is not None and fixed.cookie_secret == "kept-across-restarts"


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("", False),
        ("::", False),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
    ],
)
def test_loopback_addresses(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_a_signed_in_identity_is_its_verified_email_else_its_subject() -> None:
    assert member_name({"email": " Ann@Example.ORG ", "sub": "1"}) == "ann@example.org"
    assert member_name({"email": "ann@example.org", "email_verified": False, "sub": "7"}) == "7"
    assert member_name({"sub": "abc"}) == "abc"
    with pytest.raises(SignInConfigError):
        member_name({"name": "Nobody"})
    assert shown_name({"name": "Ann Lee", "preferred_username": "ann"}) == "Ann Lee"
    assert shown_name({"preferred_username": "ann"}) == "ann"
    assert shown_name({}) == ""


def test_a_session_expires_with_the_id_token() -> None:
    assert expired({"exp": 100}, now=100)
    assert not expired({"exp": 101}, now=100)
    assert not expired({}, now=100)
    assert not expired({"exp": True}, now=100)


class Launches:
    def __init__(self) -> None:
        self.commands: list[list[str]] = []
        self.environments: list[dict[str, str]] = []
        self.secrets: list[str] = []

    def __call__(self, command: list[str], env: dict[str, str]) -> Launches:
        self.commands.append(command)
        self.environments.append(env)
        if "--secrets.files" in command:
            secrets = Path(command[command.index("--secrets.files") + 1])
            self.secrets.append(secrets.read_text())
        return self

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def poll(self) -> int:
        return 0


@pytest.fixture
def launches(monkeypatch: pytest.MonkeyPatch) -> Launches:
    recorded = Launches()
    monkeypatch.setattr(studio_cli.subprocess, "Popen", recorded)
    monkeypatch.setenv("COAUTHOR_STUDIO_WORKERS", "0")  # only the studio's own command
    for key in FULL:
        monkeypatch.delenv(key, raising=False)
    return recorded


def test_the_studio_refuses_an_open_address_without_sign_in(launches: Launches) -> None:
    result = CliRunner().invoke(app, ["studio", "--address", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to serve '0.0.0.0' without sign-in" in result.output
    assert launches.commands == []


def test_forcing_an_open_address_warns_and_tells_the_studio(launches: Launches) -> None:
    result = CliRunner().invoke(app, ["studio", "--address", "0.0.0.0", "--force-open"])
    assert result.exit_code == 0, result.output
    assert "WITHOUT sign-in" in result.output
    [command] = launches.commands
    assert command[command.index("--server.address") + 1] == "0.0.0.0"
    assert "--secrets.files" not in command
    assert launches.environments[0]["COAUTHOR_FORCE_OPEN"] == "1"


def test_the_default_studio_is_single_user_on_loopback(launches: Launches) -> None:
    result = CliRunner().invoke(app, ["studio", "--port", "8765"])
    assert result.exit_code == 0, result.output
    assert "single-user" in result.output
    [command] = launches.commands
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8765"
    assert launches.environments[0]["COAUTHOR_FORCE_OPEN"] == "0"


def test_with_sign_in_an_open_address_is_served_and_the_secrets_leave_no_trace(
    launches: Launches, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in FULL.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["studio", "--address", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert FULL["COAUTHOR_OIDC_CLIENT_SECRET"] not in result.output
    [command] = launches.commands
    secrets = Path(command[command.index("--secrets.files") + 1])
    assert "[auth]" in launches.secrets[0] and 'se\\"cret' in launches.secrets[0]
    assert not secrets.exists() and not secrets.parent.exists()

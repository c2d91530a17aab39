"""Sign-in for a team's studio: the OpenID Connect settings, the secrets file Streamlit's
``st.login`` reads, who a signed-in identity is, and which addresses are private.

Co-Author configures the sign-in from the environment only (``COAUTHOR_OIDC_*``):
``coauthor studio`` writes them into a ``secrets.toml`` in a private temporary folder
(mode 0700/0600), hands that file to ``streamlit run --secrets.files``, and deletes it
when the studio stops. Secrets never reach the database, a log or an export. This module
is core: it never imports streamlit.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_PREFIX = "COAUTHOR_OIDC_"
REQUIRED = ("SERVER_METADATA_URL", "CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI")
FORCE_OPEN_ENV = "COAUTHOR_FORCE_OPEN"
"""Set to 1 by ``coauthor studio --force-open``: the studio then serves a non-loopback
address without sign-in (it says so on every page)."""


class SignInConfigError(ValueError):
    """The ``COAUTHOR_OIDC_*`` variables are incomplete or invalid."""


@dataclass(frozen=True)
class OidcConfig:
    """The provider the studio signs in with (Streamlit's ``[auth]`` section)."""

    server_metadata_url: str
    client_id: str
    client_secret: str
    redirect_uri: str
    cookie_secret: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OidcConfig | None:
        """The configured provider, None when no ``COAUTHOR_OIDC_*`` variable is set.

        Raises SignInConfigError naming the missing variables when only some are set.
        ``COAUTHOR_OIDC_COOKIE_SECRET`` is optional: without it a random one is made per
        start, so sessions end when the studio restarts."""
        source = os.environ if env is None else env
        values = {
            key[len(ENV_PREFIX) :]: value.strip()
            for key, value in source.items()
            if key.startswith(ENV_PREFIX) and value.strip()
        }
        if not values:
            return None
        missing = [ENV_PREFIX + name for name in REQUIRED if name not in values]
        if missing:
            raise SignInConfigError("sign-in needs " + ", ".join(missing))
        redirect = values["REDIRECT_URI"]
        if not redirect.rstrip("/").endswith("/oauth2callback"):
            raise SignInConfigError(
                f"{ENV_PREFIX}REDIRECT_URI must end in /oauth2callback (got {redirect!r})"
            )
        return cls(
            server_metadata_url=values["SERVER_METADATA_URL"],
            client_id=values["CLIENT_ID"],
            client_secret=values["CLIENT_SECRET"],
            redirect_uri=redirect,
            cookie_secret=values.get("COOKIE_SECRET") or secrets.token_urlsafe(32),
        )

    def secrets_toml(self) -> str:
        """Streamlit's ``[auth]`` section (JSON strings are valid TOML basic strings)."""
        lines = ["[auth]"]
        for key in (
            "redirect_uri",
            "cookie_secret",
            "client_id",
            "client_secret",
            "server_metadata_url",
        ):
            lines.append(f"{key} = {json.dumps(getattr(self, key))}")
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:  # never print the secrets
        return f"OidcConfig(server_metadata_url={self.server_metadata_url!r}, ...)"


def write_secrets(config: OidcConfig, folder: Path) -> Path:
    """Write ``secrets.toml`` readable by this OS user only; returns its path."""
    folder.chmod(0o700)
    path = folder / "secrets.toml"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(config.secrets_toml())
    return path


def is_loopback(address: str) -> bool:
    """Whether a listening address is reachable from this machine only.

    An empty address (Streamlit's default: every interface) is not; a host name counts
    only when every address it resolves to is a loopback one."""
    address = address.strip().strip("[]")
    if not address:
        return False
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        pass
    try:
        found = {info[4][0] for info in socket.getaddrinfo(address, None)}
    except OSError:
        return False
    return bool(found) and all(
        ipaddress.ip_address(str(host).split("%")[0]).is_loopback for host in found
    )


def member_name(claims: Mapping[str, object]) -> str:
    """The Co-Author user name of a signed-in identity: its e-mail (lower case) when the
    provider gives one that is not marked unverified, else the provider's subject."""
    email = claims.get("email")
    if isinstance(email, str) and email.strip() and claims.get("email_verified") is not False:
        return email.strip().lower()
    subject = claims.get("sub")
    if isinstance(subject, str | int) and str(subject).strip():
        return str(subject).strip()
    raise SignInConfigError("the provider named neither an e-mail nor a subject")


def shown_name(claims: Mapping[str, object]) -> str:
    """The person's name as the provider gives it (empty when it gives none)."""
    for key in ("name", "preferred_username", "given_name"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def expired(claims: Mapping[str, object], *, now: float | None = None) -> bool:
    """Whether the provider's ID token (its ``exp`` claim) has run out; a session without
    ``exp`` is not expired here (Streamlit's own cookie lasts 30 days)."""
    expiry = claims.get("exp")
    if isinstance(expiry, bool) or not isinstance(expiry, int | float):
        return False
    return expiry <= (time.time() if now is None else now)

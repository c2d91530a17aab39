"""Who may use the studio: Streamlit's ``st.login`` with the team's OpenID Connect provider
when ``[auth]`` is configured, otherwise single-user mode on a loopback address.

``admitted()`` runs first on every rerun. When it returns False it has already drawn the
only page a visitor gets (the sign-in prompt, an expired session, a stranger's page or the
refusal to serve an open address), whatever page the URL asked for.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st

from coauthor.signin import FORCE_OPEN_ENV, expired, is_loopback, member_name, shown_name
from coauthor.store import PermissionDenied, TeamError
from coauthor.ui import resources

OPEN_REFUSED = (
    "This studio listens on {address!r}, an address other machines can reach, and no "
    "sign-in is configured: anyone who can open it would act as {user!r}. It shows "
    'nothing until you set the COAUTHOR_OIDC_* variables (see the README, "Running the '
    'studio for a team"), or bind it to 127.0.0.1, or start it with `coauthor studio '
    "--force-open`."
)


def configured() -> bool:
    """Whether an OpenID Connect provider is configured (``[auth]`` in the secrets)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, OSError):  # no secrets file, or one Streamlit cannot parse
        return False


def forced_open() -> bool:
    return os.environ.get(FORCE_OPEN_ENV) == "1"


def listening_address() -> str:
    return str(st.get_option("server.address") or "")


def _only(view: Callable[[], None], title: str, paths: list[str]) -> None:
    """Draw ``view`` as the one page of the app, whatever the URL asked for: every page's
    address shows it (so a deep link gets no "page not found" dialog)."""
    pages = [st.Page(view, title=title, icon=":material/lock:", default=True)]
    pages += [
        st.Page(view, title=title, icon=":material/lock:", url_path=path) for path in paths if path
    ]
    st.navigation(pages, position="hidden").run()


def _sign_in_prompt() -> None:
    st.title("Co-Author studio")
    st.info("This studio belongs to a team. Sign in to continue.", icon=":material/lock:")
    if st.button("Sign in", type="primary", icon=":material/login:"):
        st.login()


def _expired_prompt() -> None:
    st.title("Co-Author studio")
    st.warning("Your session has expired. Sign in again to continue.", icon=":material/timer:")
    if st.button("Sign in again", type="primary", icon=":material/login:"):
        st.login()
    if st.button("Sign out", icon=":material/logout:"):
        st.logout()


def _stranger(name: str) -> Callable[[], None]:
    def view() -> None:
        st.title("Co-Author studio")
        st.error(
            f"You are signed in as {name}, who is not a member of this team. Ask an admin "
            f"to add you (Team page, or `coauthor users add {name} --role author`), then "
            "reload this page.",
            icon=":material/person_off:",
        )
        if st.button("Sign out", icon=":material/logout:"):
            st.logout()

    return view


def _refused() -> None:
    st.title("Co-Author studio")
    st.error(
        OPEN_REFUSED.format(address=listening_address(), user=resources.current_user()),
        icon=":material/public_off:",
    )


def admitted(url_paths: list[str]) -> bool:
    """Sign the visitor in (or keep single-user mode); False when they may not go on.

    ``url_paths`` are the studio's page addresses: a visitor who may not go on gets the
    same page under each of them."""
    if not configured():
        st.session_state.pop(resources.USER_KEY, None)
        if is_loopback(listening_address()) or forced_open():
            return True
        _only(_refused, "Not served", url_paths)
        return False
    user = st.user.to_dict()
    if user.get("is_logged_in") is not True:
        st.session_state.pop(resources.USER_KEY, None)
        _only(_sign_in_prompt, "Sign in", url_paths)
        return False
    if expired(user):
        st.session_state.pop(resources.USER_KEY, None)
        _only(_expired_prompt, "Sign in", url_paths)
        return False
    try:
        name = member_name(user)
    except ValueError as exc:
        st.error(str(exc))
        return False
    if st.session_state.get(resources.USER_KEY) != name:
        try:
            resources.sign_in(name, display_name=shown_name(user))
        except (PermissionDenied, TeamError):
            st.session_state.pop(resources.USER_KEY, None)
            _only(_stranger(name), "Not a member", url_paths)
            return False
        st.session_state[resources.USER_KEY] = name
    return True


def _sign_out() -> None:
    st.session_state.pop(resources.USER_KEY, None)
    st.logout()


def sidebar() -> None:
    """Who is signed in and until when, with the sign-out button; or the single-user note."""
    if configured():
        expiry = st.user.to_dict().get("exp")
        if isinstance(expiry, int | float) and not isinstance(expiry, bool):
            until = datetime.fromtimestamp(expiry, UTC).strftime("%Y-%m-%d %H:%M UTC")
            st.caption(f"Session ends {until}")
        # A callback runs before the page is drawn, so the run after the click already
        # shows the sign-in prompt while the browser is sent to clear its cookie.
        st.button("Sign out", icon=":material/logout:", key="signin_sign_out", on_click=_sign_out)
    elif forced_open() and not is_loopback(listening_address()):
        st.warning(
            "Open without sign-in: anyone who can reach this address acts as "
            f"{resources.current_user()}.",
            icon=":material/warning:",
        )

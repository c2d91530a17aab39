"""A small OpenID Connect provider for the sign-in tests, served on 127.0.0.1.

Why hand-written: Authlib's server side (``authlib.oauth2``/``authlib.oidc.core``) needs a
web framework integration (Flask or Django, neither a dependency here) plus grant, client
and code models to wire up; ``oidc-provider`` from npm needs Node packages from another
registry. What the studio's client (Authlib's Starlette client inside Streamlit) relies on
is small and standard, so this serves exactly that with the standard library's HTTP
server and joserfc (installed with Authlib) for the RS256 signatures:

- ``/.well-known/openid-configuration`` (discovery, with S256 PKCE advertised),
- ``/authorize``: a consent form listing the test users; choosing one redirects back
  with a one-time code bound to the client, redirect URI, nonce and PKCE challenge,
- ``/token``: checks the client's secret (basic or post), the code, the redirect URI and
  the PKCE verifier, and returns an ID token signed with a key generated per start,
- ``/jwks``, ``/userinfo``.

``token_lifetime`` (and ``lifetime_of`` per person) sets the ID token's ``exp``, so a test
can sign in with a token that has already run out (Authlib's client accepts it within its
two-minute leeway) and see the studio end that session.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypedDict

from joserfc import jwt
from joserfc.jwk import RSAKey


class Person(TypedDict):
    sub: str
    email: str
    name: str


@dataclass
class Grant:
    person: Person
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str | None


@dataclass
class Provider:
    """The provider's state; ``start()`` serves it, ``stop()`` ends it."""

    client_id: str
    client_secret: str
    people: list[Person]
    token_lifetime: int = 3600
    lifetime_of: dict[str, int] = field(default_factory=dict)
    """Per subject, an ID token lifetime other than ``token_lifetime`` (may be negative)."""
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test"})
    )
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, Person] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self) -> Provider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                provider.get(self)

            def do_POST(self) -> None:
                provider.post(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def discovery(self) -> dict[str, object]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def get(self, request: BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(request.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/.well-known/openid-configuration":
            send_json(request, 200, self.discovery())
        elif url.path == "/jwks":
            send_json(request, 200, {"keys": [self.key.as_dict(private=False)]})
        elif url.path == "/authorize":
            self.consent(request, query)
        elif url.path == "/userinfo":
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            person = self.tokens.get(token)
            if person is None:
                send_json(request, 401, {"error": "invalid_token"})
            else:
                send_json(request, 200, dict(person))
        else:
            send_json(request, 404, {"error": "not_found"})

    def consent(self, request: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            send_json(request, 400, {"error": "invalid_request"})
            return
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        buttons = "".join(
            f'<button name="sub" value="{html.escape(p["sub"])}">Continue as '
            f"{html.escape(p['name'])}</button>"
            for p in self.people
        )
        page = "<html><body><h1>Test provider</h1><form method='post' action='/authorize'>"
        page += f"{hidden}{buttons}</form></body></html>"
        send(request, 200, page.encode(), "text/html; charset=utf-8")

    def post(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", "0"))
        form = dict(urllib.parse.parse_qsl(request.rfile.read(length).decode()))
        path = urllib.parse.urlsplit(request.path).path
        if path == "/authorize":
            self.approve(request, form)
        elif path == "/token":
            self.token(request, form)
        else:
            send_json(request, 404, {"error": "not_found"})

    def approve(self, request: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        [person] = [p for p in self.people if p["sub"] == form.get("sub")]
        code = secrets.token_urlsafe(16)
        self.codes[code] = Grant(
            person,
            form["client_id"],
            form["redirect_uri"],
            form.get("nonce"),
            form.get("code_challenge"),
        )
        back = {"code": code, **({"state": form["state"]} if "state" in form else {})}
        request.send_response(302)
        request.send_header("Location", f"{form['redirect_uri']}?{urllib.parse.urlencode(back)}")
        request.end_headers()

    def token(self, request: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            pair = base64.b64decode(basic[6:]).decode()
            client_id, secret = (urllib.parse.unquote(p) for p in pair.split(":", 1))
        if client_id != self.client_id or secret != self.client_secret:
            send_json(request, 401, {"error": "invalid_client"})
            return
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant.client_id != client_id:
            send_json(request, 400, {"error": "invalid_grant"})
            return
        if form.get("redirect_uri") != grant.redirect_uri:
            send_json(request, 400, {"error": "invalid_grant", "error_description": "uri"})
            return
        if grant.challenge is not None:
            verifier = form.get("code_verifier", "").encode()
            digest = hashlib.sha256(verifier).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
                send_json(request, 400, {"error": "invalid_grant", "error_description": "pkce"})
                return
        now = int(time.time())
        lifetime = self.lifetime_of.get(grant.person["sub"], self.token_lifetime)
        claims: dict[str, object] = {
            "iss": self.issuer,
            "aud": client_id,
            "iat": now,
            "exp": now + lifetime,
            **grant.person,
            "email_verified": True,
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        id_token = jwt.encode({"alg": "RS256", "kid": "test"}, claims, self.key)
        access = secrets.token_urlsafe(16)
        self.tokens[access] = grant.person
        self.issued.append(grant.person["sub"])
        send_json(
            request,
            200,
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "id_token": id_token,
            },
        )


def send(request: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
    request.send_response(status)
    request.send_header("Content-Type", kind)
    request.send_header("Content-Length", str(len(body)))
    request.send_header("Cache-Control", "no-store")
    request.end_headers()
    request.wfile.write(body)


def send_json(request: BaseHTTPRequestHandler, status: int, body: dict[str, object]) -> None:
    send(request, status, json.dumps(body).encode(), "application/json")

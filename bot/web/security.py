"""The web channel's protections: response headers (CSP and friends), signed cookies, CSRF tokens, body caps.

- Every response carries a Content-Security-Policy that allows nothing but this site's own files
  (no inline script or style at all), and is never cached unless it is a static file.
- The session cookie carries a random token signed with a key derived from the deployment's
  Keyring; the database keeps only the token's SHA-256 (knowledge.websessions).
- CSRF: a signed-in form carries a token derived from the session (synchronizer token, nothing
  stored); the sign-in forms, before any session exists, carry a random token that must match a
  signed cookie (double submit).
- A request body is read with a cap, whatever its Content-Length says.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, Signer
from starlette.datastructures import FormData, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from knowledge.keys import Keyring
from knowledge.websessions import token_hash

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
STATIC_PREFIX = "/static/"
FORM_BYTES = 64_000  # a question, a session's minutes: forms are small
CSRF_FIELD = "csrf"


class SecurityHeaders:
    """ASGI middleware: the same protective headers on every response, no-store on everything dynamic."""

    def __init__(self, app: ASGIApp, secure: bool = False):
        self.app = app
        self.headers = {
            "content-security-policy": CSP,
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",  # a page's address never leaves with a link
            "x-frame-options": "DENY",
            "cross-origin-opener-policy": "same-origin",
            "permissions-policy": "camera=(), microphone=(), geolocation=()",
        }
        if secure:
            self.headers["strict-transport-security"] = "max-age=31536000"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
                if "cache-control" not in headers:
                    # Pages hold names, records and codes: no shared or back-button cache keeps them.
                    headers["cache-control"] = "public, max-age=86400" if static else "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Cookies:
    """The session and sign-in-form cookies, signed with a key only this deployment has."""

    def __init__(self, keyring: Keyring, secure: bool):
        key = keyring.digest("web-cookie", "v1")
        self.keyring = keyring
        self.secure = secure
        self._session = Signer(key, salt="xuefa-web-session", digest_method=hashlib.sha256)
        self._login = Signer(key, salt="xuefa-web-login-csrf", digest_method=hashlib.sha256)
        # Over HTTPS the __Host- prefix makes browsers refuse the cookie from any other host or path.
        prefix = "__Host-" if secure else ""
        self.session_name = prefix + "xuefa"
        self.login_name = prefix + "xuefa-login"

    # --- the session ----------------------------------------------------------------------

    def session_token(self, request: Request) -> str | None:
        """Return the session token a request carries, if its signature is ours."""
        return _unsign(self._session, request.cookies.get(self.session_name))

    def set_session(self, response: Response, token: str, max_age: int | None) -> None:
        """Give the browser its session token (HttpOnly, SameSite=Lax so links from WeChat keep it)."""
        response.set_cookie(
            self.session_name, self._session.sign(token).decode(), max_age=max_age, path="/",
            secure=self.secure, httponly=True, samesite="lax",
        )

    def clear_session(self, response: Response) -> None:
        """Remove the session cookie."""
        response.delete_cookie(self.session_name, path="/", secure=self.secure, httponly=True, samesite="lax")

    def session_csrf(self, token: str) -> str:
        """Return the CSRF token of a session: derived from it, so nothing more is stored."""
        return self.keyring.digest("web-csrf", token_hash(token))[:32]

    # --- the sign-in forms ----------------------------------------------------------------

    def login_csrf(self, request: Request) -> str | None:
        """Return the sign-in form token from its cookie, if the cookie's signature is ours."""
        return _unsign(self._login, request.cookies.get(self.login_name))

    def set_login_csrf(self, response: Response, token: str) -> None:
        """Store a sign-in form token in a signed cookie (double submit: the form carries it too)."""
        response.set_cookie(
            self.login_name, self._login.sign(token).decode(), max_age=3600 * 12, path="/",
            secure=self.secure, httponly=True, samesite="strict",
        )


def new_csrf() -> str:
    """Return a fresh random form token."""
    return secrets.token_urlsafe(24)


def same_token(expected: str | None, given: str | None) -> bool:
    """Compare form tokens in constant time; a missing one never matches."""
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def _unsign(signer: Signer, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return signer.unsign(value).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


class TooLarge(Exception):
    """A request body over the cap."""


async def read_form(request: Request, limit: int, max_files: int = 0) -> FormData:
    """Parse a form (urlencoded or multipart) while counting the bytes actually received.

    Content-Length is only a claim: a client can leave it out or lie, so the body is counted as
    it arrives and parsing stops at the cap.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge()
    received = 0
    upstream = request.receive

    async def capped() -> Message:
        nonlocal received
        message = await upstream()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise TooLarge()
        return message

    return await Request(request.scope, capped).form(
        max_files=max_files, max_fields=200, max_part_size=FORM_BYTES
    )


def client_address(request: Request) -> str:
    """Return the client's address (uvicorn has applied X-Forwarded-For from a trusted proxy)."""
    return request.client.host if request.client else "unknown"

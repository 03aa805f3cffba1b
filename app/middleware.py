"""One pure-ASGI middleware for what every response needs: locale, anonymous id, size limit, headers."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import orjson
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n
from app.errors import PayloadTooLarge
from app.i18n import _
from app.security import new_token

ANON_COOKIE = "tribune_anon"
LOCALE_COOKIE = "tribune_lang"
SESSION_COOKIE = "tribune_session"
MAX_BODY_BYTES = 64 * 1024
# What a route's form or JSON may weigh at most when it carries the longest text its fields accept,
# in any script: up to 12 bytes a character (an emoji percent-encoded, or a JSON surrogate pair).
COMMENT_BODY_BYTES = 10_000 * 12 + 8 * 1024  # a comment of 10,000 characters
ARTICLE_BODY_BYTES = (200_000 + 2 * 2000 + 6 * 300) * 12 + 16 * 1024  # an article of 200,000 characters
IMPORT_BODY_BYTES = 256 * 1024 + 16 * 1024  # a 256 KiB Markdown file, in its multipart envelope
# Routes whose bodies may exceed MAX_BODY_BYTES, by (method, route template); the others keep it.
BODY_LIMITS: dict[tuple[str, str], int] = {
    ("POST", "/api/v1/articles/{slug}/comments"): COMMENT_BODY_BYTES,
    ("PATCH", "/api/v1/comments/{comment_id}"): COMMENT_BODY_BYTES,
    ("POST", "/articles/{slug}/comments"): COMMENT_BODY_BYTES,
    ("POST", "/comments/{comment_id}/edit"): COMMENT_BODY_BYTES,
    ("POST", "/comments/preview"): COMMENT_BODY_BYTES,
    ("POST", "/api/v1/articles"): ARTICLE_BODY_BYTES,
    ("PATCH", "/api/v1/articles/{slug}"): ARTICLE_BODY_BYTES,
    ("POST", "/editor/articles"): ARTICLE_BODY_BYTES,
    ("POST", "/editor/articles/{slug}"): ARTICLE_BODY_BYTES,
    ("POST", "/editor/articles/{slug}/settings"): ARTICLE_BODY_BYTES,
    ("POST", "/editor/preview"): ARTICLE_BODY_BYTES,
    ("POST", "/editor/import"): IMPORT_BODY_BYTES,
}
RouteOf = Callable[[Scope], "tuple[str, str] | None"]
# GET routes that sign a reader in (single sign-on, issue 17: a link or a redirect brings the browser
# there): they write like a POST, so they begin as writers and queue at SQLite's write gate like one.
WRITING_GETS = frozenset({"/sso", "/sso/oidc/callback"})


def writes(method: str, path: str) -> bool:
    return method in ("POST", "PUT", "PATCH", "DELETE") or path in WRITING_GETS


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
BASE_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
EMBED_PREFIX = "/embed/"


def site_headers(origins: list[str]) -> list[tuple[bytes, bytes]]:
    """Every answer's headers. With sites that embed the debate (TRIBUNE_EMBED_ORIGINS), a form may
    lead to them: signing in from the frame ends with a redirect back to the newsroom's page, and
    form-action also governs a form's redirects."""
    if not origins:
        return BASE_HEADERS
    policy = CSP.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))
    return [(b"content-security-policy", policy.encode()), *BASE_HEADERS[1:]]


def embed_headers(origins: list[str]) -> list[tuple[bytes, bytes]]:
    """The headers of /embed/* (issue 17): the same, but the newsroom's sites (TRIBUNE_EMBED_ORIGINS)
    may frame it, and no X-Frame-Options (it cannot name them; frame-ancestors supersedes it)."""
    ancestors = " ".join(origins) or "'none'"
    site = site_headers(origins)
    policy = site[0][1].decode().replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")
    return [
        (b"content-security-policy", policy.encode()),
        *(h for h in site[1:] if h[0] != b"x-frame-options"),
    ]


def _cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies, parsed as Starlette's Request.cookies does (SimpleCookie cost ten times
    more, on every request)."""
    jar: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar.update(cookie_parser(value.decode("latin-1")))
    return jar


class TribuneMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        https: bool = False,
        default_locale: str = "fr",
        route_of: RouteOf | None = None,
        embed_origins: list[str] | None = None,
    ) -> None:
        self.app = app
        self.site_headers = site_headers(embed_origins or [])
        self.embed_headers = embed_headers(embed_origins or [])
        self.https = https
        self.default_locale = default_locale
        # (method, route template) of the route a request will reach (routing.RouteIndex.route_of).
        self.route_of = route_of

    def body_limit(self, scope: Scope) -> int:
        """The most bytes this request's body may have: its route's limit, else MAX_BODY_BYTES."""
        found = self.route_of(scope) if self.route_of is not None else None
        return BODY_LIMITS.get(found, MAX_BODY_BYTES) if found is not None else MAX_BODY_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_static = path.startswith("/static/")
        headers = dict(scope.get("headers", []))
        jar = _cookies(scope)

        chosen = jar.get(LOCALE_COOKIE)
        locale = chosen if chosen in i18n.LOCALES else None
        if locale is None:
            accept = headers.get(b"accept-language", b"").decode("latin-1")
            locale = i18n.negotiate(accept, self.default_locale)
        i18n.activate(locale)

        state: dict[str, Any] = scope.setdefault("state", {})
        state["locale"] = locale
        anon = jar.get(ANON_COOKIE)
        new_anon = None
        if anon and 20 <= len(anon) <= 64:
            state["anon_id"] = anon
        else:
            new_anon = new_token()
            state["anon_id"] = new_anon
        signed_in = SESSION_COOKIE in jar

        # The route is looked up only for a body that may exceed the common limit.
        limit = MAX_BODY_BYTES
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = 0
            if declared > limit:
                limit = self.body_limit(scope)
            if declared > limit:
                await self._too_large(scope, send, limit)
                return

        received = 0
        if length is None and scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            # A body sent without Content-Length (chunked) is read here, up to the limit, so that an
            # oversized one gets its 413 before the application starts parsing it.
            limit = self.body_limit(scope)
            try:
                _body, receive = await read_body(receive, limit=limit)
            except PayloadTooLarge:
                await self._too_large(scope, send, limit)
                return

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                out = list(message.get("headers", []))
                names = {name.lower() for name, _value in out}
                base = self.embed_headers if path.startswith(EMBED_PREFIX) else self.site_headers
                out.extend(h for h in base if h[0] not in names)
                if not is_static and b"cache-control" not in names:
                    out.append((b"cache-control", b"no-store" if signed_in else b"no-cache"))
                if new_anon and not is_static:
                    cookie = f"{ANON_COOKIE}={new_anon}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000"
                    if self.https:
                        cookie += "; Secure"
                    out.append((b"set-cookie", cookie.encode()))
                message = {**message, "headers": out}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception:
            # A bug: answer the 500 here, with the same security headers as every other answer
            # (Starlette's outer error middleware would send a bare one), then let the server log it.
            if not started:
                await self._server_error(scope, send)
            raise

    async def _server_error(self, scope: Scope, send: Send) -> None:
        message = _("Erreur interne : l’équipe en est informée. Réessayez plus tard.")
        await answer(scope, send, 500, "internal_error", message, [(b"cache-control", b"no-store")])

    async def _too_large(self, scope: Scope, send: Send, limit: int) -> None:
        message = str(too_large(limit))
        await answer(scope, send, 413, "payload_too_large", message, [(b"connection", b"close")])


def too_large(limit: int = MAX_BODY_BYTES) -> PayloadTooLarge:
    """The one refusal of a body over its route's limit, wherever it is noticed."""
    return PayloadTooLarge(_("Requête trop volumineuse ({size} Kio au plus).").format(size=limit // 1024))


async def answer(
    scope: Scope, send: Send, status: int, kind: str, message: str, headers: list[tuple[bytes, bytes]]
) -> None:
    """An error answered here, before or around the application: JSON for the API, else a page."""
    if scope["path"].startswith("/api/"):
        body = orjson.dumps({"error": kind, "detail": message})
        content_type = b"application/json"
    else:
        body = f"<!doctype html><title>{status}</title><p>{escape(message)}</p>".encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
                *BASE_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive, *, limit: int | None = None) -> tuple[bytes, Receive]:
    """The whole body, and a receive that gives it again (to the application behind whoever read it
    first). Over limit bytes: PayloadTooLarge (too_large)."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return b"".join(chunks), replay

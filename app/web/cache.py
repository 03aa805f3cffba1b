"""The anonymous fast path: a GET of an article page, of its comments or of its whole thread, by a
visitor with no session, is answered from the render cache (app/services/cache.py) before routing,
after one indexed read of the article's state. Anything else, and every miss, goes on to the routes,
which fill the cache with the same keys.

It sits inside TribuneMiddleware, so the locale, the anonymous cookie and the security headers are
the same as on the routed answer.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Receive, Scope, Send

from app.db import make_engine
from app.security import sign
from app.services.cache import RenderCache, article_state, comments_key, page_key, thread_key

SESSION_COOKIE = b"tribune_session="
SORTS = frozenset({"best", "newest", "oldest", "controversial"})
_PAGE = re.compile(r"^/articles/([a-z0-9]+(?:-[a-z0-9]+)*)$")
_API = re.compile(r"^/api/v1/articles/([a-z0-9]+(?:-[a-z0-9]+)*)/(comments|thread)$")
HTML = b"text/html; charset=utf-8"
JSON = b"application/json"


class AnonymousCacheMiddleware:
    def __init__(self, app: ASGIApp, *, cache: RenderCache, engine: Engine, secret: str) -> None:
        self.app = app
        self.cache = cache
        self.engine = engine
        self.secret = secret
        self.inline = engine.dialect.name == "sqlite"
        if self.inline:
            # Its own engine: the event loop must never wait for a connection of the routes' pool
            # (the routes' threads give theirs back through the loop itself).
            self.engine = make_engine(engine.url.render_as_string(hide_password=False))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and len(self.cache):
            body = await self._lookup(scope)
            if body is not None:
                await self._answer(scope, send, *body)
                return
        await self.app(scope, receive, send)

    def _state(self, slug: str) -> tuple[object, ...] | None:
        with self.engine.connect() as conn:
            return article_state(conn, slug)

    async def _lookup(self, scope: Scope) -> tuple[bytes, bytes, str] | None:
        path: str = scope["path"]
        page = _PAGE.match(path)
        api = None if page else _API.match(path)
        if page is None and api is None:
            return None
        hx = False
        for name, value in scope["headers"]:
            if name == b"cookie" and SESSION_COOKIE in value:
                return None  # perhaps signed in: the route decides
            if name == b"hx-request":
                hx = value == b"true"
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        params = dict(pairs)
        if len(params) != len(pairs):
            return None
        sort = params.get("sort") or "best"
        if sort not in SORTS:
            return None
        slug = (page or api).group(1)  # type: ignore[union-attr]
        # A blocking read: kept off the event loop on a database server; on SQLite an indexed read of
        # a local file costs less than the hop to a worker thread (readers never wait in WAL mode).
        try:
            if self.inline:
                state = self._state(slug)
            else:
                state = await to_thread.run_sync(self._state, slug)
        except SQLAlchemyError:
            return None  # the route answers, with the 503 page if the database is away
        if state is None:
            return None
        if page is not None:
            after = params.get("after") or None
            key = page_key(
                state, sort=sort, after=after, locale=scope["state"]["locale"], fragment=bool(after and hx)
            )
            token = sign(self.secret, "csrf-anon", scope["state"]["anon_id"])
            body = self.cache.get(key, token)
            return (body, HTML, "/articles/{slug}") if body is not None else None
        assert api is not None
        if api.group(2) == "thread":
            body = self.cache.get(thread_key(state, sort=sort))
            return (body, JSON, "/api/v1/articles/{slug}/thread") if body is not None else None
        limit = params.get("limit", "20")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            return None
        body = self.cache.get(
            comments_key(state, sort=sort, cursor=params.get("cursor") or None, limit=int(limit))
        )
        return (body, JSON, "/api/v1/articles/{slug}/comments") if body is not None else None

    async def _answer(self, scope: Scope, send: Send, body: bytes, content_type: bytes, route: str) -> None:
        scope["tribune.route"] = route  # for the metrics' route label
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        if content_type is HTML:
            headers.append((b"vary", b"HX-Request"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

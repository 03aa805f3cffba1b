"""Gates in front of the routes: how many requests may hold a database connection at once, and one
writer at a time on SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from app.db import POOL_SIZE
from app.middleware import read_body


class SQLiteWriteGate:
    """On SQLite, one writing request at a time per process, queued in the event loop.

    A writing request takes SQLite's write lock (BEGIN IMMEDIATE) at its first statement, which
    runs in a dependency, then needs a thread-pool slot again for the next dependency and the route.
    Under load every slot could be held by requests waiting for that lock, and the holder could never
    finish: requests stalled until the busy timeout and failed with "database is locked". Waiting
    here holds neither a thread nor a connection, and the writes were serialised by SQLite anyway.
    The body is read before queueing (a slow upload does not hold the gate) and the gate opens as
    soon as the response starts, which is after the commit."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = asyncio.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            await self.app(scope, receive, send)
            return
        _body, replay = await read_body(receive)
        await held(self.app, scope, replay, send, take=self.lock.acquire, give=self.lock.release)


class ConnectionGate:
    """At most as many requests in the routes at once as the pool has connections.

    A request takes its connection at its first statement, in one thread-pool hop, and holds it
    through the next hops (the route, then the commit). With more requests in flight than
    connections, every pool thread could be taken by requests waiting for a connection while the
    requests that hold one wait for a thread: nothing moves until the pool's timeout (seen with 64
    concurrent votes on PostgreSQL). Waiting here holds neither. The gate opens when the response
    starts, which is after the commit; static files and the health check do not queue."""

    def __init__(self, app: Any, *, size: int = POOL_SIZE) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(size)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/static/", "/healthz")):
            await self.app(scope, receive, send)
            return
        await held(self.app, scope, receive, send, take=self.slots.acquire, give=self.slots.release)


async def held(
    app: Any,
    scope: Any,
    receive: Any,
    send: Any,
    *,
    take: Callable[[], Awaitable[Any]],
    give: Callable[[], None],
) -> None:
    """Run app holding what take() got, given back as soon as the response starts (which is after
    the commit) or when app ends, whichever comes first."""
    given = False

    def give_once() -> None:
        nonlocal given
        if not given:
            given = True
            give()

    async def send_and_give(message: Any) -> None:
        if message["type"] == "http.response.start":
            give_once()
        await send(message)

    await take()
    try:
        await app(scope, receive, send_and_give)
    finally:
        give_once()

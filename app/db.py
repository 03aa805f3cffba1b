"""Engines and the request-scoped session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.routing import read_body

WRITE_OPTION = "tribune_write"
# Requests ConnectionGate lets in at once, one connection each; the overflow serves the few that
# briefly need a second (the hourly touch of a reader's session, an error page's header).
POOL_SIZE = 20
POOL_OVERFLOW = 10


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs: Any) -> Engine:
    if not is_sqlite(url):
        pooled = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
        engine = sa.create_engine(url, pool_pre_ping=True, **pooled, **kwargs)
        return engine

    in_memory = sa.make_url(url).database in (None, "", ":memory:")
    # In memory, one shared connection is the database.
    pool = {} if in_memory else {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); pysqlite's own transaction handling would defeat it.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A writing request takes the write lock up front (BEGIN IMMEDIATE): two deferred
        # transactions that both upgrade to writing would fail with SQLITE_BUSY instead of waiting.
        # On the driver's connection: through exec_driver_sql it cost a quarter of a vote's SQL time.
        mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN DEFERRED"
        conn.connection.driver_connection.execute(mode).close()  # type: ignore[union-attr]

    return engine


def writer(engine: Engine) -> Engine:
    """The same engine and pool, marked so that its transactions begin as writers (made once per
    engine, and kept on it: every writing request asks for it)."""
    found: Engine | None = engine.__dict__.get("tribune_writer")
    if found is None:
        found = engine.execution_options(**{WRITE_OPTION: True})
        engine.__dict__["tribune_writer"] = found
    return found


def finish(session: Session, *, commit: bool) -> None:
    """End a request's session: commit (or roll back) and give the connection back to the pool."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def session_scope(
    engine: Engine, *, write: bool = False, info: dict[str, Any] | None = None
) -> Iterator[Session]:
    session = Session(writer(engine) if write else engine, expire_on_commit=False, info=info)
    try:
        yield session
    except BaseException:
        finish(session, commit=False)
        raise
    finish(session, commit=True)


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
        import asyncio

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
        import asyncio

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

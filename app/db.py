"""Engines, and sessions for work outside requests (the CLI, background tasks)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

WRITE_OPTION = "tribune_write"
# Requests ConnectionGate lets in at once, one connection each; the overflow serves the few that
# briefly need a second (the hourly touch of a reader's session, an error page's header).
POOL_SIZE = 20
POOL_OVERFLOW = 10


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


Synchronous = Literal["FULL", "NORMAL"]


@dataclass(frozen=True)
class Timeouts:
    """How long a request waits for the database before it gives up and answers 503 (the app's engine;
    the `tribune` commands wait as long as it takes). A PostgreSQL that hangs without closing its
    connections (a partition, a frozen server) otherwise holds every request for minutes: TCP itself
    may never notice, so the client keeps its own deadline on every exchange."""

    connect: int = 2  # seconds to open a connection (libpq counts whole seconds, at least 2)
    statement: float = 3.0  # PostgreSQL's statement_timeout; the client gives up GRACE later
    ping: float = 1.0  # the pool's check of an idle connection before reuse (SELECT 1)
    pool: float = 2.0  # waiting for a free connection of the pool
    keepalive: int = 10  # idle seconds before TCP keepalive probes (then every third of it, 3 times)

    @property
    def exchange(self) -> float:
        """The client's deadline for one statement's round trip."""
        return self.statement + GRACE


# Past the server's statement_timeout, the time its cancellation takes to arrive: an answer later
# than that will not come.
GRACE = 0.5


def make_engine(
    url: str, *, timeouts: Timeouts | None = None, synchronous: Synchronous = "FULL", **kwargs: Any
) -> Engine:
    pooled: dict[str, Any] = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
    if timeouts is not None:
        pooled["pool_timeout"] = timeouts.pool
    if not is_sqlite(url):
        if timeouts is None:
            return sa.create_engine(url, pool_pre_ping=True, **pooled, **kwargs)
        return _postgres_with_deadlines(url, timeouts, pooled, **kwargs)

    in_memory = sa.make_url(url).database in (None, "", ":memory:")
    # In memory, one shared connection is the database.
    pool = {} if in_memory else pooled
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); pysqlite's own transaction handling would defeat it.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # FULL syncs the WAL at every commit: an acknowledged write survives a power cut, not only a
        # crash of the process (TRIBUNE_SQLITE_SYNCHRONOUS; see the README).
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A writing request takes the write lock up front (BEGIN IMMEDIATE): two deferred
        # transactions that both upgrade to writing would fail with SQLITE_BUSY instead of waiting.
        # On the driver's connection: through exec_driver_sql it cost a quarter of a vote's SQL time.
        driver = conn.connection.driver_connection
        if driver.in_transaction:  # type: ignore[union-attr]
            return  # a unit of work began it (services.sql.UnitOfWork) and opened its ORM session on it
        mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN DEFERRED"
        driver.execute(mode).close()  # type: ignore[union-attr]

    return engine


def writer(engine: Engine) -> Engine:
    """The same engine and pool, marked so that its transactions begin as writers (made once per
    engine, and kept on it: every writing request asks for it)."""
    found: Engine | None = engine.__dict__.get("tribune_writer")
    if found is None:
        found = engine.execution_options(**{WRITE_OPTION: True})
        engine.__dict__["tribune_writer"] = found
    return found


def _postgres_with_deadlines(url: str, timeouts: Timeouts, pooled: dict[str, Any], **kwargs: Any) -> Engine:
    given = sa.make_url(url)
    found = given.query.get("options")
    options = " ".join(
        part
        for part in (
            found if isinstance(found, str) else " ".join(found or ()),
            f"-c statement_timeout={int(timeouts.statement * 1000)}",
        )
        if part
    )
    connect_args = {
        "connect_timeout": timeouts.connect,
        "options": options,
        "keepalives": 1,
        "keepalives_idle": timeouts.keepalive,
        "keepalives_interval": max(1, timeouts.keepalive // 3),
        "keepalives_count": 3,
        **kwargs.pop("connect_args", {}),
    }
    engine = sa.create_engine(
        given.difference_update_query(["options"]),
        pool_pre_ping=True,
        connect_args=connect_args,
        **pooled,
        **kwargs,
    )
    connection_class = _deadline_connection()

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        connection = connection_class.connect(*cargs, **cparams)
        connection.deadline = timeouts.exchange
        return connection

    # The first use of a connection taken from the pool is the pre-ping, a bare SELECT 1: a shorter
    # deadline for it, so that a request finds a hung database (ping, then a new connection that
    # cannot open) in ping + connect seconds. Every statement after it has the exchange deadline.
    @event.listens_for(engine.pool, "checkin")
    def _checkin(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.deadline = timeouts.ping

    @event.listens_for(engine.pool, "checkout")
    def _checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.deadline = timeouts.exchange

    return engine


@cache
def _deadline_connection() -> type[Any]:
    """psycopg's connection, with a deadline on every exchange with the server.

    psycopg does all the I/O of a connection through Connection.wait, which takes a timeout (used by
    psycopg for its own cancellations). Past the deadline the connection's state is unknown, so it is
    closed, and the error says so: SQLAlchemy sees a closed connection, drops it and every other
    connection of the pool, and the request ends in the 503 page. When the server answers again,
    the next requests open new connections. (Connection.wait is psycopg 3's own, not its documented
    API: requirements.lock pins psycopg, and test_outage proves the deadline. A connection that waits
    on LISTEN must not come from this engine: its idle wait would count as an exchange.)"""
    import psycopg
    from psycopg import errors

    class DeadlineConnection(psycopg.Connection[Any]):
        deadline: float | None = None

        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            limit = self.deadline if timeout is None else timeout
            try:
                return super().wait(gen, interval, limit)
            except errors._WaitTimeout:
                self.pgconn.finish()
                raise psycopg.OperationalError(
                    f"the database did not answer within {limit:g} s; connection closed"
                ) from None

    return DeadlineConnection

"""Engines, and sessions for work outside requests (the CLI, background tasks)."""

from __future__ import annotations

from typing import Any

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

"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections import namedtuple
from collections.abc import Iterator
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict
from sqlmodel import Session

from app.db import writer


def insert_ignore(db: Db, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: the unique constraint decides a race, not a prior SELECT."""
    if dialect_of(db).name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def plan_each_time(db: Db) -> None:
    """Have PostgreSQL plan this transaction's statements for their values, never from a generic plan.

    psycopg prepares a statement run five times on a connection, and PostgreSQL then switches to a plan
    made without the parameters' values when it looks no costlier. For a full-text search that plan
    is wrong half the time: a rare word wants the GIN index, a word found in a third of the debate
    wants the newest rows walked, and only the words' values tell which (50-60 ms instead of 10 on
    the 100,000-comment debate). Planning costs under a millisecond. SQLite plans every statement."""
    if dialect_of(db).name == "postgresql":
        db.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))


def expire_loaded(session: Db, model: type[Any], pk: int, attributes: list[str]) -> None:
    """After an atomic UPDATE in SQL, make a copy already loaded in this session read the new values."""
    if isinstance(session, UnitOfWork):
        if session._session is None:
            return  # no ORM session: nothing is loaded
        session = session._session
    loaded = session.identity_map.get(sa.inspect(model).identity_key_from_primary_key((pk,)))
    if loaded is not None:
        session.expire(loaded, attributes)


M = TypeVar("M")


def persistent(session: Session, model: type[M], row: dict[str, Any]) -> M:
    """The ORM object of a row read or just written by a prepared statement (every column in `row`),
    made as the ORM makes a loaded one (no constructor, no attribute history) and added to the
    session: its later changes flush as usual. As with a query, a copy the session already holds
    wins. The ORM's own loading (or a new object's flush) costs several times the statement: a post
    loads its article and adds its comment this way."""
    mapper = sa.inspect(model)
    if not mapper.configured:  # the process's first ORM object: relationships are set up now
        sa.orm.configure_mappers()
    key = [row[mapper.get_property_by_column(column).key] for column in mapper.primary_key]
    held = session.identity_map.get(mapper.identity_key_from_primary_key(key))
    if held is not None:
        return held  # type: ignore[no-any-return]
    instance: M = mapper.class_manager.new_instance()
    # Values written to the instance's state dict without events, then all committed at once by
    # make_transient_to_detached (which marks the columns left out as expired, loaded on first use).
    instance_dict(instance).update(row)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


class Prepared:
    """A Core statement compiled once per dialect and run on the driver's cursor.

    For the few statements every vote and post runs: SQLAlchemy's execute path (execution context,
    events, result object) costs ten times the SQL itself on SQLite (about 60 us against 5). The
    statement is still written in Core, so it is quoted and typed per dialect; its parameters go
    through the columns' bind processors and its rows through their result processors, as SQLAlchemy
    would do. It runs in the unit of work's transaction (or a plain session's), which its first
    statement begins (BEGIN IMMEDIATE for a writer on SQLite). Engine-level statement events do not
    see it."""

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: sa.Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _Plan(self.statement, dialect)
        return plan

    def sent(self, dialect: sa.Dialect, params: dict[str, Any] | None = None) -> tuple[str, Any]:
        """The SQL and arguments as they go to the driver (for EXPLAIN in the plan tests)."""
        plan = self._plan(dialect)
        return plan.sql, plan.arguments(params or {})

    def rows(self, db: Db, params: dict[str, Any] | None = None) -> list[Any]:
        if isinstance(db, UnitOfWork):
            dialect = db.dialect
            own_cursor = False
        else:
            if db.autoflush and (db.new or db.dirty or db.deleted):
                db.flush()  # as session.execute would: the statement sees the ORM's pending changes
            conn = db.connection()
            dialect = conn.dialect
            own_cursor = True
        plan = self._plan(dialect)
        arguments = plan.arguments(params or {})
        cursor = None
        try:
            # A unit of work keeps one cursor for all its statements; on a plain session, one each.
            cursor = conn.connection.dbapi_connection.cursor() if own_cursor else db.cursor()  # type: ignore[union-attr]
            cursor.execute(plan.sql, arguments)
            if not plan.results:
                return []
            return [plan.convert(row) for row in cursor.fetchall()]
        except dialect.loaded_dbapi.Error as exc:
            if isinstance(db, UnitOfWork):
                db.lost(exc, cursor)
            raise _wrapped(exc, plan.sql, arguments, dialect) from exc
        finally:
            if cursor is not None and own_cursor:
                cursor.close()

    def first(self, db: Db, params: dict[str, Any] | None = None) -> Any:
        found = self.rows(db, params)
        return found[0] if found else None

    def scalar(self, db: Db, params: dict[str, Any] | None = None) -> Any:
        row = self.first(db, params)
        return row[0] if row else None

    def run(self, db: Db, params: dict[str, Any] | None = None) -> None:
        self.rows(db, params)


def _wrapped(exc: Exception, statement: str | None, params: Any, dialect: sa.Dialect) -> sa.exc.DBAPIError:
    """A driver's error as SQLAlchemy raises it (OperationalError, IntegrityError, …), which is what the
    error handlers answer (a lost database is the 503 page, not a 500)."""
    return sa.exc.DBAPIError.instance(  # type: ignore[no-any-return]
        statement, params, exc, dialect.loaded_dbapi.Error, dialect=dialect
    )


class UnitOfWork:
    """A request's one transaction: prepared statements on the pooled driver connection by default,
    and an ORM session on that same connection and transaction when a service asks for one (`orm`).

    SQLAlchemy's Session, Connection and transaction objects cost more than the statements of the
    busiest writes (a vote: about 70 us against some 20 us on SQLite), so they are made only when a
    service loads or adds ORM objects; every request, whichever its services, still has one unit of
    work, one transaction and one commit. It begins at its first statement (BEGIN IMMEDIATE for a
    writer on SQLite), raises the driver's errors as SQLAlchemy's, drops a lost connection from the
    pool, and keeps the events queued with events.emit in `.info` for whoever finishes it
    (deps.get_work publishes them after the commit)."""

    def __init__(self, engine: sa.Engine, *, write: bool, info: dict[str, Any] | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self.write = write
        self.info: dict[str, Any] = info if info is not None else {}
        self._pooled: Any = None  # the pool's proxy for the driver connection, once begun
        self._driver: Any = None
        self._cursor: Any = None
        self._session: Session | None = None
        self._connection: sa.Connection | None = None
        self._owned = True  # False over a session somebody else ends (see over)

    @classmethod
    def over(cls, session: Session) -> UnitOfWork:
        """A unit of work in a session's transaction, which its owner ends: for tests, whose app runs
        in the test's own transaction (rolled back after it)."""
        work = cls(session.get_bind(), write=True, info=session.info)  # type: ignore[arg-type]
        work._session = session
        work._owned = False
        return work

    @property
    def begun(self) -> bool:
        """Is there a transaction to end? (Over somebody else's session there always is.)"""
        if self._pooled is not None or not self._owned:
            return True
        return self._session is not None and self._session.in_transaction()

    @property
    def orm(self) -> Session:
        """The ORM session of this unit of work, in its transaction; made (without I/O) when first
        asked for. Begun already, the transaction's connection is handed to it; otherwise the
        session begins it, and statements run on its connection from then on."""
        if self._session is None:
            bind = writer(self.engine) if self.write else self.engine
            if self._pooled is not None:
                self._connection = sa.Connection(bind, connection=self._pooled)
                bind = self._connection  # type: ignore[assignment]
            self._session = Session(bind=bind, expire_on_commit=False, info=self.info)
            self.info = self._session.info  # a copy of ours: one dict from now on, wherever events go
        return self._session

    def cursor(self) -> Any:
        """The transaction's cursor (one for all its statements, each fetched whole)."""
        if self._cursor is not None:
            if self._session is not None:
                self._flush_pending(self._session)
            return self._cursor
        session = self._session
        if session is not None:
            self._flush_pending(session)
            dbapi = session.connection().connection.dbapi_connection  # begins the session's transaction
            self._cursor = dbapi.cursor()  # type: ignore[union-attr]
            return self._cursor
        if self._driver is None:
            self._begin()
        self._cursor = self._driver.cursor()
        return self._cursor

    @staticmethod
    def _flush_pending(session: Session) -> None:
        if session.autoflush and (session.new or session.dirty or session.deleted):
            session.flush()  # as session.execute would: the statement sees the ORM's pending changes

    def _begin(self) -> None:
        try:
            self._pooled = self.engine.raw_connection()
        except self.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(exc, None, None, self.dialect) from exc
        self._driver = self._pooled.driver_connection
        if self.dialect.name == "sqlite":  # the driver's own transaction handling is off (db.make_engine)
            begin = "BEGIN IMMEDIATE" if self.write else "BEGIN DEFERRED"
            try:
                self._driver.execute(begin).close()
            except self.dialect.loaded_dbapi.Error as exc:
                self.lost(exc, None)
                self.finish(commit=False)
                raise _wrapped(exc, begin, None, self.dialect) from exc
        # psycopg begins a transaction at the first statement by itself.

    def lost(self, exc: Exception, cursor: Any) -> None:
        """After a driver error: a connection that is gone leaves the pool."""
        if self._pooled is not None and self.dialect.is_disconnect(exc, self._driver, cursor):
            self._pooled.invalidate(exc)

    def finish(self, *, commit: bool) -> None:
        """Commit (or roll back) and give the connection back to the pool. Over somebody else's
        session (over), only flush: its owner ends it."""
        session, connection = self._session, self._connection
        if not self._owned:
            if self._cursor is not None:
                self._cursor.close()
                self._cursor = None
            if commit and session is not None:
                session.flush()
            return
        pooled, cursor = self._pooled, self._cursor
        self._pooled = self._driver = self._cursor = self._session = self._connection = None
        if cursor is not None:
            with contextlib.suppress(self.dialect.loaded_dbapi.Error):  # gone with its connection:
                cursor.close()  # the rest of finish says so
        if session is not None:
            # The session's transaction is the unit of work's: it commits (flushing first) or rolls
            # back the whole of it, and closing gives the connection back to the pool.
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
                if connection is not None:
                    connection.close()
            return
        if pooled is None:
            return
        try:
            if not pooled.is_valid:  # lost (see lost): nothing to end, and nothing was committed
                if commit:
                    raise sa.exc.OperationalError("COMMIT", None, Exception("connection lost"))
                return
            driver = pooled.driver_connection
            try:
                driver.commit() if commit else driver.rollback()
            except self.dialect.loaded_dbapi.Error as exc:
                if self.dialect.is_disconnect(exc, driver, None):
                    pooled.invalidate(exc)
                raise _wrapped(exc, "COMMIT" if commit else "ROLLBACK", None, self.dialect) from exc
        finally:
            pooled.close()


def work_scope(
    engine: sa.Engine, *, write: bool = False, info: dict[str, Any] | None = None
) -> Iterator[UnitOfWork]:
    """A unit of work outside a request (scripts, tests): committed when the block ends without an
    error, its events published after the commit (`for work in work_scope(...)`)."""
    from app.services import events  # events builds on this module

    work = UnitOfWork(engine, write=write, info=info)
    try:
        yield work
    except BaseException:
        work.finish(commit=False)
        events.forget(work.info)
        raise
    work.finish(commit=True)
    events.publish_queued(work.info)


# What services take: a request's unit of work, or (in tests and scripts) a plain ORM session.
Db = Session | UnitOfWork


def dialect_of(db: Db) -> sa.Dialect:
    return db.dialect if isinstance(db, UnitOfWork) else db.get_bind().dialect


class _Plan:
    def __init__(self, statement: sa.Executable, dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        self.compiled = compiled
        self.sql = compiled.string
        self.positional = compiled.positional
        self.order = list(compiled.positiontup or []) if compiled.positional else []
        self.binds = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type._cached_bind_processor(dialect)) is not None
        }
        columns = list(getattr(statement, "exported_columns", []) or [])
        self.results = bool(columns)
        self.processors = [column.type._cached_result_processor(dialect, None) for column in columns]
        self.identity = all(p is None for p in self.processors)
        self.row = namedtuple("Row", [column.key for column in columns], rename=True)  # type: ignore[misc]

    def arguments(self, params: dict[str, Any]) -> Any:
        values = self.compiled.construct_params(params)
        for name, processor in self.binds.items():
            if name in values:
                values[name] = processor(values[name])
        if self.positional:
            return tuple(values[name] for name in self.order)
        return values

    def convert(self, row: tuple[Any, ...]) -> Any:
        if self.identity:
            return self.row._make(row)  # type: ignore[no-any-return]
        return self.row._make(v if p is None else p(v) for p, v in zip(self.processors, row, strict=True))  # type: ignore[no-any-return]

"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections import namedtuple
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session


def insert_ignore(db: Db, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: the unique constraint decides a race, not a prior SELECT."""
    if dialect_of(db).name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def expire_loaded(session: Db, model: type[Any], pk: int, attributes: list[str]) -> None:
    """After an atomic UPDATE in SQL, make a copy already loaded in this session read the new values."""
    if isinstance(session, Tx):
        if session.session is None:
            return  # a Tx loads no objects
        session = session.session
    loaded = session.identity_map.get(sa.inspect(model).identity_key_from_primary_key((pk,)))
    if loaded is not None:
        session.expire(loaded, attributes)


class Prepared:
    """A Core statement compiled once per dialect and run on the driver's cursor.

    For the few statements every vote and post runs: SQLAlchemy's execute path (execution context,
    events, result object) costs ten times the SQL itself on SQLite (about 60 us against 5). The
    statement is still written in Core, so it is quoted and typed per dialect; its parameters go
    through the columns' bind processors and its rows through their result processors, as SQLAlchemy
    would do. It runs in the session's transaction (session.connection() begins it, BEGIN IMMEDIATE
    for a writer on SQLite). Engine-level statement events do not see it."""

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: sa.Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _Plan(self.statement, dialect)
        return plan

    def rows(self, db: Db, params: dict[str, Any] | None = None) -> list[Any]:
        lean = isinstance(db, Tx) and db.session is None
        if not lean:
            session = db.session if isinstance(db, Tx) else db
            assert session is not None
            if session.autoflush and (session.new or session.dirty or session.deleted):
                session.flush()  # as session.execute would: the statement sees the ORM's pending changes
            conn = session.connection()
        dialect = db.dialect if lean else conn.dialect  # type: ignore[union-attr]
        plan = self._plan(dialect)
        arguments = plan.arguments(params or {})
        cursor = None
        try:
            # A Tx keeps one cursor for all its statements; on a session, one per statement.
            cursor = db.cursor() if lean else conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(plan.sql, arguments)
            if not plan.results:
                return []
            return [plan.convert(row) for row in cursor.fetchall()]
        except dialect.loaded_dbapi.Error as exc:
            if isinstance(db, Tx):
                db.lost(exc, cursor)
            raise _wrapped(exc, plan.sql, arguments, dialect) from exc
        finally:
            if cursor is not None and not lean:
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


class Tx:
    """One transaction on a pooled driver connection: no ORM session, no Core connection.

    For the busiest writes (a vote), where SQLAlchemy's Session, Connection and transaction objects
    cost more than the statements: opening, committing and closing them took about 175 us a request,
    against some 40 us for the SQL itself on SQLite. Statements run through Prepared. It begins at its
    first statement (BEGIN IMMEDIATE for a writer on SQLite, as the engine's sessions do), raises the
    driver's errors as SQLAlchemy's, drops a lost connection from the pool, and keeps events queued
    with events.emit in .info for whoever finishes it (deps.get_tx publishes them after the commit).
    A request uses a Tx or a Session, never both: on SQLite the second writer would wait for the first."""

    def __init__(self, engine: sa.Engine, *, write: bool, info: dict[str, Any] | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self.write = write
        self.info: dict[str, Any] = info if info is not None else {}
        self._pooled: Any = None  # the pool's proxy for the driver connection, once begun
        self._driver: Any = None
        self._cursor: Any = None
        self.session: Session | None = None

    @classmethod
    def over(cls, session: Session) -> Tx:
        """A Tx that runs in a session's transaction, which its owner ends: for tests, whose app runs
        in the test's own transaction (rolled back after it), as its sessions do."""
        tx = cls(session.get_bind(), write=True, info=session.info)  # type: ignore[arg-type]
        tx.session = session
        return tx

    @property
    def begun(self) -> bool:
        return self._pooled is not None

    def cursor(self) -> Any:
        """The transaction's cursor (one for all its statements, each fetched whole)."""
        if self._cursor is None:
            if self._driver is None:
                self._begin()
            self._cursor = self._driver.cursor()
        return self._cursor

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
        """Commit (or roll back) and give the connection back to the pool."""
        pooled, cursor = self._pooled, self._cursor
        self._pooled = self._driver = self._cursor = None
        if pooled is None:
            return
        if cursor is not None:
            with contextlib.suppress(self.dialect.loaded_dbapi.Error):  # gone with its connection:
                cursor.close()  # the rest of finish says so
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


Db = Session | Tx


def dialect_of(db: Db) -> sa.Dialect:
    return db.dialect if isinstance(db, Tx) else db.get_bind().dialect


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

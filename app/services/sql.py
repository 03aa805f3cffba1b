"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session


def insert_ignore(session: Session, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: the unique constraint decides a race, not a prior SELECT."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def expire_loaded(session: Session, model: type[Any], pk: int, attributes: list[str]) -> None:
    """After an atomic UPDATE in SQL, make a copy already loaded in this session read the new values."""
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

    def rows(self, session: Session, params: dict[str, Any] | None = None) -> list[Any]:
        if session.autoflush and (session.new or session.dirty or session.deleted):
            session.flush()  # as session.execute would: the statement sees the ORM's pending changes
        conn = session.connection()
        plan = self._plan(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plan.sql, plan.arguments(params or {}))
            if not plan.results:
                return []
            return [plan.convert(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def first(self, session: Session, params: dict[str, Any] | None = None) -> Any:
        found = self.rows(session, params)
        return found[0] if found else None

    def scalar(self, session: Session, params: dict[str, Any] | None = None) -> Any:
        row = self.first(session, params)
        return row[0] if row else None

    def run(self, session: Session, params: dict[str, Any] | None = None) -> None:
        self.rows(session, params)


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

"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

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

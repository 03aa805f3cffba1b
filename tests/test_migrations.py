from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from app.cli import alembic_config
from app.db import make_engine
from app.models.search import include_name
from tests.conftest import _create_empty_database, _drop_database


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    url, name = _create_empty_database(tmp_path)
    yield url
    if name:
        _drop_database(name)


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name}),
            SQLModel.metadata,
        )
    assert diff == []


def test_downgrade_to_base_then_upgrade_again(fresh_url: str) -> None:
    config = alembic_config(fresh_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = make_engine(fresh_url)
    with engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert {"comment", "comment_vote", "article", "app_user"} <= set(sa.inspect(conn).get_table_names())
    engine.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()

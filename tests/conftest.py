"""Fixtures: a real database built by `alembic upgrade head`, SQLite by default or PostgreSQL when
TRIBUNE_TEST_DATABASE_URL names a server (CI runs the suite on both)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

# Load shedding (app/gates.py) answers 503 once the event loop runs 2 s late: on a machine busy with
# other work (CI beside other jobs), a test's own app was shed for a single request. The apps and live
# servers the tests start wait 120 s instead (the environment reaches both); the tests of shedding
# build their gates with their own timeouts (tests/perf/test_load_shedding.py).
os.environ.setdefault("TRIBUNE_QUEUE_TIMEOUT", "120")
# The tests read dates as the default newsroom does, in Paris, whatever the machine's setting.
os.environ["TRIBUNE_TIMEZONE"] = "Europe/Paris"

from app import dates
from app.cli import alembic_config  # noqa: E402
from app.config import Settings
from app.db import make_engine
from app.deps import get_work, unit_of_work
from app.main import create_app
from app.models import User
from app.services.events import BROKER_KEY
from app.services.sql import UnitOfWork
from tests.factories import PASSWORD, page_csrf

TEST_URL = os.environ.get("TRIBUNE_TEST_DATABASE_URL", "")


def _create_empty_database(tmp: Path) -> tuple[str, str | None]:
    """Return (url, name_to_drop). PostgreSQL gets a fresh database next to the given one."""
    if not TEST_URL or TEST_URL.startswith("sqlite"):
        return f"sqlite:///{tmp / 'test.db'}", None
    base = make_url(TEST_URL)
    name = f"tribune_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


def _drop_database(name: str) -> None:
    admin = sa.create_engine(make_url(TEST_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, name = _create_empty_database(tmp_path_factory.mktemp("db"))
    command.upgrade(alembic_config(url), "head")  # every run proves upgrade-from-empty
    yield url
    if name:
        _drop_database(name)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test: commits inside become savepoints."""
    with engine.connect() as conn:
        outer = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
            yield s
        outer.rollback()


@pytest.fixture
def committed(engine: Engine) -> Iterator[Engine]:
    """For tests that need real commits from several connections (concurrency): empties the tables after."""
    yield engine
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Abuse limits off, so suites that post many comments are not throttled; tests of the limits turn them on.
    return Settings(
        database_url=database_url, secret_key="test-secret", instance_path=tmp_path, rate_limits=False
    )


def run_in(app: FastAPI, session: Session) -> None:
    """Make the app's requests work in the test's session (get_work over it), so that the test sees,
    and rolls back, what its routes do."""

    async def work_in_the_test_transaction(request: Request) -> AsyncIterator[UnitOfWork]:
        session.info[BROKER_KEY] = request.app.state.broker
        async with unit_of_work(request, UnitOfWork.over(session)) as work:
            yield work

    app.dependency_overrides[get_work] = work_in_the_test_transaction


@pytest.fixture
def app(settings: Settings, session: Session) -> Iterator[FastAPI]:
    app = create_app(settings)
    run_in(app, session)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


ClientFor = Callable[[User | None], TestClient]


@pytest.fixture
def client_for(app: FastAPI) -> Iterator[ClientFor]:
    """A browser per person: each has its own cookie jar, all talk to the same app."""
    opened: list[TestClient] = []

    def make(user: User | None) -> TestClient:
        c = TestClient(app, base_url="http://testserver", follow_redirects=False)
        c.__enter__()
        opened.append(c)
        if user is not None:
            token = page_csrf(c, "/login")
            response = c.post(
                "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
            )
            assert response.status_code == 303
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _site_zone() -> Iterator[None]:
    """The time zone is the process's (each app sets it): a test that changes it leaves it as it was."""
    zone = dates.site_zone()
    yield
    dates.set_zone(zone.key)

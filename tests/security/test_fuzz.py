"""Schemathesis fuzzes the JSON API from the app's own OpenAPI: no 5xx, and answers that match the
schema. Bounded so that it runs in a couple of minutes on two cores; it runs under CI=true too."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from sqlmodel import Session

from app.cli import alembic_config
from app.config import Settings
from app.main import create_app
from app.models import Role
from tests.factories import PASSWORD, make_article, make_comment, make_user

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
FUZZ = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# Built at import so that schemathesis can read the OpenAPI document while pytest collects. The database
# is migrated first: reading the document runs the app's lifespan, whose mail sender must find its tables
# (a traceback logged from that thread while hypothesis parses source in this one trips CPython 3.11.7's
# thread-unsafe AST depth check, gh-106905). The fixture below seeds it before any request.
FOLDER = Path(tempfile.mkdtemp(prefix="tribune-fuzz-"))
DATABASE_URL = f"sqlite:///{FOLDER / 'fuzz.db'}"
command.upgrade(alembic_config(DATABASE_URL), "head")
APP = create_app(
    Settings(database_url=DATABASE_URL, secret_key="fuzz-secret", instance_path=FOLDER, rate_limits=False)
)


@pytest.fixture(scope="module")
def fuzz_app() -> Iterator[FastAPI]:
    """Its own SQLite database (requests run in other threads), seeded with one of everything."""
    with Session(APP.state.engine) as session:
        article = make_article(session, slug="fuzz")
        top = make_comment(session, article=article)
        make_comment(session, parent=top)
        make_user(session, username="fuzz_admin", role=Role.admin)
        session.commit()
    yield APP
    APP.state.engine.dispose()
    shutil.rmtree(FOLDER, ignore_errors=True)


@pytest.fixture(scope="module")
def admin_headers(fuzz_app: FastAPI) -> dict[str, str]:
    """A signed-in admin, so the fuzzer also reaches the writes and the staff endpoints."""
    with TestClient(fuzz_app) as c:
        answer = c.post("/api/v1/auth/login", json={"username": "fuzz_admin", "password": PASSWORD})
        assert answer.status_code == 200
        cookie = answer.cookies["tribune_session"]
        return {"Cookie": f"tribune_session={cookie}", "X-CSRF-Token": answer.json()["csrf_token"]}


schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@schema.parametrize()
@FUZZ
def test_anonymous_requests_never_get_a_5xx_and_match_the_schema(case: Any, fuzz_app: FastAPI) -> None:
    case.call_and_validate(checks=CHECKS)


@schema.exclude(path="/api/v1/auth/logout").parametrize()
@FUZZ
def test_signed_in_requests_never_get_a_5xx_and_match_the_schema(
    case: Any, admin_headers: dict[str, str]
) -> None:
    case.call_and_validate(headers=admin_headers, checks=CHECKS)

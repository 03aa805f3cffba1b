"""Fixtures for the attack suite: an app with the abuse limits on, over a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.services.ratelimit import MemoryBackend
from tests.conftest import run_in


class Clock:
    """Monotonic seconds that only move when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited_app(settings: Settings, session: Session, clock: Clock) -> Iterator[FastAPI]:
    app = create_app(settings.model_copy(update={"rate_limits": True}))
    app.state.limiter.backend = MemoryBackend(clock=clock)
    run_in(app, session)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def limited(limited_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(limited_app, base_url="http://testserver", follow_redirects=False) as c:
        yield c

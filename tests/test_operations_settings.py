"""Operators' settings (issue 19): the Redis namespace covers the abuse limits' keys, and SQLite's
durability is a setting, FULL unless told otherwise."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.db import make_engine
from app.main import create_app

REDIS_URL = os.environ.get("TRIBUNE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_client() -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            raise  # CI starts Redis: its absence there is a failure, not a reason to skip
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield client
    client.close()


def test_the_abuse_limits_keys_live_under_the_redis_namespace(
    redis_client: object, database_url: str, tmp_path: Path
) -> None:
    namespace = f"site-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database_url=database_url,
        secret_key="namespace",
        instance_path=tmp_path,
        redis_url=REDIS_URL,
        redis_namespace=namespace,
    )
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            answer = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong-pass"})
            assert answer.status_code == 401
        keys = [k.decode() for k in redis_client.keys(f"{namespace}:*")]  # type: ignore[attr-defined]
        assert keys
        assert all(key.startswith(f"{namespace}:rl:login-") for key in keys)
    finally:
        for key in redis_client.keys(f"{namespace}:*"):  # type: ignore[attr-defined]
            redis_client.delete(key)  # type: ignore[attr-defined]
        app.state.engine.dispose()


def _synchronous(settings: Settings) -> int:
    app = create_app(settings)
    with app.state.engine.connect() as conn:
        value = int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())
    app.state.engine.dispose()
    return value


def test_sqlite_syncs_at_checkpoints_by_default(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'normal.db'}", secret_key="s", instance_path=tmp_path
    )
    assert _synchronous(settings) == 1  # NORMAL


def test_sqlite_can_sync_every_commit(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'full.db'}",
        secret_key="s",
        instance_path=tmp_path,
        sqlite_synchronous="FULL",
    )
    assert _synchronous(settings) == 2  # FULL


def test_the_commands_engines_sync_every_commit_too(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2
    engine.dispose()

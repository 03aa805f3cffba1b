"""Real servers for the tests that need real HTTP: uvicorn subprocesses on free loopback ports, and
fresh databases built by Alembic (SQLite, or PostgreSQL beside TRIBUNE_TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import make_url

from app.cli import alembic_config

ROOT = Path(__file__).resolve().parents[2]
TEST_URL = os.environ.get("TRIBUNE_TEST_DATABASE_URL", "")
LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = os.environ.get("TRIBUNE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "live-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_base() -> str:
    """The PostgreSQL server the multi-process tests use; skips the test when none answers."""
    url = TEST_URL if TEST_URL.startswith("postgresql") else LOCAL_PG
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except sa.exc.OperationalError:
        pytest.skip(f"no PostgreSQL server at {url}")
    return url


def redis_available(url: str = REDIS_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@contextmanager
def fresh_database(tmp: Path, *, postgres: bool | None = None) -> Iterator[str]:
    """A new, migrated database: PostgreSQL when asked (or when the suite runs on it), else SQLite."""
    use_pg = postgres if postgres is not None else TEST_URL.startswith("postgresql")
    if not use_pg:
        url = f"sqlite:///{tmp / f'live-{uuid.uuid4().hex[:8]}.db'}"
        command.upgrade(alembic_config(url), "head")
        yield url
        return
    base = make_url(postgres_base())
    name = f"tribune_live_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        command.upgrade(alembic_config(url), "head")
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def live_server(database_url: str, tmp: Path, **env: str) -> Iterator[str]:
    """`uvicorn app.asgi:app`, one worker, on a free loopback port; yields its base URL."""
    port = free_port()
    environment = {
        **os.environ,
        "TRIBUNE_DATABASE_URL": database_url,
        "TRIBUNE_SECRET_KEY": env.pop("TRIBUNE_SECRET_KEY", SECRET),
        "TRIBUNE_INSTANCE_PATH": str(tmp / f"instance-{port}"),
        "TRIBUNE_TRUST_THRESHOLD": "0",
        **env,
    }
    log = open(tmp / f"server-{port}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError((tmp / f"server-{port}.log").read_text(errors="replace")[-3000:])
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()

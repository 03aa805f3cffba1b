"""Is the database answering? Asked by /healthz, which must answer quickly whatever the database does."""

from __future__ import annotations

import asyncio
import contextlib

import anyio.to_thread
import sqlalchemy as sa

# /healthz answers within this many seconds (a load balancer's check commonly gives up at 2).
HEALTH_TIMEOUT = 1.0


class HealthProbe:
    """SELECT 1 through the app's pool, with an answer within `timeout` seconds.

    A load balancer polls the health check and waits for it: a database that hangs must make it say
    "down" quickly, not hang it too. The probe runs in a thread; past the timeout the answer is
    "down" and the thread finishes when the connection's own deadline ends it (app.db.Timeouts).
    One probe at a time: checks asked while one runs share its answer, so a hung database holds one
    thread, not one per poll."""

    def __init__(self, engine: sa.Engine, *, timeout: float) -> None:
        self.engine = engine
        self.timeout = timeout
        self._running: asyncio.Future[bool] | None = None

    async def check(self) -> bool:
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(anyio.to_thread.run_sync(self._probe))
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(asyncio.shield(self._running), self.timeout)
        return False

    def _probe(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return False
        return True

"""The background sender each app process runs (started and stopped by the app's lifespan): it turns
new notifications into messages, queues the daily digests, and delivers what the outbox holds, every
poll interval (TRIBUNE_MAIL_POLL_SECONDS). An idle round is two indexed reads and takes no write lock.
Database and SMTP work run in a thread, never on the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

import sqlalchemy as sa

from app.services.mail import MailConfig
from app.services.mail.notify import dispatch, send_digests
from app.services.mail.outbox import deliver_due
from app.services.mail.transport import Transport, make_transport

log = logging.getLogger("tribune.mail")
DIGEST_CHECK_SECONDS = 600.0
BATCH = 20


class MailSender:
    def __init__(self, engine: sa.Engine, config: MailConfig, instance_path: Path) -> None:
        self.engine = engine
        self.config = config
        self.transport: Transport = make_transport(config.smtp_url, instance_path / "outbox")
        self._task: asyncio.Task[None] | None = None
        self._next_digest_check = 0.0
        self._inflight: asyncio.Future[int] | None = None
        self._failing = False  # an outage is logged in full once, then a line per round until it ends

    def work(self) -> int:
        """One round: dispatch new notifications, queue due digests, deliver due messages. Returns how
        many messages were handed over."""
        while dispatch(self.engine, self.config) >= 100:
            pass
        if time.monotonic() >= self._next_digest_check:
            self._next_digest_check = time.monotonic() + DIGEST_CHECK_SECONDS
            send_digests(self.engine, self.config)
        sent = 0
        while True:
            batch = deliver_due(self.engine, self.config, self.transport, limit=BATCH)
            sent += batch
            if batch < BATCH:
                return sent

    async def _round(self) -> None:
        # Shielded: cancelled (the app stopping), the round in its thread still ends, and stop waits for it.
        self._inflight = asyncio.ensure_future(asyncio.to_thread(self.work))
        try:
            await asyncio.shield(self._inflight)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a database or mail outage: the next round tries again
            if self._failing:
                log.warning("mail sender round failed again: %s", str(error).splitlines()[0])
            else:
                log.exception("mail sender round failed")
            self._failing = True
        else:
            if self._failing:
                log.info("mail sender rounds succeed again")
            self._failing = False

    async def _run(self) -> None:
        while True:
            await self._round()
            await asyncio.sleep(self.config.poll_seconds)  # the loop's pace, not a wait for a condition

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="tribune-mail-sender")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._inflight is not None:
            with contextlib.suppress(Exception):
                await self._inflight
        self._inflight = None
        self.engine.dispose()

"""Live events: what an open page learns without reloading (new comments, tallies, votes, notifications).

Services queue events on the session with `emit`; they go out only once the transaction commits, so a
rolled-back write never announces anything. Two brokers share one interface:
- MemoryBroker serves a single process;
- RedisBroker (TRIBUNE_REDIS_URL) keeps one Redis stream per channel, so an event raised in any app process
  reaches pages served by every other, and a reconnecting page resumes from its Last-Event-ID.
An event id is a cursor over all the channels a page listens to ("article:3=17;user:5=2").
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from app.services.sql import Db
from app.text import parse_number

SESSION_KEY = "tribune_events"
BROKER_KEY = "tribune_broker"
BUFFER = 1000


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    data: dict[str, Any]
    channel: str


def article_channel(article_id: int) -> str:
    return f"article:{article_id}"


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def emit(session: Db, channel: str, type_: str, data: dict[str, Any]) -> None:
    """Queue an event; it is published once this unit of work (or session) has committed."""
    session.info.setdefault(SESSION_KEY, []).append((channel, type_, data))


def parse_cursor(value: str | None) -> dict[str, str]:
    cursor: dict[str, str] = {}
    for part in (value or "").split(";"):
        name, sep, position = part.partition("=")
        if sep and name and position and len(part) < 100:
            cursor[name] = position
    return cursor


def format_cursor(cursor: dict[str, str]) -> str:
    return ";".join(f"{name}={position}" for name, position in sorted(cursor.items()))


class Broker(Protocol):
    blocking: bool  # publish does network I/O: call it off the event loop

    def publish(self, channel: str, type_: str, data: dict[str, Any]) -> None: ...

    def listen(
        self, channels: list[str], last_event_id: str | None, *, heartbeat: float
    ) -> AsyncIterator[Event | None]: ...

    async def close(self) -> None: ...


class MemoryBroker:
    """One process: a ring buffer per channel, and waiters woken from any thread."""

    blocking = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffers: dict[str, deque[tuple[int, str, dict[str, Any]]]] = {}
        self._seq: dict[str, int] = {}
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def publish(self, channel: str, type_: str, data: dict[str, Any]) -> None:
        with self._lock:
            seq = self._seq.get(channel, 0) + 1
            self._seq[channel] = seq
            self._buffers.setdefault(channel, deque(maxlen=BUFFER)).append((seq, type_, data))
            waiters = list(self._waiters)
        for loop, ready in waiters:
            try:
                loop.call_soon_threadsafe(ready.set)
            except RuntimeError:  # the loop has closed: that page went away
                self._waiters.discard((loop, ready))

    def _after(self, channel: str, position: int) -> list[tuple[int, str, dict[str, Any]]]:
        with self._lock:
            return [item for item in self._buffers.get(channel, ()) if item[0] > position]

    async def listen(
        self, channels: list[str], last_event_id: str | None, *, heartbeat: float
    ) -> AsyncIterator[Event | None]:
        given = {c: parse_number(position) for c, position in parse_cursor(last_event_id).items()}
        with self._lock:
            cursor = {c: self._seq.get(c, 0) if given.get(c) is None else given[c] for c in channels}
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()
        waiter = (loop, ready)
        self._waiters.add(waiter)
        try:
            while True:
                ready.clear()
                sent = False
                for channel in channels:
                    for seq, type_, data in self._after(channel, cursor[channel]):
                        cursor[channel] = seq
                        sent = True
                        yield Event(
                            id=format_cursor({k: str(v) for k, v in cursor.items()}),
                            type=type_,
                            data=data,
                            channel=channel,
                        )
                if sent:
                    continue
                try:
                    await asyncio.wait_for(ready.wait(), timeout=heartbeat)
                except TimeoutError:
                    yield None
        finally:
            self._waiters.discard(waiter)

    async def close(self) -> None:
        return None


class RedisBroker:
    """Several processes: one Redis stream per channel (XADD to publish, XREAD BLOCK to listen)."""

    blocking = True

    def __init__(self, url: str, namespace: str = "tribune") -> None:
        import redis
        import redis.asyncio

        self._prefix = f"{namespace}:events:"
        self._sync = redis.Redis.from_url(url)
        self._async = redis.asyncio.Redis.from_url(url)

    def key(self, channel: str) -> str:
        return self._prefix + channel

    def publish(self, channel: str, type_: str, data: dict[str, Any]) -> None:
        self._sync.xadd(
            self.key(channel), {"type": type_, "data": json.dumps(data)}, maxlen=BUFFER, approximate=True
        )

    async def listen(
        self, channels: list[str], last_event_id: str | None, *, heartbeat: float
    ) -> AsyncIterator[Event | None]:
        given = parse_cursor(last_event_id)
        cursor: dict[str, str] = {}
        for channel in channels:
            if channel in given:
                cursor[channel] = given[channel]
            else:
                # Start from the stream's end: a fresh page wants only what happens from now on.
                last = await self._async.xrevrange(self.key(channel), count=1)
                cursor[channel] = last[0][0].decode() if last else "0-0"
        while True:
            reply = await self._async.xread(
                {self.key(c): cursor[c] for c in channels}, block=int(heartbeat * 1000), count=100
            )
            if not reply:
                yield None
                continue
            for key, entries in reply:
                channel = (key.decode() if isinstance(key, bytes) else key).removeprefix(self._prefix)
                for entry_id, fields in entries:
                    cursor[channel] = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                    data = json.loads(fields[b"data"])
                    yield Event(
                        id=format_cursor(cursor), type=fields[b"type"].decode(), data=data, channel=channel
                    )

    async def close(self) -> None:
        await self._async.aclose()
        self._sync.close()


def make_broker(redis_url: str | None, namespace: str = "tribune") -> Broker:
    return RedisBroker(redis_url, namespace) if redis_url else MemoryBroker()


def forget(info: dict[str, Any]) -> None:
    """Drop the events of a transaction that rolled back: nothing it did is announced."""
    info.pop(SESSION_KEY, None)


def _take(info: dict[str, Any]) -> tuple[Broker | None, list[tuple[str, str, dict[str, Any]]]]:
    return info.get(BROKER_KEY), info.pop(SESSION_KEY, None) or []


def publish_queued(info: dict[str, Any]) -> None:
    """Publish the events a committed unit of work queued, from a thread that may block."""
    broker, queued = _take(info)
    if broker is not None and queued:
        _publish_all(broker, queued)


async def publish_committed(info: dict[str, Any]) -> None:
    """publish_queued from the event loop: a broker that does network I/O (Redis) publishes from a
    worker thread, so that no request waits on another's publication."""
    broker, queued = _take(info)
    if broker is None or not queued:
        return
    if broker.blocking:
        await asyncio.to_thread(_publish_all, broker, queued)
    else:
        _publish_all(broker, queued)


def _publish_all(broker: Broker, queued: list[tuple[str, str, dict[str, Any]]]) -> None:
    for channel, type_, data in queued:
        try:
            broker.publish(channel, type_, data)
        except Exception:  # noqa: BLE001 - the write is committed; a lost live event only delays a page
            logging.getLogger("tribune").exception("live event not published")

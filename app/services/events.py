"""Live events: what an open page learns without reloading (new comments, tallies, votes, notifications).

Services queue events on the session with `emit`; they go out only once the transaction commits, so a
rolled-back write never announces anything. Every event takes a place in one sequence for the whole
site, its position ("<milliseconds>-<n>", a Redis stream id), which is its SSE id.

Each process keeps the recent events in a backlog and fans them out in memory to the pages it serves:
one subscription per page, each with a bounded queue. A page that cannot keep up (its queue is full)
is dropped and told to reload, so it never slows the others, and a page that goes away is forgotten
at once. Two brokers share this:
- MemoryBroker serves a single process: publishing appends to the backlog;
- RedisBroker (TRIBUNE_REDIS_URL) appends to one Redis stream, and one reader per process follows it
  (XREAD BLOCK), so an event raised in any app process reaches the pages served by every other.

A page carries the position of the sequence taken before it read anything (`position`), and its
stream replays from there (then from its Last-Event-ID when it reconnects): an event committed
between the rendering and the connection still reaches it. The position may be older than the page's
contents (an event already shown comes again, which the page ignores), never newer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from typing import Any, Protocol

from app.services.sql import Db

SESSION_KEY = "tribune_events"
BROKER_KEY = "tribune_broker"
BACKLOG = 10_000  # recent events each process keeps for the pages that (re)connect
QUEUE = 256  # events one page may have waiting before it is told to reload
HEARTBEAT = 15.0
FLOORS = 100_000  # channels whose oldest forgotten event is remembered (see Backlog)
MAX_SEQ = 2**64 - 1
# Positions without Redis start from the time this process started: those of an earlier run are older
# than any of this one. (One value per process: two apps in it give a page the same position.)
EPOCH = time.time_ns() // 1_000_000

Position = tuple[int, int]
ORIGIN: Position = (0, 0)
_POSITION = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")
log = logging.getLogger("tribune.live")


def parse_position(value: str | None) -> Position | None:
    """A position as a page sends it back ("1733500000000-3"), or None (then the stream starts now)."""
    found = _POSITION.fullmatch(value or "")
    return (int(found[1]), int(found[2])) if found else None


def format_position(position: Position) -> str:
    return f"{position[0]}-{position[1]}"


def _before(position: Position) -> Position:
    """The position just before this one."""
    ms, seq = position
    return (ms, seq - 1) if seq else (ms - 1, MAX_SEQ) if ms else ORIGIN


class Event:
    """One event, with its SSE frame encoded once for all the pages it goes to."""

    __slots__ = ("channel", "frame", "id", "payload", "position", "type")

    def __init__(self, position: Position, channel: str, type_: str, payload: str) -> None:
        self.position = position
        self.id = format_position(position)
        self.channel = channel
        self.type = type_
        self.payload = payload  # JSON, on one line
        self.frame = f"id: {self.id}\nevent: {type_}\ndata: {payload}\n\n".encode()

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.payload)
        return data

    def __repr__(self) -> str:
        return f"Event({self.id}, {self.channel}, {self.type}, {self.payload})"


RELOAD_FRAME = b"event: reload\ndata: {}\n\n"


def article_channel(article_id: int) -> str:
    return f"article:{article_id}"


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def emit(session: Db, channel: str, type_: str, data: dict[str, Any]) -> None:
    """Queue an event; it is published once this unit of work (or session) has committed."""
    session.info.setdefault(SESSION_KEY, []).append((channel, type_, data))


class Backlog:
    """The recent events, in order, indexed by channel; bounded in number.

    It answers "what did these channels say after position P?", or that it cannot: when an event of
    one of them after P has been forgotten. For that it remembers, per channel, the position of its
    last forgotten event (its floor); a channel it never forgot anything of has the floor of the
    backlog itself (`base`: what came before it was never known). The floors are bounded too: the
    oldest one dropped raises `base` to it, which can only make the answer more cautious."""

    def __init__(self, size: int, *, base: Position = ORIGIN) -> None:
        self.size = size
        self.base = base
        self.last = base
        self._events: deque[Event] = deque()
        self._channels: dict[str, deque[Event]] = {}
        self._floors: OrderedDict[str, Position] = OrderedDict()

    def add(self, event: Event) -> None:
        self._events.append(event)
        self._channels.setdefault(event.channel, deque()).append(event)
        self.last = event.position
        if len(self._events) > self.size:
            old = self._events.popleft()
            same = self._channels[old.channel]
            same.popleft()
            if not same:
                del self._channels[old.channel]
            self._floors[old.channel] = old.position
            self._floors.move_to_end(old.channel)
            if len(self._floors) > FLOORS:
                _channel, floor = self._floors.popitem(last=False)
                self.base = max(self.base, floor)

    def floor(self, channel: str) -> Position:
        return max(self.base, self._floors.get(channel, self.base))

    def since(self, channels: Iterable[str], position: Position, limit: int) -> list[Event] | None:
        """The events of these channels after position, in order; None when some may be missing, or
        when there are more than limit."""
        found: list[Event] = []
        for channel in channels:
            if position < self.floor(channel):
                return None
            for event in reversed(self._channels.get(channel, ())):
                if event.position <= position:
                    break
                found.append(event)
                if len(found) > limit:
                    return None
        found.sort(key=lambda event: event.position)
        return found

    def of(self, channel: str) -> list[Event]:
        return list(self._channels.get(channel, ()))

    def __len__(self) -> int:
        return len(self._events)


class Subscription:
    """One open page: the frames waiting for it, bounded; woken when there is something to send."""

    __slots__ = ("after", "batch", "channels", "fanout", "limit", "ping", "state", "waiting", "waiter")

    def __init__(self, fanout: Fanout, channels: tuple[str, ...], after: Position, limit: int) -> None:
        self.fanout = fanout
        self.channels = channels
        self.after = after  # events up to here were replayed (or predate the page): not sent again
        self.limit = limit
        self.waiting: list[bytes] = []
        self.state = "open"  # then "lagging" (tell it to reload), then "closed"
        self.ping: Position | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.batch = 0

    def push(self, event: Event, batch: int) -> bool:
        """Queue an event; False when the page cannot keep up (it is then told to reload): when it
        still has `limit` events waiting as a new batch arrives. A batch (what one read of the stream
        brought) is taken whole: a burst is not a slow page, since no page can run within one."""
        if event.position <= self.after:
            return True
        if self.batch != batch:
            self.batch = batch
            if len(self.waiting) >= self.limit:
                self.lag()
                return False
        self.waiting.append(event.frame)
        self._wake()
        return True

    def lag(self) -> None:
        if self.state == "open":
            self.state = "lagging"
            self.waiting.clear()  # what it missed is no longer kept for it
            self._wake()

    def close(self) -> None:
        """The page went away (or the stream ended): forget it now."""
        if self.state != "closed":
            self.state = "closed"
            self.waiting.clear()
            self.fanout.remove(self)
            self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def take(self) -> bytes | None:
        """What to send now: the events waiting, a reload notice, or a keep-alive that carries the
        stream's position; b"" when there is nothing yet (await `wait()`), None once closed."""
        if self.waiting:
            chunk = b"".join(self.waiting)
            self.waiting.clear()
            return chunk
        if self.state == "lagging":
            self.close()
            return RELOAD_FRAME
        if self.state == "closed":
            return None
        if self.ping is not None:
            # Every event of its channels up to there has been sent: a page that reconnects after a
            # quiet hour resumes from there, not from an event long forgotten.
            chunk = f"id: {format_position(self.ping)}\n\n".encode()
            self.ping = None
            return chunk
        return b""

    def wait(self) -> asyncio.Future[None]:
        """A future done when take() has something. Awaited in the stream's own task, with no
        coroutine of its own: what an idle page keeps between two events is this future and little
        else (10,000 pages are that many objects for each garbage collection to walk)."""
        waiter = self.waiter
        if waiter is None or waiter.done():
            waiter = self.waiter = self.fanout.loop.create_future()
        return waiter

    async def next(self) -> bytes | None:
        """take(), waiting for something to take."""
        while True:
            chunk = self.take()
            if chunk != b"":
                return chunk
            await self.wait()


class Fanout:
    """The subscriptions of one event loop, by channel; runs on that loop only."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, heartbeat: float, dispatched: Position) -> None:
        self.loop = loop
        self.heartbeat = heartbeat
        self.dispatched = dispatched  # every event up to here has been handed to the subscriptions
        self._channels: dict[str, set[Subscription]] = {}
        self._all: set[Subscription] = set()
        self._ticker: asyncio.TimerHandle | None = None
        self._batches = 0

    def add(
        self, channels: tuple[str, ...], after: Position, replay: list[Event] | None, limit: int
    ) -> Subscription:
        subscription = Subscription(self, channels, after, limit)
        if replay is None:
            subscription.lag()  # what it missed is no longer known: it reloads
            return subscription
        subscription.waiting.extend(event.frame for event in replay)
        self._all.add(subscription)
        for channel in channels:
            self._channels.setdefault(channel, set()).add(subscription)
        if self._ticker is None:
            self._ticker = self.loop.call_later(self.heartbeat, self._tick)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        self._all.discard(subscription)
        for channel in subscription.channels:
            same = self._channels.get(channel)
            if same is not None:
                same.discard(subscription)
                if not same:
                    del self._channels[channel]

    def dispatch(self, events: Iterable[Event]) -> None:
        self._batches += 1
        batch = self._batches
        for event in events:
            subscriptions = self._channels.get(event.channel)
            if subscriptions:
                lagging = [s for s in subscriptions if not s.push(event, batch)]
                for subscription in lagging:
                    self.remove(subscription)
            self.dispatched = max(self.dispatched, event.position)

    def post(self, events: list[Event]) -> bool:
        """dispatch, from any thread; False when this loop is gone."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self.dispatch(events)
            return True
        try:
            self.loop.call_soon_threadsafe(self.dispatch, events)
        except RuntimeError:  # closed
            return False
        return True

    def reload_all(self) -> None:
        for subscription in list(self._all):
            subscription.lag()
            self.remove(subscription)

    def _tick(self) -> None:
        self._ticker = None
        if not self._all:
            return
        for subscription in self._all:
            subscription.ping = self.dispatched
            subscription._wake()
        self._ticker = self.loop.call_later(self.heartbeat, self._tick)

    def __len__(self) -> int:
        return len(self._all)


class Broker(Protocol):
    blocking: bool  # publish does network I/O: call it off the event loop

    def publish(self, channel: str, type_: str, data: dict[str, Any]) -> None: ...

    async def position(self) -> str:
        """Where the sequence stands now: what a page rendered from now on replays from ("" when
        unknown: its stream starts when it connects)."""
        ...

    async def subscribe(self, channels: list[str], last_event_id: str | None) -> Subscription: ...

    def listeners(self) -> int: ...

    async def close(self) -> None: ...


def _encode(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class MemoryBroker:
    """One process: publishing appends to the backlog and hands the event to every loop's fan-out."""

    blocking = False

    def __init__(
        self, *, backlog: int = BACKLOG, queue: int = QUEUE, heartbeat: float = HEARTBEAT, epoch: int = EPOCH
    ) -> None:
        self._lock = threading.Lock()
        self._epoch = epoch
        self._seq = 0
        self._backlog = Backlog(backlog, base=(self._epoch, 0))
        self._queue = queue
        self._heartbeat = heartbeat
        self._fanouts: dict[asyncio.AbstractEventLoop, Fanout] = {}

    def publish(self, channel: str, type_: str, data: dict[str, Any]) -> None:
        payload = _encode(data)
        with self._lock:
            self._seq += 1
            event = Event((self._epoch, self._seq), channel, type_, payload)
            self._backlog.add(event)
            fanouts = list(self._fanouts.values())
        for fanout in fanouts:
            if not fanout.post([event]):
                with self._lock:
                    self._fanouts.pop(fanout.loop, None)

    async def position(self) -> str:
        with self._lock:
            return format_position(self._backlog.last)

    async def subscribe(self, channels: list[str], last_event_id: str | None) -> Subscription:
        loop = asyncio.get_running_loop()
        with self._lock:
            fanout = self._fanouts.get(loop)
            if fanout is None:
                for old in [old for old in self._fanouts if old.is_closed()]:
                    del self._fanouts[old]
                fanout = self._fanouts[loop] = Fanout(
                    loop, heartbeat=self._heartbeat, dispatched=self._backlog.last
                )
            # Under the lock: an event published from now on is dispatched to it (after `after`), one
            # published before is in the replay or predates its position.
            since = parse_position(last_event_id)
            replay = [] if since is None else self._backlog.since(channels, since, self._queue)
            after = max(self._backlog.last, since or ORIGIN)
            return fanout.add(tuple(channels), after, replay, self._queue)

    def listeners(self) -> int:
        return sum(len(fanout) for fanout in list(self._fanouts.values()))

    def _after(self, channel: str, position: int = 0) -> list[Event]:
        """The backlog's events of a channel after the n-th of this run (for tests)."""
        with self._lock:
            return [event for event in self._backlog.of(channel) if event.position[1] > position]

    async def close(self) -> None:
        return None


class _Reader:
    """The one reader of the Redis stream for a process (for an event loop): it keeps the backlog and
    hands each new event to the loop's fan-out."""

    def __init__(self, broker: RedisBroker, loop: asyncio.AbstractEventLoop) -> None:
        self.broker = broker
        self.backlog = Backlog(broker.backlog_size)
        self.fanout = Fanout(loop, heartbeat=broker.heartbeat, dispatched=ORIGIN)
        self.ready = asyncio.Event()  # the backlog is loaded: positions can be given and replayed
        self.answered = asyncio.Event()  # loaded, or failed once: nobody waits for Redis any longer
        self.task = loop.create_task(self._run())

    async def _run(self) -> None:
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(
            self.broker.url, socket_connect_timeout=2, socket_timeout=self.broker.block_seconds + 5
        )
        delay = 0.1
        try:
            while True:
                try:
                    await self._load(client)
                    self.answered.set()
                    delay = 0.1
                    while True:
                        await self._read(client)
                except (OSError, redis.RedisError) as exc:
                    self.answered.set()
                    log.warning("live events: Redis stream unreadable (%s), retrying in %.1f s", exc, delay)
                    await asyncio.sleep(delay)  # a pause before retrying, not a wait on a condition
                    delay = min(delay * 2, 5.0)
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def _load(self, client: Any) -> None:
        """At the start, the stream's last events; after a lost connection, check that none was
        trimmed before it was read (else every page reloads)."""
        import redis

        key = self.broker.key
        try:
            info = await client.xinfo_stream(key)
        except redis.ResponseError:  # no such key: nothing was ever published
            info = {"entries-added": 0, "length": 0, "first-entry": None}
        first = info.get("first-entry")
        floor = ORIGIN
        if first and int(info["entries-added"]) > int(info["length"]):
            floor = _before(_parse_id(first[0]))
        if self.ready.is_set():
            if floor > self.backlog.last:
                log.warning("live events: missed events while Redis was unreadable; pages reload")
                self.backlog = Backlog(self.backlog.size, base=floor)
                self.fanout.reload_all()
            return
        entries = await client.xrevrange(key, count=self.backlog.size)
        if len(entries) >= self.backlog.size:
            floor = max(floor, _before(_parse_id(entries[-1][0])))
        self.backlog = Backlog(self.backlog.size, base=floor)
        for entry_id, fields in reversed(entries):
            self.backlog.add(_event(entry_id, fields))
        self.fanout.dispatched = self.backlog.last
        self.ready.set()

    async def _read(self, client: Any) -> None:
        last = format_position(self.backlog.last)
        reply = await client.xread(
            {self.broker.key: last}, count=1000, block=int(self.broker.block_seconds * 1000)
        )
        if not reply:
            return
        fresh: list[Event] = []
        for _key, entries in reply:
            for entry_id, fields in entries:
                event = _event(entry_id, fields)
                self.backlog.add(event)
                fresh.append(event)
        self.fanout.dispatch(fresh)

    def position(self) -> str:
        return format_position(self.backlog.last) if self.ready.is_set() else ""


def _parse_id(value: bytes | str) -> Position:
    text = value.decode() if isinstance(value, bytes) else value
    ms, _sep, seq = text.partition("-")
    return (int(ms), int(seq or 0))


def _event(entry_id: bytes | str, fields: dict[bytes, bytes]) -> Event:
    return Event(
        _parse_id(entry_id),
        fields[b"channel"].decode(),
        fields[b"type"].decode(),
        fields[b"data"].decode(),
    )


class RedisBroker:
    """Several processes: one Redis stream for the site (XADD to publish, one XREAD BLOCK reader per
    process to listen)."""

    blocking = True

    def __init__(
        self,
        url: str,
        namespace: str = "tribune",
        *,
        backlog: int = BACKLOG,
        queue: int = QUEUE,
        heartbeat: float = HEARTBEAT,
        block_seconds: float = 5.0,
        ready_timeout: float = 5.0,
    ) -> None:
        import redis

        self.url = url
        self.key = f"{namespace}:events"
        self.backlog_size = backlog
        self.queue = queue
        self.heartbeat = heartbeat
        self.block_seconds = block_seconds
        self.ready_timeout = ready_timeout
        self._sync = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._readers: dict[asyncio.AbstractEventLoop, _Reader] = {}

    def publish(self, channel: str, type_: str, data: dict[str, Any]) -> None:
        fields = {"channel": channel, "type": type_, "data": _encode(data)}
        self._sync.xadd(self.key, fields, maxlen=self.backlog_size, approximate=True)  # type: ignore[arg-type]

    def _reader(self) -> _Reader:
        loop = asyncio.get_running_loop()
        reader = self._readers.get(loop)
        if reader is None:
            for old in [old for old in self._readers if old.is_closed()]:
                del self._readers[old]
            reader = self._readers[loop] = _Reader(self, loop)
        return reader

    async def position(self) -> str:
        reader = self._reader()
        if not reader.answered.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reader.answered.wait(), self.ready_timeout)
        return reader.position()

    async def subscribe(self, channels: list[str], last_event_id: str | None) -> Subscription:
        reader = self._reader()
        if not reader.answered.is_set():
            await asyncio.wait_for(reader.answered.wait(), self.ready_timeout)
        if not reader.ready.is_set():
            raise TimeoutError("the live events cannot be read from Redis")  # the page retries
        # No await from here on: the replay and the registration see the same backlog.
        backlog = reader.backlog
        since = parse_position(last_event_id)
        replay = [] if since is None else backlog.since(channels, since, self.queue)
        # A position this process has not read up to yet (another one served the page): what comes
        # up to it, the page has.
        after = max(backlog.last, since or ORIGIN)
        return reader.fanout.add(tuple(channels), after, replay, self.queue)

    def listeners(self) -> int:
        return sum(len(reader.fanout) for reader in list(self._readers.values()))

    async def close(self) -> None:
        for reader in list(self._readers.values()):
            reader.task.cancel()
        self._readers.clear()
        self._sync.close()


def make_broker(
    redis_url: str | None,
    namespace: str = "tribune",
    *,
    backlog: int = BACKLOG,
    queue: int = QUEUE,
    heartbeat: float = HEARTBEAT,
) -> Broker:
    if redis_url:
        return RedisBroker(redis_url, namespace, backlog=backlog, queue=queue, heartbeat=heartbeat)
    return MemoryBroker(backlog=backlog, queue=queue, heartbeat=heartbeat)


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

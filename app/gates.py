"""Gates in front of the routes: how many requests may hold a database connection at once, and one
writer at a time on SQLite."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from app.db import POOL_SIZE
from app.errors import RETRY_AFTER_UNAVAILABLE
from app.i18n import _
from app.middleware import SESSION_COOKIE, answer, read_body, writes

# Waiting for a slot longer than this is answered 503 (TRIBUNE_QUEUE_TIMEOUT sets it per app).
QUEUE_TIMEOUT = 2.0


class SQLiteWriteGate:
    """On SQLite, one writing request at a time per process, queued in the event loop.

    A writing request takes SQLite's write lock (BEGIN IMMEDIATE) at its first statement, which
    runs in a dependency, then needs a thread-pool slot again for the next dependency and the route.
    Under load every slot could be held by requests waiting for that lock, and the holder could never
    finish: requests stalled until the busy timeout and failed with "database is locked". Waiting
    here holds neither a thread nor a connection, and the writes were serialised by SQLite anyway.
    The body is read before queueing (a slow upload does not hold the gate) and the gate opens as
    soon as the response starts, which is after the commit."""

    def __init__(self, app: Any, *, timeout: float = QUEUE_TIMEOUT) -> None:
        self.app = app
        self.lock = asyncio.Lock()
        self.timeout = timeout

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not writes(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        _body, replay = await read_body(receive)
        await held(
            self.app,
            scope,
            replay,
            send,
            take=self.lock.acquire,
            give=self.lock.release,
            timeout=self.timeout,
        )


class ConnectionGate:
    """At most as many requests in the routes at once as the pool has connections.

    A request takes its connection at its first statement, in one thread-pool hop, and holds it
    through the next hops (the route, then the commit). With more requests in flight than
    connections, every pool thread could be taken by requests waiting for a connection while the
    requests that hold one wait for a thread: nothing moves until the pool's timeout (seen with 64
    concurrent votes on PostgreSQL). Waiting here holds neither. The gate opens when the response
    starts, which is after the commit; static files and the health check do not queue.

    Past capacity, anonymous readers (GET without a session), whose page is the shared rendering
    every reader of a debate gets (services/cache.py), get three slots in four that free: the cheapest
    answer, and the one most people are waiting for. Writes and signed-in pages get the fourth, and
    are the first to be shed.

    A request also waits before it gets here, unseen by the slots: when the process's CPU is the
    bottleneck (SQLite statements run in the event loop), each turn of the loop reads every socket that
    is ready and serves what it read, and a turn lasts as long as that takes; with 2,000 clients, 3 to 4
    seconds, while each request took a millisecond once started. The loop's lateness (LoopLag) is that
    wait: past `timeout`, writes and signed-in pages are shed at once (a 503 costs a fraction of a
    page), which shortens the turns; past twice `timeout`, anonymous readers too."""

    def __init__(self, app: Any, *, size: int = POOL_SIZE, timeout: float = QUEUE_TIMEOUT) -> None:
        self.app = app
        self.slots = Slots(size)
        self.timeout = timeout
        self.lag = LoopLag()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/static/", "/healthz")):
            await self.app(scope, receive, send)
            return
        lane = READERS if scope["method"] in ("GET", "HEAD") and not _signed_in(scope) else OTHERS
        late = self.lag.seconds()
        if late > self.timeout and (lane == OTHERS or late > 2 * self.timeout):
            await shed(scope, send)
            return
        await held(
            self.app,
            scope,
            receive,
            send,
            take=lambda: self.slots.acquire(lane),
            give=self.slots.release,
            timeout=self.timeout,
        )


READERS, OTHERS = 0, 1


class LoopLag:
    """How late the event loop runs what is due: a timer every TICK seconds notes how long after its
    time it ran. The answer is the largest lateness of the last WINDOW ticks (a turn of the loop that
    just ended, not only the latest tick). The timer runs while requests ask, and stops after IDLE
    seconds without one; it watches the loop of the latest request (tests start one loop per client)."""

    TICK = 0.05
    WINDOW = 4
    IDLE = 60.0

    def __init__(self) -> None:
        self.recent: deque[float] = deque([0.0], maxlen=self.WINDOW)
        self.loop: asyncio.AbstractEventLoop | None = None  # the loop watched, while a timer runs
        self.until = 0.0

    def seconds(self) -> float:
        loop = asyncio.get_running_loop()
        self.until = loop.time() + self.IDLE
        if self.loop is not loop:
            self.loop = loop
            self.recent.extend([0.0] * self.WINDOW)
            loop.call_later(self.TICK, self._tick, loop, loop.time() + self.TICK)
        return max(self.recent)

    def _tick(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        if loop is not self.loop:
            return  # another loop is watched now
        now = loop.time()
        self.recent.append(now - due)
        if now < self.until:
            loop.call_later(self.TICK, self._tick, loop, now + self.TICK)
        else:
            self.loop = None
            self.recent.append(0.0)


_SESSION = SESSION_COOKIE.encode() + b"="


def _signed_in(scope: Any) -> bool:
    return any(name == b"cookie" and _SESSION in value for name, value in scope["headers"])


class Slots:
    """A counting semaphore with two lanes: a slot given back goes to the longest-waiting request of
    the first lane (READERS), except that after STREAK of those in a row, with the other lane waiting,
    the next goes to the other lane: readers get three slots in four, and writers are never starved
    (with strict priority, 100 readers of a page held off every vote). A waiter cancelled (its bounded
    wait over) leaves its lane, and passes on a slot it was given as it gave up."""

    STREAK = 3

    def __init__(self, size: int) -> None:
        self.free = size
        self.lanes: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (deque(), deque())
        self.streak = 0  # slots given in a row to READERS while OTHERS waited

    def waiting(self, lane: int) -> int:
        return len(self.lanes[lane])

    async def acquire(self, lane: int) -> None:
        if self.free > 0 and not (self.lanes[0] or self.lanes[1]):
            self.free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.lanes[lane].append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if not waiter.cancelled():
                self.release()  # given a slot as the wait ended: the next waiter has it
            elif waiter in self.lanes[lane]:  # release() may have dropped it already
                self.lanes[lane].remove(waiter)
            raise

    def release(self) -> None:
        order = (OTHERS, READERS) if self.streak >= self.STREAK else (READERS, OTHERS)
        for lane in order:
            waiting = self.lanes[lane]
            while waiting:
                waiter = waiting.popleft()
                if not waiter.done():  # a cancelled one is on its way out
                    waiter.set_result(None)
                    self.streak = self.streak + 1 if lane == READERS and self.lanes[OTHERS] else 0
                    return
        self.free += 1


async def held(
    app: Any,
    scope: Any,
    receive: Any,
    send: Any,
    *,
    take: Callable[[], Awaitable[Any]],
    give: Callable[[], None],
    timeout: float,
) -> None:
    """Run app holding what take() got, given back as soon as the response starts (which is after
    the commit) or when app ends, whichever comes first.

    Load shedding: a request that cannot take() within `timeout` seconds is answered 503 with
    Retry-After and never runs. Past capacity, a queue without bound only grows every answer's wait
    (tails of 10 to 19 seconds at 1,000 concurrent clients, each held by its client all along); a
    bounded one serves those it lets in at their usual speed and tells the others, at once, to come
    back. The wait is about the time the requests ahead take, so the bound is on it, not on the
    queue's length."""
    given = False

    def give_once() -> None:
        nonlocal given
        if not given:
            given = True
            give()

    async def send_and_give(message: Any) -> None:
        if message["type"] == "http.response.start":
            give_once()
        await send(message)

    try:
        async with asyncio.timeout(timeout):
            await take()
    except TimeoutError:
        await shed(scope, send)
        return
    try:
        await app(scope, receive, send_and_give)
    finally:
        give_once()


async def shed(scope: Any, send: Any) -> None:
    message = _("Le site est très sollicité : réessayez dans quelques secondes.")
    headers = [(b"retry-after", str(RETRY_AFTER_UNAVAILABLE).encode()), (b"cache-control", b"no-store")]
    await answer(scope, send, 503, "unavailable", message, headers)

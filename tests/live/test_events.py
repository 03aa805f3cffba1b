"""Live updates: events leave only after commit, reach pages served by another app process through Redis,
fan out in memory to every page of a process (a slow page is told to reload, a closed one forgotten), and
a page misses nothing between its rendering and its stream (it replays from the page's position)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.types import Message

from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.models import Article, Role, User
from app.models.schemas import CommentCreate
from app.services import comments, events
from app.services.sql import work_scope
from tests.factories import PASSWORD, make_article, make_user
from tests.perf.live import REDIS_URL, free_port, fresh_database, live_server, redis_available

# The broker, without a server ---------------------------------------------------------------------


async def _take(subscription: events.Subscription, timeout: float = 5) -> bytes | None:
    return await asyncio.wait_for(subscription.next(), timeout)


def _ids(chunk: bytes | None) -> list[int]:
    """The data ids of the events in what a subscription gave."""
    return [
        json.loads(line[6:])["id"] for line in (chunk or b"").decode().splitlines() if line[:6] == "data: "
    ]


def test_memory_broker_replays_what_a_page_missed_after_its_position() -> None:
    broker = events.MemoryBroker()
    channel = events.article_channel(1)
    broker.publish(channel, "comment", {"id": 0})

    async def scenario() -> None:
        rendered = await broker.position()
        for n in (1, 2):
            broker.publish(channel, "comment", {"id": n})
        broker.publish(events.article_channel(2), "comment", {"id": 99})  # another debate's
        page = await broker.subscribe([channel], rendered)
        assert _ids(await _take(page)) == [1, 2]
        fresh = await broker.subscribe([channel], None)  # no position: from now on
        broker.publish(channel, "comment", {"id": 3})
        assert _ids(await _take(fresh)) == [3]
        assert _ids(await _take(page)) == [3]

    asyncio.run(scenario())


def test_a_page_that_cannot_keep_up_is_told_to_reload_and_the_others_get_every_event() -> None:
    broker = events.MemoryBroker(queue=4)
    channel = events.article_channel(1)

    async def scenario() -> None:
        slow = await broker.subscribe([channel], None)
        fast = await broker.subscribe([channel], None)
        got: list[int] = []
        for n in range(10):
            broker.publish(channel, "comment", {"id": n})
            got += _ids(await _take(fast))
        assert got == list(range(10))
        assert broker.listeners() == 1  # the slow page is let go at once, with what it had waiting
        assert await _take(slow) == events.RELOAD_FRAME
        assert await _take(slow) is None

    asyncio.run(scenario())


def test_a_burst_larger_than_the_queue_is_not_a_slow_page() -> None:
    broker = events.MemoryBroker(queue=4)
    channel = events.article_channel(1)

    async def scenario() -> None:
        page = await broker.subscribe([channel], None)
        epoch = broker._epoch
        # What one read of the Redis stream may bring at once: no page could have run in between.
        burst = [events.Event((epoch, 100 + n), channel, "vote", json.dumps({"id": n})) for n in range(10)]
        page.fanout.dispatch(burst)
        assert _ids(await _take(page)) == list(range(10))
        assert broker.listeners() == 1

    asyncio.run(scenario())


def test_a_page_whose_missed_events_are_forgotten_is_told_to_reload() -> None:
    broker = events.MemoryBroker(backlog=3)
    busy, quiet = events.article_channel(1), events.article_channel(2)

    async def scenario() -> None:
        rendered = await broker.position()
        for n in range(5):
            broker.publish(busy, "vote", {"id": n})
        stale = await broker.subscribe([busy], rendered)
        assert await _take(stale) == events.RELOAD_FRAME
        # A debate that said nothing since lost nothing: its page carries on.
        calm = await broker.subscribe([quiet], rendered)
        broker.publish(quiet, "comment", {"id": 7})
        assert _ids(await _take(calm)) == [7]

    asyncio.run(scenario())


def test_a_position_from_an_earlier_run_of_the_process_is_told_to_reload() -> None:
    earlier = events.MemoryBroker()
    earlier.publish(events.article_channel(1), "comment", {"id": 1})
    position = asyncio.run(earlier.position())
    later = events.MemoryBroker(epoch=events.EPOCH + 1)  # the process started again, however fast

    async def scenario() -> None:
        page = await later.subscribe([events.article_channel(1)], position)
        assert await _take(page) == events.RELOAD_FRAME

    asyncio.run(scenario())


def test_an_idle_page_keeps_up_with_the_position_through_its_keep_alives() -> None:
    broker = events.MemoryBroker(heartbeat=0.05)
    quiet, busy = events.article_channel(1), events.article_channel(2)

    async def scenario() -> None:
        page = await broker.subscribe([quiet], None)
        for n in range(2):
            broker.publish(busy, "vote", {"id": n})
        last = await broker.position()
        assert await _take(page) == f"id: {last}\n\n".encode()  # nothing for it, but its position
        broker.publish(quiet, "comment", {"id": 5})
        again = await broker.subscribe([quiet], last)  # reconnecting from there: only what came since
        assert _ids(await _take(again)) == [5]

    asyncio.run(scenario())


def test_redis_broker_tells_a_page_to_reload_when_its_missed_events_were_trimmed() -> None:
    if not redis_available():
        pytest.fail(f"Redis is needed for this test ({REDIS_URL}); .ci/run starts it")
    broker = events.RedisBroker(REDIS_URL, f"tribune-test-{uuid.uuid4().hex[:8]}", backlog=100)
    channel = events.article_channel(1)

    async def scenario() -> None:
        rendered = await broker.position()  # starts this process's reader
        for n in range(250):
            broker.publish(channel, "vote", {"id": n})
        newest: Any = broker._sync.xrevrange(broker.key, count=2)
        last, before_last = (entry[0].decode() for entry in newest)
        deadline = time.monotonic() + 10
        while await broker.position() != last:  # the reader has read them all
            assert time.monotonic() < deadline, "the reader did not catch up"
            await asyncio.sleep(0.01)
        stale = await broker.subscribe([channel], rendered)
        assert await _take(stale) == events.RELOAD_FRAME
        recent = await broker.subscribe([channel], before_last)
        assert _ids(await _take(recent)) == [249]
        await broker.close()

    try:
        asyncio.run(scenario())
    finally:
        with contextlib.suppress(Exception):
            redis.Redis.from_url(REDIS_URL).delete(broker.key)


def test_without_redis_a_page_is_rendered_at_once_and_its_stream_asks_to_come_back() -> None:
    broker = events.RedisBroker(f"redis://127.0.0.1:{free_port()}/0", "nowhere", ready_timeout=60)

    async def scenario() -> None:
        # Both answer once the reader has failed to connect, not after the minute they may wait.
        assert await asyncio.wait_for(broker.position(), 30) == ""  # the stream will start from now
        with pytest.raises(TimeoutError, match="cannot be read"):
            await asyncio.wait_for(broker.subscribe([events.article_channel(1)], None), 30)
        await broker.close()

    asyncio.run(scenario())


def _post(engine: Engine, broker: events.Broker, *, author_id: int, article_id: int, body: str) -> None:
    for work in work_scope(engine, write=True, info={events.BROKER_KEY: broker}):
        session = work.orm
        author, article = session.get(User, author_id), session.get(Article, article_id)
        assert author is not None
        assert article is not None
        comments.post_comment(
            session, author=author, article=article, data=CommentCreate(body=body, stance="for")
        )


def _emit_then_fail(engine: Engine, broker: events.Broker, channel: str) -> None:
    for work in work_scope(engine, write=True, info={events.BROKER_KEY: broker}):
        events.emit(work, channel, "comment", {"id": -1})
        raise RuntimeError("rolled back")


def test_only_published_comments_go_out_and_only_after_commit(committed: Engine) -> None:
    with Session(committed) as session:
        article = make_article(session)
        trusted = make_user(session)
        newcomer = make_user(session, approved_count=0)
        session.commit()
        ids = (article.id, trusted.id, newcomer.id)
    broker = events.MemoryBroker()
    channel = events.article_channel(ids[0])  # type: ignore[arg-type]
    _post(committed, broker, author_id=ids[2], article_id=ids[0], body="retenu")  # type: ignore[arg-type]
    assert broker._after(channel, 0) == []
    with pytest.raises(RuntimeError):
        _emit_then_fail(committed, broker, channel)
    assert broker._after(channel, 0) == []
    _post(committed, broker, author_id=ids[1], article_id=ids[0], body="publié")  # type: ignore[arg-type]
    assert [event.type for event in broker._after(channel, 0)] == ["comment"]


def test_a_page_that_goes_away_is_forgotten_at_once(committed: Engine, settings: Settings) -> None:
    with Session(committed) as session:
        slug = make_article(session).slug
        session.commit()
    app = create_app(settings)
    broker: events.Broker = app.state.broker

    async def scenario() -> None:
        started, gone = asyncio.Event(), asyncio.Event()
        requested = False

        async def receive() -> Message:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                assert message["status"] == 200
                started.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": f"/articles/{slug}/events",
            "raw_path": f"/articles/{slug}/events".encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        stream = asyncio.create_task(app(scope, receive, send))
        await asyncio.wait_for(started.wait(), 10)
        assert broker.listeners() == 1
        gone.set()
        # Ended at once (the keep-alive is 15 s away), its subscription with it.
        await asyncio.wait_for(stream, 2)
        assert broker.listeners() == 0

    try:
        asyncio.run(scenario())
    finally:
        app.state.engine.dispose()


# Real servers ------------------------------------------------------------------------------------


class SSEReader:
    """Reads a server-sent-events stream in a thread and hands over (id, event, data) triples. It is
    open once the server's first line has arrived: the server subscribes the page before it answers."""

    def __init__(self, url: str, last_event_id: str | None = None) -> None:
        self.events: queue.Queue[tuple[str, str, dict[str, object]]] = queue.Queue()
        self.opened = threading.Event()
        self.status = 0
        self._stop = threading.Event()
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()
        assert self.opened.wait(10), "the event stream did not open"
        assert self.status == 200

    def _run(self, url: str, headers: dict[str, str]) -> None:
        try:
            self._read(url, headers)
        except httpx.HTTPError:
            return  # the server went away at the end of the test
        finally:
            self.opened.set()

    def _read(self, url: str, headers: dict[str, str]) -> None:
        with (
            httpx.Client(timeout=httpx.Timeout(5, read=30)) as client,
            client.stream("GET", url, headers=headers) as r,
        ):
            self.status = r.status_code
            fields: dict[str, str] = {}
            for line in r.iter_lines():
                self.opened.set()
                if self._stop.is_set():
                    return
                if not line:
                    if "event" in fields:
                        data = json.loads(fields.get("data", "{}"))
                        self.events.put((fields.get("id", ""), fields["event"], data))
                    fields = {}
                elif not line.startswith(":"):
                    name, _sep, value = line.partition(": ")
                    fields[name] = value

    def next(self, kind: str, timeout: float = 10) -> tuple[str, dict[str, object]]:
        deadline = time.monotonic() + timeout
        while True:
            event_id, event, data = self.events.get(timeout=max(deadline - time.monotonic(), 0.01))
            if event == kind:
                return event_id, data

    def close(self) -> None:
        self._stop.set()


@contextmanager
def _servers(tmp_path: Path, count: int, *, use_redis: bool) -> Iterator[tuple[list[str], str]]:
    """count app processes on one fresh database (SQLite, or PostgreSQL beside the suite's), sharing
    live events through Redis or, for one process, in memory; yields their URLs and the article."""
    env = {"TRIBUNE_RATE_LIMITS": "false"}
    if use_redis:
        if not redis_available():
            pytest.fail(f"Redis is needed for live events across processes ({REDIS_URL}); .ci/run starts it")
        env |= {
            "TRIBUNE_REDIS_URL": REDIS_URL,
            "TRIBUNE_REDIS_NAMESPACE": f"tribune-test-{uuid.uuid4().hex[:8]}",
        }
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        with Session(engine) as session:
            make_article(session, slug="en-direct")
            make_article(session, slug="ailleurs")
            make_user(session, username="ecrivain", role=Role.reader)
            session.commit()
        engine.dispose()
        with _processes(url, tmp_path, count, env) as bases:
            yield bases, "en-direct"


@contextmanager
def _processes(url: str, tmp_path: Path, count: int, env: dict[str, str]) -> Iterator[list[str]]:
    if count == 1:
        with live_server(url, tmp_path, **env) as a:
            yield [a]
    else:
        with live_server(url, tmp_path, **env) as a, live_server(url, tmp_path, **env) as b:
            yield [a, b]


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    with _servers(tmp_path, 2, use_redis=True) as (bases, slug):
        yield bases[0], bases[1], slug


def _signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    login = client.post("/api/v1/auth/login", json={"username": "ecrivain", "password": PASSWORD})
    assert login.status_code == 200, login.text
    client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    return client


def _comment(writer: httpx.Client, slug: str, body: str) -> int:
    posted = writer.post(f"/api/v1/articles/{slug}/comments", json={"body": body, "stance": "for"})
    assert posted.status_code == 201, posted.text
    return int(posted.json()["id"])


def _page(base: str, slug: str) -> tuple[str, str]:
    """An anonymous reader's page: its text, and the live position it carries."""
    html = httpx.get(f"{base}/articles/{slug}", timeout=10).text
    found = re.search(r'data-live-from="([^"]*)"', html)
    assert found, "the page carries no live position"
    return html, found[1]


def test_a_comment_posted_through_one_process_reaches_a_page_served_by_another(
    two_processes: tuple[str, str, str],
) -> None:
    a, b, slug = two_processes
    listener = SSEReader(f"{b}/articles/{slug}/events")
    try:
        writer = _signed_in(a)
        posted = _comment(writer, slug, "Depuis A")
        _event_id, data = listener.next("comment")
        assert data["id"] == posted
        card = httpx.get(f"{b}/comments/{posted}/card", headers={"HX-Request": "true"})
        assert card.status_code == 200
        assert "Depuis A" in card.text
        voted_tally = writer.put(f"/api/v1/articles/{slug}/stance", json={"stance": "against"})
        assert voted_tally.status_code == 200
        _event_id, tally = listener.next("tally")
        assert tally == {"for": 0, "against": 1, "nuanced": 0}
    finally:
        listener.close()


def test_a_reconnecting_page_resumes_from_its_last_event_id(two_processes: tuple[str, str, str]) -> None:
    a, b, slug = two_processes
    writer = _signed_in(a)
    first_listener = SSEReader(f"{b}/articles/{slug}/events")
    first = _comment(writer, slug, "un")
    last_id, data = first_listener.next("comment")
    assert data["id"] == first
    first_listener.close()
    # While the page is away, two more comments arrive through the other process.
    missed = [_comment(writer, slug, f"manqué {n}") for n in range(2)]
    again = SSEReader(f"{b}/articles/{slug}/events", last_event_id=last_id)
    try:
        got = [again.next("comment")[1]["id"] for _ in missed]
        assert got == missed
    finally:
        again.close()


@pytest.mark.parametrize("use_redis", [False, True], ids=["one-process", "redis"])
def test_a_comment_posted_between_the_page_and_its_stream_reaches_the_page(
    tmp_path: Path, use_redis: bool
) -> None:
    with _servers(tmp_path, 2 if use_redis else 1, use_redis=use_redis) as (bases, slug):
        reader_side, writer_side = bases[-1], bases[0]
        html, position = _page(reader_side, slug)
        assert "Entre-temps" not in html
        posted = _comment(_signed_in(writer_side), slug, "Entre-temps")
        # The page's script connects only now, from the position the page carries.
        stream = SSEReader(f"{reader_side}/articles/{slug}/events?last_event_id={position}")
        try:
            assert stream.next("comment")[1]["id"] == posted
        finally:
            stream.close()


def test_a_shared_page_carries_the_position_of_its_build_and_still_misses_nothing(tmp_path: Path) -> None:
    with _servers(tmp_path, 1, use_redis=False) as (bases, slug):
        base = bases[0]
        writer = _signed_in(base)
        _html, built = _page(base, slug)
        _comment(writer, "ailleurs", "Sur un autre débat")  # the events move on, not this debate
        again, kept = _page(base, slug)
        assert kept == built  # the shared rendering, with the position it was built with
        posted = _comment(writer, slug, "Nouvelle réaction")
        fresh, rebuilt = _page(base, slug)  # the debate's version moved: a new rendering
        assert "Nouvelle réaction" in fresh
        assert "Nouvelle réaction" not in again
        assert events.parse_position(rebuilt) > events.parse_position(built)  # type: ignore[operator]
        # The reader of the older rendering still gets the comment it does not show...
        old_page = SSEReader(f"{base}/articles/{slug}/events?last_event_id={kept}")
        new_page = SSEReader(f"{base}/articles/{slug}/events?last_event_id={rebuilt}")
        try:
            assert old_page.next("comment")[1]["id"] == posted
            # ...and the newer one, what comes after it.
            later = _comment(writer, slug, "Encore une")
            assert new_page.next("comment")[1]["id"] == later
            assert old_page.next("comment")[1]["id"] == later
        finally:
            old_page.close()
            new_page.close()


def _open_streams(url: str, count: int, arrived: Callable[[int], None]) -> Callable[[], None]:
    """count streams read in one thread's event loop; arrived(n) when n of them got a comment."""
    loop = asyncio.new_event_loop()
    opened = threading.Event()
    stop: list[asyncio.Event] = []

    async def one(client: httpx.AsyncClient, ready: list[int], got: list[int]) -> None:
        async with client.stream("GET", url) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("retry:"):
                    ready.append(1)
                    if len(ready) == count:
                        opened.set()
                if line == "event: comment":
                    got.append(1)
                    arrived(len(got))
                    return

    async def main() -> None:
        stop.append(asyncio.Event())
        limits = httpx.Limits(max_connections=count + 10)
        async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(10, read=60)) as client:
            ready: list[int] = []
            got: list[int] = []
            tasks = [asyncio.create_task(one(client, ready, got)) for _ in range(count)]
            waiting = asyncio.create_task(stop[0].wait())
            await asyncio.wait([*tasks, waiting], return_when=asyncio.FIRST_EXCEPTION)
            for task in tasks:
                task.cancel()
            waiting.cancel()
            await asyncio.gather(*tasks, waiting, return_exceptions=True)

    def run() -> None:
        loop.run_until_complete(main())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert opened.wait(30), "the streams did not all open"

    def close() -> None:
        if stop:
            loop.call_soon_threadsafe(stop[0].set)
        thread.join(10)

    return close


def test_one_redis_reader_per_process_serves_more_pages_than_redis_connections(
    two_processes: tuple[str, str, str],
) -> None:
    a, b, slug = two_processes
    count = 150  # redis-py's pool stopped at 100 connections, one per page
    everyone = threading.Event()

    def arrived(n: int) -> None:
        if n == count:
            everyone.set()

    close = _open_streams(f"{b}/articles/{slug}/events", count, arrived)
    try:
        _comment(_signed_in(a), slug, "Pour tout le monde")
        assert everyone.wait(15), "not every page got the comment"
    finally:
        close()

"""Live updates: events leave only after commit, reach pages served by another app process through Redis,
and a reconnecting page resumes from Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import make_engine
from app.models import Article, Role, User
from app.models.schemas import CommentCreate
from app.services import comments, events
from app.services.sql import work_scope
from tests.factories import PASSWORD, make_article, make_user
from tests.perf.live import REDIS_URL, fresh_database, live_server, redis_available


def test_memory_broker_resumes_after_the_last_event_id() -> None:
    broker = events.MemoryBroker()
    channel = events.article_channel(1)
    for n in range(3):
        broker.publish(channel, "comment", {"id": n})

    async def read(last: str | None, count: int) -> list[events.Event]:
        got: list[events.Event] = []
        async for item in broker.listen([channel], last, heartbeat=0.05):
            if item is None:
                break
            got.append(item)
            if len(got) == count:
                break
        return got

    everything = asyncio.run(read("article:1=0", 3))
    assert [e.data["id"] for e in everything] == [0, 1, 2]
    rest = asyncio.run(read(everything[0].id, 2))
    assert [e.data["id"] for e in rest] == [1, 2]
    assert asyncio.run(read(None, 1)) == []  # a fresh page starts from now


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
    assert [item[1] for item in broker._after(channel, 0)] == ["comment"]


class SSEReader:
    """Reads a server-sent-events stream in a thread and hands over (id, event, data) triples."""

    def __init__(self, url: str, last_event_id: str | None = None) -> None:
        self.events: queue.Queue[tuple[str, str, dict[str, object]]] = queue.Queue()
        self.opened = threading.Event()
        self._stop = threading.Event()
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()
        assert self.opened.wait(10), "the event stream did not open"

    def _run(self, url: str, headers: dict[str, str]) -> None:
        try:
            self._read(url, headers)
        except httpx.HTTPError:
            return  # the server went away at the end of the test

    def _read(self, url: str, headers: dict[str, str]) -> None:
        with (
            httpx.Client(timeout=httpx.Timeout(5, read=30)) as client,
            client.stream("GET", url, headers=headers) as r,
        ):
            self.opened.set()
            fields: dict[str, str] = {}
            for line in r.iter_lines():
                if self._stop.is_set():
                    return
                if not line:
                    if "event" in fields:
                        self.events.put((fields.get("id", ""), fields["event"], json.loads(fields["data"])))
                    fields = {}
                elif not line.startswith(":"):
                    name, _sep, value = line.partition(": ")
                    fields[name] = value

    def next(self, kind: str, timeout: float = 10) -> tuple[str, dict[str, object]]:
        while True:
            event_id, event, data = self.events.get(timeout=timeout)
            if event == kind:
                return event_id, data

    def close(self) -> None:
        self._stop.set()


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[str, str, str, int]]:
    if not redis_available():
        pytest.fail(f"Redis is needed for live events across processes ({REDIS_URL}); .ci/run starts it")
    namespace = f"tribune-test-{uuid.uuid4().hex[:8]}"
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        with Session(engine) as session:
            article = make_article(session, slug="en-direct")
            make_user(session, username="ecrivain", role=Role.reader)
            session.commit()
            article_id = article.id
        engine.dispose()
        env = {
            "TRIBUNE_REDIS_URL": REDIS_URL,
            "TRIBUNE_REDIS_NAMESPACE": namespace,
            "TRIBUNE_RATE_LIMITS": "false",
        }
        with live_server(url, tmp_path, **env) as a, live_server(url, tmp_path, **env) as b:
            yield a, b, "en-direct", article_id  # type: ignore[misc]


def _signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    login = client.post("/api/v1/auth/login", json={"username": "ecrivain", "password": PASSWORD})
    assert login.status_code == 200, login.text
    client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    return client


def test_a_comment_posted_through_one_process_reaches_a_page_served_by_another(
    two_processes: tuple[str, str, str, int],
) -> None:
    a, b, slug, _article_id = two_processes
    listener = SSEReader(f"{b}/articles/{slug}/events")
    try:
        writer = _signed_in(a)
        posted = writer.post(f"/api/v1/articles/{slug}/comments", json={"body": "Depuis A", "stance": "for"})
        assert posted.status_code == 201, posted.text
        _event_id, data = listener.next("comment")
        assert data["id"] == posted.json()["id"]
        card = httpx.get(f"{b}/comments/{data['id']}/card", headers={"HX-Request": "true"})
        assert card.status_code == 200
        assert "Depuis A" in card.text
        voted_tally = writer.put(f"/api/v1/articles/{slug}/stance", json={"stance": "against"})
        assert voted_tally.status_code == 200
        _event_id, tally = listener.next("tally")
        assert tally == {"for": 0, "against": 1, "nuanced": 0}
    finally:
        listener.close()


def test_a_reconnecting_page_resumes_from_its_last_event_id(two_processes: tuple[str, str, str, int]) -> None:
    a, b, slug, _article_id = two_processes
    writer = _signed_in(a)
    first_listener = SSEReader(f"{b}/articles/{slug}/events")
    first = writer.post(f"/api/v1/articles/{slug}/comments", json={"body": "un", "stance": "for"}).json()
    last_id, data = first_listener.next("comment")
    assert data["id"] == first["id"]
    first_listener.close()
    # While the page is away, two more comments arrive through the other process.
    missed = [
        writer.post(
            f"/api/v1/articles/{slug}/comments", json={"body": f"manqué {n}", "stance": "against"}
        ).json()["id"]
        for n in range(2)
    ]
    again = SSEReader(f"{b}/articles/{slug}/events", last_event_id=last_id)
    try:
        got = [again.next("comment")[1]["id"] for _ in missed]
        assert got == missed
    finally:
        again.close()

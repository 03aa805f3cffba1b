"""Two app processes on one PostgreSQL database and one Redis behave as one site."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from app.db import make_engine
from tests.factories import make_article, make_user
from tests.perf.live import REDIS_URL, fresh_database, live_server, redis_available
from tests.perf.readers import Reader, make_readers

Pair = tuple[str, str, str, list[Reader]]


@pytest.fixture
def two_processes(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Pair]:
    """Processes A and B (uvicorn subprocesses on free ports), an article and two signed-in readers."""
    if not redis_available():
        pytest.skip(f"no Redis at {REDIS_URL}")
    limits = "true" if request.node.get_closest_marker("rate_limits") else "false"
    secret = f"two-processes-{uuid.uuid4().hex}"  # fresh Redis keys (they are keyed by the secret)
    with fresh_database(tmp_path, postgres=True) as url:
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            article = make_article(session)
            make_user(session)
            readers = make_readers(session, 2, secret=secret)
            session.commit()
        engine.dispose()
        env = {"TRIBUNE_REDIS_URL": REDIS_URL, "TRIBUNE_RATE_LIMITS": limits, "TRIBUNE_SECRET_KEY": secret}
        with live_server(url, tmp_path, **dict(env)) as a, live_server(url, tmp_path, **dict(env)) as b:
            yield a, b, article.slug, readers


def _post(base: str, slug: str, reader: Reader, body: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/articles/{slug}/comments",
        json={"body": body, "stance": "nuanced"},
        headers={**reader.headers, "Cookie": f"tribune_session={reader.cookies['tribune_session']}"},
        timeout=30,
    )


def test_a_comment_posted_through_one_process_is_served_by_the_other(two_processes: Pair) -> None:
    a, b, slug, (reader, _other) = two_processes
    # B has the debate cached for anonymous readers before the post.
    assert httpx.get(f"{b}/api/v1/articles/{slug}/thread").json()["count"] == 0
    assert "Posté sur A" not in httpx.get(f"{b}/articles/{slug}").text

    assert _post(a, slug, reader, "Posté sur A, lu sur B.").status_code == 201

    thread = httpx.get(f"{b}/api/v1/articles/{slug}/thread").json()
    assert [item["body_html"] for item in thread["items"]] == ["<p>Posté sur A, lu sur B.</p>"]
    assert "Posté sur A, lu sur B." in httpx.get(f"{b}/articles/{slug}").text
    assert httpx.get(f"{b}/api/v1/articles/{slug}/comments").json()["items"][0]["author"]["username"]


def test_a_comment_posted_through_one_process_is_pushed_live_by_the_other(two_processes: Pair) -> None:
    a, b, slug, (reader, _other) = two_processes
    events: queue.Queue[str] = queue.Queue()
    opened = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", f"{b}/articles/{slug}/events", timeout=httpx.Timeout(15.0)) as response:
            events.put(f"status {response.status_code}")
            if response.status_code != 200:
                opened.set()
                return
            for line in response.iter_lines():
                opened.set()  # the stream is under way: what is posted from now on is pushed
                events.put(line)
                if line.startswith("event: comment"):
                    return

    threading.Thread(target=listen, daemon=True).start()
    assert opened.wait(15)
    assert events.get(timeout=15) == "status 200"
    assert _post(a, slug, reader, "Poussé en direct.").status_code == 201
    seen = [""]
    while not seen[-1].startswith("event: comment"):
        seen.append(events.get(timeout=15))
    assert "event: comment" in seen


@pytest.mark.rate_limits
def test_abuse_limits_are_shared_by_the_two_processes(two_processes: Pair) -> None:
    a, b, slug, (reader, other) = two_processes
    assert _post(a, slug, reader, "Une première réaction, sur A.").status_code == 201
    # The same reader, at once, through the other process: the burst limit counted in Redis holds.
    refused = _post(b, slug, reader, "Une seconde réaction, aussitôt, sur B.")
    assert refused.status_code == 429
    assert refused.headers["retry-after"]
    assert _post(b, slug, other, "Un autre lecteur, sur B.").status_code == 201

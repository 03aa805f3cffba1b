"""Readers share cached renderings of a debate, each completed with their own state, and never see
a stale debate or someone else's state."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.models import CommentStatus
from app.services.cache import RenderCache
from tests.factories import login, make_article, make_comment, make_user

CSRF_MARK = 'name="csrf_token" value="'


@pytest.fixture
def live(committed: Engine, database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """The real app over committed rows, no session override: the path a visitor takes."""
    app = create_app(Settings(database_url=database_url, secret_key="test-secret", instance_path=tmp_path))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client
    app.state.engine.dispose()


def _article(engine: Engine) -> tuple[str, int]:
    with Session(engine, expire_on_commit=False) as session:
        article = make_article(session)
        comment = make_comment(session, article=article, body="Premier avis, **en gras**.")
        session.commit()
        assert comment.id is not None
        return article.slug, comment.id


def test_a_cached_page_is_served_again_with_each_visitors_own_csrf_token(
    live: TestClient, committed: Engine
) -> None:
    slug, _ = _article(committed)
    first = TestClient(live.app, base_url="http://testserver")
    second = TestClient(live.app, base_url="http://testserver")
    page_one = first.get(f"/articles/{slug}")
    page_two = second.get(f"/articles/{slug}")
    cache: RenderCache = live.app.state.render_cache  # type: ignore[attr-defined]
    assert cache.hits >= 1
    assert page_one.text.count("Premier avis") == page_two.text.count("Premier avis") == 1
    token_one = page_one.text.split('"X-CSRF-Token": "')[1].split('"')[0]
    token_two = page_two.text.split('"X-CSRF-Token": "')[1].split('"')[0]
    assert token_one != token_two
    assert page_one.text.count(token_one) == page_two.text.count(token_two) > 1
    assert token_one not in page_two.text


def test_a_new_comment_shows_at_once_to_anonymous_readers(live: TestClient, committed: Engine) -> None:
    slug, _ = _article(committed)
    assert "Deuxième avis" not in live.get(f"/articles/{slug}").text
    assert live.get(f"/api/v1/articles/{slug}/thread").json()["count"] == 1
    with Session(committed) as session:
        from sqlmodel import select

        from app.models import Article

        article = session.exec(select(Article).where(Article.slug == slug)).one()
        make_comment(session, article=article, body="Deuxième avis.")
        session.commit()
    assert "Deuxième avis" in live.get(f"/articles/{slug}").text
    assert live.get(f"/api/v1/articles/{slug}/thread").json()["count"] == 2
    items = live.get(f"/api/v1/articles/{slug}/comments").json()["items"]
    assert len(items) == 2


def test_a_vote_moves_the_tally_that_anonymous_readers_see(live: TestClient, committed: Engine) -> None:
    slug, comment_id = _article(committed)
    assert live.get(f"/api/v1/articles/{slug}/comments").json()["items"][0]["upvotes"] == 0
    with Session(committed, expire_on_commit=False) as session:
        voter = make_user(session)
        session.commit()
    login(live, voter)
    csrf = live.get("/api/v1/auth/session").json()["csrf_token"]
    assert (
        live.put(
            f"/api/v1/comments/{comment_id}/vote", json={"value": 1}, headers={"X-CSRF-Token": csrf}
        ).status_code
        == 200
    )
    anonymous = TestClient(live.app, base_url="http://testserver")
    assert anonymous.get(f"/api/v1/articles/{slug}/comments").json()["items"][0]["upvotes"] == 1


def test_a_signed_in_reader_sees_their_pending_comment_not_the_anonymous_page(
    live: TestClient, committed: Engine
) -> None:
    slug, _ = _article(committed)
    anonymous = TestClient(live.app, base_url="http://testserver")
    anonymous.get(f"/articles/{slug}")  # fill the cache
    with Session(committed, expire_on_commit=False) as session:
        from sqlmodel import select

        from app.models import Article

        author = make_user(session)
        article = session.exec(select(Article).where(Article.slug == slug)).one()
        held = make_comment(session, article=article, author=author, body="Avis en attente.")
        held.status = CommentStatus.pending
        session.commit()
    login(live, author)
    assert "Avis en attente" in live.get(f"/articles/{slug}").text
    assert "Avis en attente" not in anonymous.get(f"/articles/{slug}").text


def test_a_burst_of_misses_for_one_key_builds_it_once() -> None:
    import threading

    cache = RenderCache()
    builds = []
    gate = threading.Barrier(16)

    def reader() -> None:
        gate.wait()
        if cache.get("k") is None:
            with cache.single_flight("k"):
                if cache.get("k") is None:
                    builds.append(1)
                    cache.put("k", b"page")

    threads = [threading.Thread(target=reader) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert builds == [1]
    assert cache.get("k") == b"page"


def test_a_body_too_big_to_keep_is_still_shared_with_the_requests_that_waited_for_it() -> None:
    """The whole thread of a large debate is bigger than an entry may be: without sharing, each of a
    burst of readers would build it in turn (a second each for 15,000 comments)."""
    import threading

    cache = RenderCache(max_entry_bytes=10)
    builds = []
    answers: list[bytes] = []
    gate = threading.Barrier(16)
    body = b"<p>the whole thread</p>" * 10

    def reader(n: int) -> None:
        gate.wait()
        with cache.single_flight("k") as flight:
            answer = cache.get("k") or flight.value
            if answer is None:
                builds.append(n)
                deadline = time.monotonic() + 5
                while flight.holders < 16 and time.monotonic() < deadline:
                    time.sleep(0.001)  # until every other reader waits on this flight
                cache.put("k", body, flight=flight)
                answer = body
        assert isinstance(answer, bytes)
        answers.append(answer)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(builds) == 1
    assert answers == [body] * 16
    assert cache.get("k") is None  # too big to keep: the next burst builds it again
    with cache.single_flight("k") as flight:
        assert flight.value is None


def test_a_permalink_is_shared_by_anonymous_visitors_and_follows_the_debate(
    live: TestClient, committed: Engine
) -> None:
    """A link to one comment, shared elsewhere, brings anonymous visitors by the thousand: they get one
    rendering per version of the debate, each with their own CSRF token, and a reply shows at once."""
    _slug, comment_id = _article(committed)
    first = TestClient(live.app, base_url="http://testserver")
    second = TestClient(live.app, base_url="http://testserver")
    cache: RenderCache = live.app.state.render_cache  # type: ignore[attr-defined]
    page_one = first.get(f"/comments/{comment_id}")
    hits = cache.hits
    page_two = second.get(f"/comments/{comment_id}")
    assert page_one.status_code == page_two.status_code == 200
    assert cache.hits == hits + 1
    token_one = page_one.text.split(CSRF_MARK)[1].split('"')[0]
    token_two = page_two.text.split(CSRF_MARK)[1].split('"')[0]
    assert token_one != token_two
    assert page_two.text == page_one.text.replace(token_one, token_two)
    with Session(committed) as session:
        from app.models import Comment

        parent = session.get(Comment, comment_id)
        assert parent is not None
        make_comment(session, parent=parent, body="Une réponse au lien partagé.")
        session.commit()
    assert "Une réponse au lien partagé" in second.get(f"/comments/{comment_id}").text
    assert "Une réponse au lien partagé" in first.get(f"/comments/{comment_id}").text
    # A signed-in reader gets the same rendering with their own controls.
    with Session(committed, expire_on_commit=False) as session:
        reader = make_user(session)
        session.commit()
    login(live, reader)
    signed = live.get(f"/comments/{comment_id}").text
    report = f'href="/comments/{comment_id}/report"'  # a reader's report (anyone may send a legal notice)
    assert report in signed
    assert report not in first.get(f"/comments/{comment_id}").text


def _without_cache(live: TestClient) -> TestClient:
    """The same app and database, every page rendered for its reader alone."""
    app = create_app(live.app.state.settings)  # type: ignore[attr-defined]
    app.state.render_cache = None
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


def test_a_reader_gets_from_the_shared_rendering_exactly_the_page_rendered_for_them_alone(
    live: TestClient, committed: Engine
) -> None:
    """Their votes (up and down), their stance, their own comment (editable, not votable, not
    reportable), their name and token: the shared rendering completed for them is byte for byte the
    page rendered for them alone, for anonymous readers too."""
    from sqlmodel import select

    from app.models import Article, CommentVote, Stance, StanceVote

    slug, first_id = _article(committed)
    with Session(committed, expire_on_commit=False) as session:
        article = session.exec(select(Article).where(Article.slug == slug)).one()
        reader, other = make_user(session), make_user(session)
        second = make_comment(session, article=article, author=other, body="Un second avis.")
        mine = make_comment(session, article=article, author=reader, body="Mon avis à moi.")
        make_comment(session, parent=second, author=other, body="Une réponse.")
        session.add(CommentVote(user_id=reader.id, comment_id=first_id, value=1))
        session.add(CommentVote(user_id=reader.id, comment_id=second.id, value=-1))
        session.add(StanceVote(user_id=reader.id, article_id=article.id, stance=Stance.against))
        session.commit()
    alone = _without_cache(live)
    anonymous = TestClient(live.app, base_url="http://testserver")
    for path in (f"/articles/{slug}", f"/articles/{slug}?sort=newest", f"/comments/{second.id}"):
        assert anonymous.get(path).text == anonymous.get(path).text  # the second from the cache
        assert anonymous.get(path).text == alone.get(path).text.replace(
            _token(alone.get(path).text), _token(anonymous.get(path).text)
        )
    login(live, reader)
    alone.cookies = live.cookies  # the same reader, the same session and token
    hits = live.app.state.render_cache.hits  # type: ignore[attr-defined]
    for path in (f"/articles/{slug}", f"/articles/{slug}?sort=newest", f"/comments/{second.id}"):
        shared, own = live.get(path), alone.get(path)
        assert shared.status_code == own.status_code == 200
        assert shared.text == own.text
    assert live.app.state.render_cache.hits > hits  # type: ignore[attr-defined]
    page = live.get(f"/articles/{slug}").text
    assert page.count('aria-pressed="true"') == 3  # their two votes and their stance
    assert f'href="/comments/{mine.id}/edit"' in page
    assert f'href="/comments/{mine.id}/report"' not in page
    assert reader.username in page
    alone.close()


def _token(page: str) -> str:
    return page.split('"X-CSRF-Token": "')[1].split('"')[0]


def test_staff_and_readers_with_a_comment_only_they_see_get_their_own_rendering(
    live: TestClient, committed: Engine
) -> None:
    from sqlmodel import select

    from app.models import Article, Role

    slug, _ = _article(committed)
    with Session(committed, expire_on_commit=False) as session:
        article = session.exec(select(Article).where(Article.slug == slug)).one()
        author, editor = make_user(session), make_user(session, role=Role.editor)
        held = make_comment(session, article=article, author=author, body="Avis retenu.")
        held.status = CommentStatus.pending
        session.commit()
    TestClient(live.app, base_url="http://testserver").get(f"/articles/{slug}")  # the shared rendering
    login(live, author)
    assert "Avis retenu" in live.get(f"/articles/{slug}").text
    staff = TestClient(live.app, base_url="http://testserver")
    login(staff, editor)
    page = staff.get(f"/articles/{slug}").text
    assert "Mettre en avant" in page
    assert "Avis retenu" not in page  # the author's alone (the queues show it to the staff)

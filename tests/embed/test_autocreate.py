"""TRIBUNE_EMBED_AUTOCREATE: the first view of an unknown debate from a newsroom page makes a draft
from that page (read over real HTTP from a page server on 127.0.0.1), closed until an editor opens it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.main import create_app
from app.models import Article, Role
from tests.factories import PASSWORD, make_user, page_csrf

SLUG = "greve-des-trains"


def _page(slug: str, origin: str) -> bytes:
    return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Grève des trains — Le Journal</title>
<link rel="canonical" href="{origin}/2026/12/greve.html">
<meta property="og:title" content="La grève des trains, jour trois">
<meta property="og:description" content="Les usagers s’organisent, la direction propose une table ronde.">
</head><body><div data-tribune-article="{slug}"><a href="#">Le débat</a></div></body></html>""".encode()


@pytest.fixture(scope="module")
def newsroom() -> Iterator[str]:
    """The newsroom's site: /article.html embeds SLUG, /other.html embeds another debate."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    pages["/article.html"] = _page(SLUG, origin)
    pages["/other.html"] = _page("autre-debat", origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield origin
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(settings: Settings, committed: Engine, newsroom: str) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"embed_origins": [newsroom], "embed_autocreate": True}))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client
    app.state.engine.dispose()


def _article(engine: Engine, slug: str) -> Article | None:
    with Session(engine) as session:
        return session.exec(select(Article).where(Article.slug == slug)).first()


def test_the_first_view_makes_a_closed_draft_from_the_page(
    site: TestClient, committed: Engine, newsroom: str
) -> None:
    response = site.get(f"/embed/{SLUG}", params={"source": f"{newsroom}/article.html"})
    assert response.status_code == 200
    assert "pas encore ouvert" in response.text
    article = _article(committed, SLUG)
    assert article is not None
    assert article.title == "La grève des trains, jour trois"
    assert article.lede == "Les usagers s’organisent, la direction propose une table ronde."
    assert f"{newsroom}/2026/12/greve.html" in article.body_markdown
    assert article.published_at is None
    assert not article.comments_open


def test_a_later_view_shows_the_same_notice_without_a_second_draft(
    site: TestClient, committed: Engine, newsroom: str
) -> None:
    for _ in range(2):
        response = site.get(f"/embed/{SLUG}", params={"source": f"{newsroom}/article.html"})
        assert response.status_code == 200
    with Session(committed) as session:
        assert len(session.exec(select(Article).where(Article.slug == SLUG)).all()) == 1


def test_the_editor_sees_the_draft_in_their_list(site: TestClient, committed: Engine, newsroom: str) -> None:
    site.get(f"/embed/{SLUG}", params={"source": f"{newsroom}/article.html"})
    with Session(committed) as session:
        editor = make_user(session, role=Role.editor)
        session.commit()
        name = editor.username
    token = page_csrf(site, "/login")
    site.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert "La grève des trains, jour trois" in site.get("/editor").text


def test_a_page_that_does_not_embed_the_slug_makes_nothing(
    site: TestClient, committed: Engine, newsroom: str
) -> None:
    response = site.get(f"/embed/{SLUG}", params={"source": f"{newsroom}/other.html"})
    assert response.status_code == 404
    assert _article(committed, SLUG) is None


def test_a_page_of_another_site_is_never_fetched(site: TestClient, committed: Engine) -> None:
    response = site.get(f"/embed/{SLUG}", params={"source": "http://127.0.0.2:9/article.html"})
    assert response.status_code == 404
    assert _article(committed, SLUG) is None


def test_without_autocreate_an_unknown_debate_is_a_404(
    settings: Settings, committed: Engine, newsroom: str, tmp_path: Path
) -> None:
    app = create_app(settings.model_copy(update={"embed_origins": [newsroom]}))
    with TestClient(app) as client:
        response = client.get(f"/embed/{SLUG}", params={"source": f"{newsroom}/article.html"})
    app.state.engine.dispose()
    assert response.status_code == 404
    assert _article(committed, SLUG) is None

"""Stored XSS: every payload, through every surface that shows a comment or a name, stays inert."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.models import Article, Comment, Reason, Role, User
from app.services import moderation
from tests.factories import login, make_article, make_comment, make_user
from tests.security.xss import PAYLOADS, executable_bits

ROUTES = {
    ctx.path
    for ctx in iter_route_contexts(create_app(Settings(database_url="sqlite://", secret_key="x")).routes)
    if ctx.path
}


def test_there_are_at_least_forty_payloads() -> None:
    assert len(set(PAYLOADS)) >= 40


def test_the_checker_sees_an_injected_script() -> None:
    assert executable_bits('<p>x</p><img src=x onerror="alert(1)">') != []
    assert executable_bits('<a href=" JaVaScript:alert(1)">x</a>') != []
    assert executable_bits('<div hx-get="/logout" hx-trigger="load">') != []


class Scene:
    """One debate where every payload was posted, replied to, and reported."""

    def __init__(self, session: Session) -> None:
        self.article: Article = make_article(session)
        self.author: User = make_user(session)
        self.replier: User = make_user(session)
        self.moderator: User = make_user(session, role=Role.admin)
        self.comments: list[Comment] = []
        for n, payload in enumerate(PAYLOADS):
            top = make_comment(
                session, article=self.article, author=self.author, body=f"marqueur{n} {payload}"
            )
            make_comment(session, parent=top, author=self.replier, body=f"réponse{n} {payload}")
            moderation.report(session, reporter=self.replier, comment=top, reason=Reason.spam, note=payload)
            self.comments.append(top)
        session.refresh(self.article)


@pytest.fixture
def scene(session: Session) -> Scene:
    return Scene(session)


Surface = Callable[[TestClient, Scene, Session], list[str]]


def _get(client: TestClient, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return response.text


def article_page(client: TestClient, scene: Scene, session: Session) -> list[str]:
    return [_get(client, f"/articles/{scene.article.slug}?sort=oldest")]


def article_pages_all(client: TestClient, scene: Scene, session: Session) -> list[str]:
    pages = []
    for sort in ("best", "newest", "controversial"):
        pages.append(_get(client, f"/articles/{scene.article.slug}?sort={sort}"))
    return pages


def permalinks(client: TestClient, scene: Scene, session: Session) -> list[str]:
    return [_get(client, f"/comments/{c.id}") for c in scene.comments]


def replies_fragments(client: TestClient, scene: Scene, session: Session) -> list[str]:
    return [_get(client, f"/comments/{c.id}/replies", **{"HX-Request": "true"}) for c in scene.comments]


def edit_forms(client: TestClient, scene: Scene, session: Session) -> list[str]:
    login(client, scene.author)
    pages = [_get(client, f"/comments/{c.id}/edit") for c in scene.comments]
    pages += [_get(client, f"/comments/{c.id}/edit", **{"HX-Request": "true"}) for c in scene.comments[:10]]
    return pages


def posted_fragments(client: TestClient, scene: Scene, session: Session) -> list[str]:
    token = login(client, make_user(session))
    out = []
    for n, payload in enumerate(PAYLOADS):
        response = client.post(
            f"/articles/{scene.article.slug}/comments",
            data={"body": f"direct{n} {payload}", "stance": "for", "csrf_token": token},
            headers={"HX-Request": "true"},
        )
        assert response.status_code in (201, 202), response.text
        out.append(response.text)
    return out


def api_json(client: TestClient, scene: Scene, session: Session) -> list[str]:
    out = []
    thread = client.get(f"/api/v1/articles/{scene.article.slug}/thread")
    assert thread.headers["content-type"].startswith("application/json")
    assert thread.headers["x-content-type-options"] == "nosniff"

    def bodies(items: list[dict[str, Any]]) -> None:
        for item in items:
            out.append(item["body_html"])
            bodies(item["replies"])

    bodies(thread.json()["items"])
    for c in scene.comments:
        bodies([client.get(f"/api/v1/comments/{c.id}").json()])
    return out


def moderation_queues(client: TestClient, scene: Scene, session: Session) -> list[str]:
    login(client, scene.moderator)
    return [_get(client, f"/moderation/{queue}") for queue in ("reported", "approved")]


def moderation_user_page(client: TestClient, scene: Scene, session: Session) -> list[str]:
    login(client, scene.moderator)
    return [_get(client, f"/moderation/users/{scene.author.username}")]


def feeds(client: TestClient, scene: Scene, session: Session) -> list[str]:
    """A feed reader renders the entries' HTML: check that HTML, unescaped from the XML."""
    import xml.etree.ElementTree as ET

    out = []
    for path in ("comments.atom", "featured.atom"):
        url = f"/articles/{scene.article.slug}/{path}"
        if f"/articles/{{slug}}/{path}" in ROUTES:
            root = ET.fromstring(_get(client, url).encode())
            out += [
                el.text or ""
                for el in root.iter()
                if el.tag.split("}")[-1] in ("content", "summary", "title")
            ]
    return out


def notifications_page(client: TestClient, scene: Scene, session: Session) -> list[str]:
    login(client, scene.author)
    return [_get(client, "/notifications")]


def profile_page(client: TestClient, scene: Scene, session: Session) -> list[str]:
    return [_get(client, f"/users/{scene.author.username}")]


def debate_page(client: TestClient, scene: Scene, session: Session) -> list[str]:
    return [_get(client, f"/articles/{scene.article.slug}/debate")]


# Surfaces are taken from the route table: a page that exists must be covered.
CANDIDATES: list[tuple[str, Surface]] = [
    ("/articles/{slug}", article_page),
    ("/articles/{slug}", article_pages_all),
    ("/comments/{comment_id}", permalinks),
    ("/comments/{comment_id}/replies", replies_fragments),
    ("/comments/{comment_id}/edit", edit_forms),
    ("/articles/{slug}/comments", posted_fragments),
    ("/api/v1/articles/{slug}/thread", api_json),
    ("/moderation/{queue}", moderation_queues),
    ("/moderation/users/{username}", moderation_user_page),
    ("/articles/{slug}/comments.atom", feeds),
    ("/notifications", notifications_page),
    ("/users/{username}", profile_page),
    ("/articles/{slug}/debate", debate_page),
]
SURFACES = [pytest.param(fn, id=fn.__name__) for path, fn in CANDIDATES if path in ROUTES]


def test_the_minimum_surfaces_exist() -> None:
    names = {p.id for p in SURFACES}
    assert {"article_page", "permalinks", "replies_fragments", "edit_forms", "api_json"} <= names


@pytest.mark.parametrize("surface", SURFACES)
def test_no_payload_leaves_anything_executable(
    client: TestClient, session: Session, scene: Scene, surface: Surface
) -> None:
    documents = surface(client, scene, session)
    assert documents
    problems = [problem for doc in documents for problem in executable_bits(doc)]
    assert problems == []


@pytest.mark.parametrize("surface", SURFACES)
def test_the_payload_comments_are_really_on_the_surface(
    client: TestClient, session: Session, scene: Scene, surface: Surface
) -> None:
    text = "\n".join(surface(client, scene, session))
    # Pages that show people rather than bodies must at least show the name.
    by_name = {
        "notifications_page": scene.replier.username,
        "moderation_user_page": scene.author.username,
        "profile_page": scene.author.username,
        "debate_page": scene.article.title,
    }
    if surface.__name__ in by_name:
        assert by_name[surface.__name__] in text
    else:
        assert re.search(r"(marqueur|réponse|direct)\d+ ", text)


def test_the_api_gives_back_the_markdown_source_verbatim_to_its_author(
    client: TestClient, session: Session
) -> None:
    author = make_user(session)
    token = login(client, author)
    article = make_article(session)
    for payload in PAYLOADS[:10]:
        response = client.post(
            f"/api/v1/articles/{article.slug}/comments",
            json={"body": payload, "stance": "for"},
            headers={"X-CSRF-Token": token},
        )
        assert response.status_code == 201
        data = response.json()
        assert executable_bits(data["body_html"]) == []
        assert data["body_markdown"] == payload.strip()


def test_json_answers_are_never_sniffed_as_html(client: TestClient, session: Session) -> None:
    comment = make_comment(session, body="<script>alert(1)</script>")
    response = client.get(f"/api/v1/comments/{comment.id}")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in orjson.loads(response.content)["body_html"]


def test_a_username_with_markup_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={
            "username": "<img src=x onerror=alert(1)>",
            "email": "x@example.org",
            "password": "long enough",
        },
    )
    assert response.status_code == 422

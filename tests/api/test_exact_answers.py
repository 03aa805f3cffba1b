"""Exact answers to bad requests (issue 19): a 405 names every method of the path, each route takes
the bodies its form or schema promises and no more, a username with hidden characters is refused (not
rewritten), and the OpenAPI document states the constraints the server enforces."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.middleware import ARTICLE_BODY_BYTES, COMMENT_BODY_BYTES, MAX_BODY_BYTES
from app.models import Article, Comment, Role, User
from app.text import ID_PATTERN
from tests.conftest import ClientFor
from tests.factories import login, make_article, make_comment, make_user, page_csrf

# A paragraph of 100 characters, none of them ASCII: 3 bytes each in UTF-8, 6 escaped in JSON.
WIDE = "議論" * 50


# 405 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["OPTIONS", "POST", "PUT"])
def test_a_405_on_a_comment_lists_every_method_of_its_path(client: TestClient, method: str) -> None:
    response = client.request(method, "/api/v1/comments/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PATCH"
    assert response.json()["error"] == "method_not_allowed"


def test_a_405_on_a_page_lists_its_methods_and_is_a_page(client: TestClient, session: Session) -> None:
    article = make_article(session)
    response = client.delete(f"/articles/{article.slug}")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert "<html" in response.text


# Body limits -----------------------------------------------------------------------------------


def test_the_api_takes_an_article_of_200_000_characters(client: TestClient, session: Session) -> None:
    token = login(client, make_user(session, role=Role.editor))
    body = ("Un long article. " * 12_500)[:200_000]
    assert len(body.encode()) > MAX_BODY_BYTES
    response = client.post(
        "/api/v1/articles",
        json={"slug": "long", "title": "Long", "body": body, "question": "Alors ?"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 201, response.text
    stored = session.exec(select(Article).where(Article.slug == "long")).one()
    assert len(stored.body_markdown) == 200_000


def test_the_api_takes_an_article_of_wide_characters_escaped_in_json(
    client: TestClient, session: Session
) -> None:
    token = login(client, make_user(session, role=Role.editor))
    body = WIDE * 1000  # 100,000 characters: 600 KB as JSON escapes
    response = client.post(
        "/api/v1/articles",
        content=(
            '{"slug": "large", "title": "Large", "question": "Alors ?", "body": "'
            + body.encode("unicode_escape").decode().replace("\\\\", "\\")
            + '"}'
        ).encode(),
        headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text[:300]


def test_an_article_body_over_its_route_limit_gets_413(client: TestClient, session: Session) -> None:
    token = login(client, make_user(session, role=Role.editor))
    response = client.post(
        "/api/v1/articles",
        content=b'{"body": "' + b"x" * ARTICLE_BODY_BYTES + b'"}',
        headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert str(ARTICLE_BODY_BYTES // 1024) in response.json()["detail"]


def test_the_import_page_takes_a_markdown_file_of_200_kib(client_for: ClientFor, session: Session) -> None:
    editor = client_for(make_user(session, role=Role.editor))
    token = page_csrf(editor, "/editor")
    text = "---\nslug: gros\ntitle: Gros\nquestion: Alors ?\n---\n" + "Un paragraphe.\n\n" * 12_800
    assert len(text.encode()) > 200 * 1024
    response = editor.post(
        "/editor/import", data={"csrf_token": token}, files={"file": ("a.md", text.encode(), "text/markdown")}
    )
    assert response.status_code == 303
    assert (
        session.exec(select(Article).where(Article.slug == "gros")).one().body_markdown.count("\n") > 25_000
    )


def test_a_comment_of_10_000_wide_characters_is_taken_through_the_form(
    client_for: ClientFor, session: Session
) -> None:
    article = make_article(session)
    reader = client_for(make_user(session))
    token = page_csrf(reader, f"/articles/{article.slug}")
    body = WIDE * 100  # 10,000 characters: 90 KB once percent-encoded
    response = reader.post(
        f"/articles/{article.slug}/comments", data={"body": body, "stance": "for", "csrf_token": token}
    )
    assert response.status_code == 303, response.text[:300]
    assert session.exec(select(Comment).where(Comment.body_markdown == body)).one()


def test_a_comment_body_over_its_route_limit_gets_413(client: TestClient, session: Session) -> None:
    article = make_article(session)
    token = login(client, make_user(session))
    response = client.post(
        f"/api/v1/articles/{article.slug}/comments",
        json={"body": "x" * COMMENT_BODY_BYTES, "stance": "for"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 413


def test_a_vote_keeps_the_common_limit(client: TestClient, session: Session) -> None:
    comment = make_comment(session)
    token = login(client, make_user(session))
    response = client.put(
        f"/api/v1/comments/{comment.id}/vote",
        content=b'{"value": 1, "x": "' + b"x" * MAX_BODY_BYTES + b'"}',
        headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
    )
    assert response.status_code == 413


# Usernames -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a\u202eb_c", "ab\u200b_c", "ab\x00c", "abc\u2066", "ab\nc"])
def test_a_username_with_hidden_characters_is_refused_not_rewritten(
    client: TestClient, session: Session, name: str
) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={"username": name, "email": "cache@example.org", "password": "motdepasse-long"},
    )
    assert response.status_code == 422
    assert "U+" in response.json()["fields"]["username"]
    assert session.exec(select(User).where(User.email == "cache@example.org")).first() is None


def test_the_register_form_refuses_a_username_with_a_bidi_override(client: TestClient) -> None:
    token = page_csrf(client, "/register")
    response = client.post(
        "/register",
        data={
            "username": "a\u202eb_c",
            "email": "bidi@example.org",
            "password": "motdepasse-long",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert "U+202E" in response.text


# OpenAPI ---------------------------------------------------------------------------------------


@pytest.fixture
def openapi(client: TestClient) -> dict[str, dict]:  # type: ignore[type-arg]
    document: dict[str, dict] = client.get("/api/v1/openapi.json").json()  # type: ignore[type-arg]
    return document


def _query(openapi: dict[str, dict], path: str, name: str) -> dict:  # type: ignore[type-arg]
    (parameter,) = [p for p in openapi["paths"][path]["get"]["parameters"] if p["name"] == name]
    return parameter["schema"]  # type: ignore[no-any-return]


def _properties(openapi: dict[str, dict], model: str) -> dict:  # type: ignore[type-arg]
    return openapi["components"]["schemas"][model]["properties"]  # type: ignore[no-any-return]


def test_openapi_declares_the_vote_values(openapi: dict[str, dict]) -> None:  # type: ignore[type-arg]
    assert _properties(openapi, "VoteRequest")["value"]["enum"] == [-1, 0, 1]


def test_openapi_declares_the_sorts_and_their_default(openapi: dict[str, dict]) -> None:  # type: ignore[type-arg]
    sort = _query(openapi, "/api/v1/articles/{slug}/comments", "sort")
    assert set(sort["enum"]) == {"best", "newest", "oldest", "controversial", "relevance", ""}
    assert sort["default"] == "best"


def test_openapi_declares_the_username_rules(openapi: dict[str, dict]) -> None:  # type: ignore[type-arg]
    username = _properties(openapi, "UserCreate")["username"]
    assert (username["pattern"], username["minLength"], username["maxLength"]) == (
        "^[A-Za-z0-9_]{3,30}$",
        3,
        30,
    )
    password = _properties(openapi, "UserCreate")["password"]
    assert (password["minLength"], password["maxLength"]) == (8, 256)


def test_openapi_declares_cursor_formats(openapi: dict[str, dict]) -> None:  # type: ignore[type-arg]
    assert _query(openapi, "/api/v1/articles", "cursor")["pattern"] == ID_PATTERN
    assert _query(openapi, "/api/v1/me/notifications", "cursor")["pattern"] == ID_PATTERN


def test_openapi_declares_what_a_new_article_gets_by_default(openapi: dict[str, dict]) -> None:  # type: ignore[type-arg]
    fields = _properties(openapi, "ArticleCreate")
    assert (fields["published"]["default"], fields["comments_open"]["default"]) == (False, True)
    assert fields["premoderation"]["default"] is False

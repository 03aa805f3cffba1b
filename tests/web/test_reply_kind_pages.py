"""Reply kinds on the pages and in the API (issue 20): the form's choice, its refusal, the label, the
counts on a reaction and the debate view's strongest rebuttal."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import ReplyKind, Stance
from app.models.schemas import CommentCreate
from app.services import comments
from tests.factories import login, make_article, make_comment, make_user, page_csrf


def _sign_in(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = page_csrf(client, "/login")
    client.post(
        "/login", data={"username": user.username, "password": "correct horse battery", "csrf_token": token}
    )


def test_the_reply_form_refuses_a_source_without_a_link(client: TestClient, session: Session) -> None:
    parent = make_comment(session, article=make_article(session, slug="src"))
    _sign_in(client, session)
    token = page_csrf(client, "/articles/src")
    response = client.post(
        "/articles/src/comments",
        data={
            "body": "Une source, promis.",
            "parent_id": str(parent.id),
            "reply_kind": "brings_source",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert "doit contenir un lien" in response.text


def test_a_reply_posted_with_a_kind_shows_its_label(client: TestClient, session: Session) -> None:
    parent = make_comment(session, article=make_article(session, slug="label"))
    _sign_in(client, session)
    token = page_csrf(client, "/articles/label")
    response = client.post(
        "/articles/label/comments",
        data={
            "body": "Je ne suis pas d’accord.",
            "parent_id": str(parent.id),
            "reply_kind": "rebuts",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    page = client.get("/articles/label").text
    assert 'class="kind-badge kind-rebuts">conteste<' in page
    assert "1 la conteste" in page


def test_the_label_speaks_english(client: TestClient, session: Session) -> None:
    parent = make_comment(session, article=make_article(session, slug="en-label"))
    data = CommentCreate(body="Agreed.", parent_id=parent.id, reply_kind=ReplyKind.supports)
    comments.post_comment(session, author=make_user(session), article=parent.article, data=data)
    page = client.get("/articles/en-label", headers={"Accept-Language": "en"}).text
    assert ">supports<" in page
    assert "1 reply supports it" in page


def test_the_debate_view_shows_the_best_rebuttal(client: TestClient, session: Session) -> None:
    parent = make_comment(session, article=make_article(session, slug="duel"), stance=Stance.for_)
    data = CommentCreate(body="Objection décisive.", parent_id=parent.id, reply_kind=ReplyKind.rebuts)
    comments.post_comment(session, author=make_user(session), article=parent.article, data=data)
    page = client.get("/articles/duel/debate").text
    assert "La contestation la mieux notée" in page
    assert "Objection décisive." in page


def test_the_api_takes_and_returns_the_kind_and_counts(client: TestClient, session: Session) -> None:
    parent = make_comment(session, article=make_article(session, slug="api-kind"))
    token = login(client, make_user(session))
    response = client.post(
        "/api/v1/articles/api-kind/comments",
        json={"body": "Oui !", "parent_id": parent.id, "reply_kind": "supports"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 201, response.text
    assert response.json()["reply_kind"] == "supports"
    items = client.get("/api/v1/articles/api-kind/comments").json()["items"]
    assert items[0]["support_count"] == 1
    assert items[0]["replies"][0]["reply_kind"] == "supports"


def test_the_api_refuses_an_unknown_kind(client: TestClient, session: Session) -> None:
    parent = make_comment(session, article=make_article(session, slug="api-bad"))
    token = login(client, make_user(session))
    response = client.post(
        "/api/v1/articles/api-bad/comments",
        json={"body": "Hmm.", "parent_id": parent.id, "reply_kind": "agrees"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 422
    assert "reply_kind" in response.json()["fields"]


def test_the_export_carries_the_kind(client: TestClient, session: Session) -> None:
    parent = make_comment(session)
    author = make_user(session)
    data = CommentCreate(body="Source ?", parent_id=parent.id, reply_kind=ReplyKind.asks_source)
    comments.post_comment(session, author=author, article=parent.article, data=data)
    login(client, author)
    exported = client.get("/api/v1/me/export").json()
    assert [c["reply_kind"] for c in exported["comments"]] == ["asks_source"]

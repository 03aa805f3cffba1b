from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.models import Comment, Stance
from app.services import accounts
from tests.factories import login, make_article, make_comment, make_user


@pytest.fixture
def reader_client(client: TestClient, session: Session) -> tuple[TestClient, str]:
    user = make_user(session)
    token = login(client, user)
    client.headers["X-CSRF-Token"] = token
    return client, token


def count_comments(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Comment)).one()


def test_register_login_session_logout(client: TestClient) -> None:
    created = client.post(
        "/api/v1/auth/register",
        json={"username": "Zoe_92", "email": "zoe@example.org", "password": "motdepasse-long"},
    )
    assert created.status_code == 201
    assert created.json()["username"] == "Zoe_92"
    assert created.json()["role"] == "reader"
    assert client.get("/api/v1/auth/session").json()["user"] is None
    logged = client.post("/api/v1/auth/login", json={"username": "zoe_92", "password": "motdepasse-long"})
    assert logged.status_code == 200
    token = logged.json()["csrf_token"]
    assert client.get("/api/v1/auth/session").json()["user"]["username"] == "Zoe_92"
    cookie = client.cookies.get("tribune_session")
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204
    # The server forgot the session: replaying the old cookie is anonymous.
    client.cookies.set("tribune_session", cookie or "")
    assert client.get("/api/v1/auth/session").json()["user"] is None


def test_duplicate_username_is_a_409(client: TestClient, session: Session) -> None:
    make_user(session, username="taken")
    response = client.post(
        "/api/v1/auth/register",
        json={"username": "TAKEN", "email": "x@example.org", "password": "motdepasse-long"},
    )
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"
    assert "username" in response.json()["fields"]


def test_wrong_password_is_a_401_with_the_error_shape(client: TestClient, session: Session) -> None:
    user = make_user(session)
    response = client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": "wrong-password"}
    )
    assert response.status_code == 401
    assert set(response.json()) == {"error", "detail"}


def test_article_shows_question_stances_and_tally(client: TestClient, session: Session) -> None:
    article = make_article(session, slug="debat", question="Q ?")
    body = client.get("/api/v1/articles/debat").json()
    assert body["question"] == "Q ?"
    assert body["stances"] == {"for": "Oui", "against": "Non", "nuanced": "Ça dépend"}
    assert body["tally"] == {"for": 0, "against": 0, "nuanced": 0}
    assert body["my_stance"] is None
    assert article.slug in [a["slug"] for a in client.get("/api/v1/articles").json()["items"]]


def test_stance_vote_and_withdrawal(reader_client: tuple[TestClient, str], session: Session) -> None:
    client, _token = reader_client
    make_article(session, slug="sondage")
    voted = client.put("/api/v1/articles/sondage/stance", json={"stance": "against"})
    assert voted.status_code == 200
    assert voted.json()["tally"]["against"] == 1
    assert voted.json()["my_stance"] == "against"
    withdrawn = client.put("/api/v1/articles/sondage/stance", json={"stance": None})
    assert withdrawn.json()["tally"]["against"] == 0
    assert withdrawn.json()["my_stance"] is None


def test_post_a_reaction_then_a_reply(reader_client: tuple[TestClient, str], session: Session) -> None:
    client, _token = reader_client
    make_article(session, slug="fil")
    top = client.post("/api/v1/articles/fil/comments", json={"body": "**Oui**, car…", "stance": "for"})
    assert top.status_code == 201
    assert top.json()["body_html"] == "<p><strong>Oui</strong>, car…</p>"
    assert top.json()["stance"] == "for"
    assert top.json()["status"] == "published"
    reply = client.post("/api/v1/articles/fil/comments", json={"body": "Non.", "parent_id": top.json()["id"]})
    assert reply.status_code == 201
    assert reply.json()["parent_id"] == top.json()["id"]
    listing = client.get("/api/v1/articles/fil/comments").json()
    assert listing["next_cursor"] is None
    assert listing["items"][0]["replies"][0]["id"] == reply.json()["id"]


def test_held_comment_is_a_202(reader_client: tuple[TestClient, str], session: Session) -> None:
    client, _token = reader_client
    make_article(session, slug="modere", premoderation=True)
    response = client.post(
        "/api/v1/articles/modere/comments", json={"body": "En attente", "stance": "nuanced"}
    )
    assert response.status_code == 202
    assert response.json()["status"] == "pending"


def test_thread_nests_every_branch_to_its_full_depth(client: TestClient, session: Session) -> None:
    article = make_article(session, slug="profond")
    node = make_comment(session, article=article)
    for _ in range(9):
        node = make_comment(session, parent=node)
    make_comment(session, article=article, stance=Stance.against)
    body = client.get("/api/v1/articles/profond/thread").json()
    assert body["count"] == 11
    assert len(body["items"]) == 2
    depth, item = 0, next(i for i in body["items"] if i["replies"])
    while item["replies"]:
        item, depth = item["replies"][0], depth + 1
    assert depth == 9


def test_vote_endpoint_sets_and_withdraws(reader_client: tuple[TestClient, str], session: Session) -> None:
    client, _token = reader_client
    comment = make_comment(session)
    assert client.put(f"/api/v1/comments/{comment.id}/vote", json={"value": 1}).json() == {
        "upvotes": 1,
        "downvotes": 0,
        "my_vote": 1,
    }
    assert client.put(f"/api/v1/comments/{comment.id}/vote", json={"value": 0}).json()["upvotes"] == 0


def test_edit_and_delete_own_comment(reader_client: tuple[TestClient, str], session: Session) -> None:
    client, _token = reader_client
    make_article(session, slug="edition")
    created = client.post("/api/v1/articles/edition/comments", json={"body": "v1", "stance": "for"}).json()
    edited = client.patch(f"/api/v1/comments/{created['id']}", json={"body": "v2"})
    assert edited.status_code == 200
    assert edited.json()["body_markdown"] == "v2"
    assert edited.json()["edited_at"] is not None
    assert client.delete(f"/api/v1/comments/{created['id']}").status_code == 204
    assert client.get(f"/api/v1/comments/{created['id']}").status_code == 404


def test_editing_another_readers_comment_is_forbidden(
    reader_client: tuple[TestClient, str], session: Session
) -> None:
    client, _token = reader_client
    comment = make_comment(session, body="intact")
    assert client.patch(f"/api/v1/comments/{comment.id}", json={"body": "piraté"}).status_code == 403
    assert client.delete(f"/api/v1/comments/{comment.id}").status_code == 403
    session.refresh(comment)
    assert comment.body_markdown == "intact"


def test_anonymous_write_is_a_401(client: TestClient, session: Session) -> None:
    make_article(session, slug="anonyme")
    response = client.post("/api/v1/articles/anonyme/comments", json={"body": "x", "stance": "for"})
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_missing_or_wrong_csrf_token_is_a_403_and_stores_nothing(
    client: TestClient, session: Session
) -> None:
    make_article(session, slug="csrf")
    login(client, make_user(session))
    before = count_comments(session)
    for headers in ({}, {"X-CSRF-Token": "faux"}):
        response = client.post(
            "/api/v1/articles/csrf/comments", json={"body": "x", "stance": "for"}, headers=headers
        )
        assert response.status_code == 403
    assert count_comments(session) == before


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "field"),
    [
        ("post", "/api/v1/articles/bad/comments", {"body": "", "stance": "for"}, 422, "body"),
        ("post", "/api/v1/articles/bad/comments", {"body": "   \n ", "stance": "for"}, 422, "body"),
        ("post", "/api/v1/articles/bad/comments", {"body": "x" * 20_000, "stance": "for"}, 422, "body"),
        ("post", "/api/v1/articles/bad/comments", {"body": "x", "stance": "maybe"}, 422, "stance"),
        ("post", "/api/v1/articles/bad/comments", {"body": "x"}, 422, "stance"),
        (
            "post",
            "/api/v1/articles/bad/comments",
            {"body": "x", "stance": {}},
            422,
            "stance",
        ),  # fuzzing found it
        ("put", "/api/v1/articles/bad/stance", {"stance": ["for"]}, 422, "stance"),
        (
            "post",
            "/api/v1/articles/bad/comments",
            {"body": "x", "parent_id": 99999999999999999999},
            422,
            "parent_id",
        ),
        ("post", "/api/v1/articles/missing/comments", {"body": "x", "stance": "for"}, 404, None),
        ("put", "/api/v1/articles/bad/stance", {"stance": "peut-être"}, 422, "stance"),
        ("get", "/api/v1/comments/99999999999999999999", None, 404, None),
        ("get", "/api/v1/comments/abc", None, 404, None),
        ("get", "/api/v1/comments/-1", None, 404, None),
        ("get", "/api/v1/articles/inconnu", None, 404, None),
        ("get", "/api/v1/articles/bad/comments?sort=random", None, 422, "sort"),
        ("get", "/api/v1/articles/bad/comments?cursor=zzz", None, 400, "cursor"),
        ("get", "/api/v1/articles/bad/comments?limit=1000", None, 422, "limit"),
    ],
)
def test_bad_input_gets_a_clear_4xx(
    reader_client: tuple[TestClient, str],
    session: Session,
    method: str,
    path: str,
    payload: dict[str, object] | None,
    status: int,
    field: str | None,
) -> None:
    client, _token = reader_client
    make_article(session, slug="bad")
    response = client.request(method.upper(), path, json=payload)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]
    assert body["detail"]
    if field:
        assert field in body.get("fields", {}), body


def test_vote_value_7_is_refused(reader_client: tuple[TestClient, str], session: Session) -> None:
    client, _token = reader_client
    comment = make_comment(session)
    response = client.put(f"/api/v1/comments/{comment.id}/vote", json={"value": 7})
    assert response.status_code == 422
    assert "value" in response.json()["fields"]


def test_reply_to_a_comment_of_another_article_is_a_422(
    reader_client: tuple[TestClient, str], session: Session
) -> None:
    client, _token = reader_client
    elsewhere = make_comment(session)
    make_article(session, slug="ici")
    response = client.post("/api/v1/articles/ici/comments", json={"body": "x", "parent_id": elsewhere.id})
    assert response.status_code == 422
    assert "parent_id" in response.json()["fields"]


def test_malformed_json_is_a_400(reader_client: tuple[TestClient, str], session: Session) -> None:
    client, _token = reader_client
    make_article(session, slug="json")
    response = client.post(
        "/api/v1/articles/json/comments",
        content=b"{pas du json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_openapi_document_is_served(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/articles/{slug}/thread" in paths
    assert "/api/v1/comments/{comment_id}/vote" in paths
    assert not any(p.startswith("/articles") for p in paths)


def test_an_author_comes_with_the_name_they_chose_to_show(client: TestClient, session: Session) -> None:
    named = make_user(session, username="helene")
    plain = make_user(session)
    accounts.update_profile(session, user=named, display_name="Hélène Océane", bio="")
    session.commit()
    article = make_article(session)
    first = make_comment(session, article=article, author=named, body="Mon avis.")
    second = make_comment(session, article=article, author=plain, body="Le mien.")
    assert client.get(f"/api/v1/comments/{first.id}").json()["author"]["display_name"] == "Hélène Océane"
    assert client.get(f"/api/v1/comments/{second.id}").json()["author"]["display_name"] is None
    listed = client.get(f"/api/v1/articles/{article.slug}/comments").json()["items"]
    assert {c["author"]["display_name"] for c in listed} == {"Hélène Océane", None}

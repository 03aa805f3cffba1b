"""CSRF (missing, wrong, cross-origin), other readers' comments by id, vote stuffing, malformed and
SQL-looking input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Comment, CommentVote, User
from tests.factories import login, make_article, make_comment, make_user, page_csrf

# CSRF --------------------------------------------------------------------------------------------


def test_an_api_write_with_the_session_cookie_but_no_token_is_refused(
    client: TestClient, session: Session
) -> None:
    article = make_article(session)
    login(client, make_user(session))
    response = client.post(f"/api/v1/articles/{article.slug}/comments", json={"body": "x", "stance": "for"})
    assert response.status_code == 403
    assert session.exec(select(Comment).where(Comment.article_id == article.id)).all() == []


def test_an_api_write_with_a_wrong_token_is_refused(client: TestClient, session: Session) -> None:
    article = make_article(session)
    login(client, make_user(session))
    response = client.put(
        f"/api/v1/articles/{article.slug}/stance", json={"stance": "for"}, headers={"X-CSRF-Token": "0" * 64}
    )
    assert response.status_code == 403


def test_a_token_from_another_session_is_refused(client: TestClient, session: Session) -> None:
    article = make_article(session)
    other = TestClient(client.app)
    foreign = login(other, make_user(session))
    login(client, make_user(session))
    response = client.put(
        f"/api/v1/articles/{article.slug}/stance", json={"stance": "for"}, headers={"X-CSRF-Token": foreign}
    )
    assert response.status_code == 403


def test_a_form_post_without_its_token_is_refused(client: TestClient, session: Session) -> None:
    article = make_article(session)
    login(client, make_user(session))
    response = client.post(f"/articles/{article.slug}/comments", data={"body": "x", "stance": "for"})
    assert response.status_code == 403


def test_a_form_post_with_a_wrong_token_is_refused(client: TestClient, session: Session) -> None:
    article = make_article(session)
    login(client, make_user(session))
    response = client.post(
        f"/articles/{article.slug}/comments", data={"body": "x", "stance": "for", "csrf_token": "f" * 64}
    )
    assert response.status_code == 403


def test_a_cross_origin_post_is_refused_even_with_a_valid_token(client: TestClient, session: Session) -> None:
    article = make_article(session)
    token = login(client, make_user(session))
    response = client.post(
        f"/api/v1/articles/{article.slug}/comments",
        json={"body": "x", "stance": "for"},
        headers={"X-CSRF-Token": token, "Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_a_cross_origin_form_post_is_refused_even_with_a_valid_token(
    client: TestClient, session: Session
) -> None:
    article = make_article(session)
    login(client, make_user(session))
    token = page_csrf(client, f"/articles/{article.slug}")
    response = client.post(
        f"/articles/{article.slug}/comments",
        data={"body": "x", "stance": "for", "csrf_token": token},
        headers={"Origin": "http://testserver.evil.example"},
    )
    assert response.status_code == 403


def test_the_login_form_is_protected_against_login_csrf(client: TestClient, session: Session) -> None:
    user = make_user(session)
    response = client.post("/login", data={"username": user.username, "password": "correct horse battery"})
    assert response.status_code == 403


def test_a_same_origin_post_with_its_token_goes_through(client: TestClient, session: Session) -> None:
    article = make_article(session)
    login(client, make_user(session))
    token = page_csrf(client, f"/articles/{article.slug}")
    response = client.post(
        f"/articles/{article.slug}/comments",
        data={"body": "Légitime.", "stance": "for", "csrf_token": token},
        headers={"Origin": "http://testserver"},
    )
    assert response.status_code == 303


# Other readers' comments -------------------------------------------------------------------------


def test_a_reader_cannot_edit_another_readers_comment_through_the_api(
    client: TestClient, session: Session
) -> None:
    victim = make_comment(session, body="Texte d’origine.")
    token = login(client, make_user(session))
    response = client.patch(
        f"/api/v1/comments/{victim.id}", json={"body": "Piraté"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 403
    session.refresh(victim)
    assert victim.body_markdown == "Texte d’origine."


def test_a_reader_cannot_edit_another_readers_comment_through_the_form(
    client: TestClient, session: Session
) -> None:
    victim = make_comment(session, body="Texte d’origine.")
    login(client, make_user(session))
    token = page_csrf(client, f"/comments/{victim.id}")
    assert client.get(f"/comments/{victim.id}/edit").status_code == 403
    response = client.post(f"/comments/{victim.id}/edit", data={"body": "Piraté", "csrf_token": token})
    assert response.status_code == 403
    session.refresh(victim)
    assert victim.body_markdown == "Texte d’origine."


def test_a_reader_cannot_delete_another_readers_comment(client: TestClient, session: Session) -> None:
    victim = make_comment(session)
    token = login(client, make_user(session))
    assert client.delete(f"/api/v1/comments/{victim.id}", headers={"X-CSRF-Token": token}).status_code == 403
    form_token = page_csrf(client, f"/comments/{victim.id}")
    assert client.post(f"/comments/{victim.id}/delete", data={"csrf_token": form_token}).status_code == 403
    assert session.get(Comment, victim.id) is not None


def test_a_pending_comment_of_another_reader_is_not_found_by_id(client: TestClient, session: Session) -> None:
    article = make_article(session, premoderation=True)
    hidden = make_comment(session, article=article)
    token = login(client, make_user(session))
    assert client.get(f"/api/v1/comments/{hidden.id}").status_code == 404
    assert (
        client.patch(
            f"/api/v1/comments/{hidden.id}", json={"body": "x"}, headers={"X-CSRF-Token": token}
        ).status_code
        == 404
    )


# Vote stuffing ------------------------------------------------------------------------------------


def test_voting_twenty_times_counts_once(client: TestClient, session: Session) -> None:
    target = make_comment(session)
    token = login(client, make_user(session))
    for _ in range(20):
        client.put(f"/api/v1/comments/{target.id}/vote", json={"value": 1}, headers={"X-CSRF-Token": token})
    session.refresh(target)
    assert target.upvotes == 1
    assert len(session.exec(select(CommentVote).where(CommentVote.comment_id == target.id)).all()) == 1


def test_a_vote_worth_more_than_one_is_refused(client: TestClient, session: Session) -> None:
    target = make_comment(session)
    token = login(client, make_user(session))
    for value in (2, 100, -5, "1; DROP TABLE comment_vote", 1.5, None):
        response = client.put(
            f"/api/v1/comments/{target.id}/vote", json={"value": value}, headers={"X-CSRF-Token": token}
        )
        assert response.status_code == 422, value
    session.refresh(target)
    assert (target.upvotes, target.downvotes) == (0, 0)


def test_a_reader_cannot_vote_for_their_own_comment(client: TestClient, session: Session) -> None:
    author = make_user(session)
    own = make_comment(session, author=author)
    token = login(client, author)
    response = client.put(
        f"/api/v1/comments/{own.id}/vote", json={"value": 1}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 403


def test_the_vote_form_only_knows_up_and_down(client: TestClient, session: Session) -> None:
    target = make_comment(session)
    login(client, make_user(session))
    token = page_csrf(client, f"/comments/{target.id}")
    response = client.post(f"/comments/{target.id}/vote", data={"direction": "up up up", "csrf_token": token})
    assert response.status_code == 400


# Malformed and oversized input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/comments/0",
        "/api/v1/comments/-1",
        "/api/v1/comments/99999999999999999999999",
        "/api/v1/comments/2147483648",
        "/api/v1/comments/1e3",
        "/api/v1/comments/%00",
        "/comments/99999999999999999999999",
        "/comments/abc",
        "/articles/%00",
        "/articles/" + "a" * 5000,
    ],
)
def test_absurd_ids_answer_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "payload",
    [
        b"{",
        b"[]",
        b'"text"',
        b'{"body": 5, "stance": "for"}',
        b'{"body": "x", "stance": "sideways"}',
        b'{"body": "x", "stance": "for", "parent_id": "abc"}',
        b'{"body": "x", "stance": "for", "parent_id": 99999999999999999999}',
        b'{"body": "x", "stance": "for", "admin": true}',
        b'{"body": "   ", "stance": "for"}',
        b'{"body": "\\u0000", "stance": "for"}',
        '{"body": "é',
    ],
)
def test_malformed_comment_bodies_answer_4xx(
    client: TestClient, session: Session, payload: bytes | str
) -> None:
    article = make_article(session)
    token = login(client, make_user(session))
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    response = client.post(
        f"/api/v1/articles/{article.slug}/comments",
        content=data,
        headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"] in {"bad_request", "validation_error", "not_found"}


def test_a_body_over_ten_thousand_characters_is_refused(client: TestClient, session: Session) -> None:
    article = make_article(session)
    token = login(client, make_user(session))
    response = client.post(
        f"/api/v1/articles/{article.slug}/comments",
        json={"body": "é" * 10_001, "stance": "for"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 422


def test_nul_and_bidi_control_characters_are_stripped(client: TestClient, session: Session) -> None:
    article = make_article(session)
    token = login(client, make_user(session))
    response = client.post(
        f"/api/v1/articles/{article.slug}/comments",
        json={"body": "avant\u0000\u202eaprès\u2066fin\u200f", "stance": "for"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 201
    assert response.json()["body_markdown"] == "avantaprèsfin"


def test_usernames_are_nfc_normalised_and_unique_case_insensitively(client: TestClient) -> None:
    first = client.post(
        "/api/v1/auth/register",
        json={"username": "Alice_1", "email": "a1@example.org", "password": "long enough"},
    )
    again = client.post(
        "/api/v1/auth/register",
        json={"username": "aLiCe_1", "email": "a2@example.org", "password": "long enough"},
    )
    accented = client.post(
        "/api/v1/auth/register",
        json={"username": "Zoe\u0301", "email": "a3@example.org", "password": "long enough"},
    )
    long = client.post(
        "/api/v1/auth/register",
        json={"username": "a" * 31, "email": "a4@example.org", "password": "long enough"},
    )
    assert first.status_code == 201
    assert again.status_code == 409
    assert accented.status_code == 422
    assert long.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        "'; DROP TABLE comment; --",
        "1' OR '1'='1",
        '" OR 1=1 --',
        "Robert'); DELETE FROM app_user WHERE ('1'='1",
        "UNION SELECT password_hash FROM app_user --",
        "%' AND 1=0 UNION ALL SELECT NULL --",
    ],
)
def test_sql_looking_text_is_stored_and_shown_verbatim(
    client: TestClient, session: Session, body: str
) -> None:
    article = make_article(session)
    user = make_user(session)
    token = login(client, user)
    posted = client.post(
        f"/api/v1/articles/{article.slug}/comments",
        json={"body": body, "stance": "for"},
        headers={"X-CSRF-Token": token},
    )
    assert posted.status_code == 201
    comment_id = posted.json()["id"]
    assert session.get(Comment, comment_id).body_markdown == body
    assert client.get(f"/api/v1/comments/{comment_id}").json()["body_markdown"] == body
    from html import escape

    assert escape(body, quote=False) in client.get(f"/comments/{comment_id}").text.replace(
        "&#39;", "'"
    ).replace("&#x27;", "'").replace("&quot;", '"')
    assert session.get(User, user.id) is not None


def test_a_sql_looking_login_is_just_a_wrong_login(client: TestClient, session: Session) -> None:
    make_user(session)
    response = client.post("/api/v1/auth/login", json={"username": "' OR 1=1 --", "password": "' OR 1=1 --"})
    assert response.status_code == 401


def test_a_sql_looking_sort_or_cursor_is_a_4xx(client: TestClient, session: Session) -> None:
    article = make_article(session)
    base = f"/api/v1/articles/{article.slug}/comments"
    assert client.get(base, params={"sort": "id; DROP TABLE comment"}).status_code == 422
    assert client.get(base, params={"cursor": "' OR 1=1 --"}).status_code == 400


def test_a_nul_in_a_login_name_is_a_4xx_on_every_database(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "adm\u0000in", "password": "whatever"})
    assert 400 <= response.status_code < 500


def test_a_nul_in_a_report_note_is_never_a_server_error(client: TestClient, session: Session) -> None:
    target = make_comment(session)
    token = login(client, make_user(session))
    response = client.post(
        f"/api/v1/comments/{target.id}/reports",
        json={"reason": "spam", "note": "voir\u0000ici"},
        headers={"X-CSRF-Token": token},
    )
    assert 400 <= response.status_code < 500 or response.status_code == 201


def test_a_nul_in_a_moderation_username_is_a_4xx_on_every_database(
    client: TestClient, session: Session
) -> None:
    from app.models import Role

    login(client, make_user(session, role=Role.moderator))
    assert client.get("/moderation/users/ab%00cd").status_code in (400, 404)

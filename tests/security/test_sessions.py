"""Sessions: long random ids, a new one at login, ended at logout, password change, ban and erasure;
idle expiry 7 days, absolute 30 days."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import AuthSession, Role, User, utcnow
from app.services import moderation
from tests.factories import PASSWORD, login, make_user, page_csrf


def session_cookie(client: TestClient) -> str:
    return client.cookies["tribune_session"]


def signed_in_as(client: TestClient) -> str | None:
    user = client.get("/api/v1/auth/session").json()["user"]
    return user["username"] if user else None


def relogin(client: TestClient, user: User) -> None:
    """Sign in again from a browser that already holds a session cookie (so CSRF applies)."""
    token = client.get("/api/v1/auth/session").json()["csrf_token"]
    response = client.post(
        "/api/v1/auth/login",
        json={"username": user.username, "password": PASSWORD},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 200


def age_sessions(session: Session, user: User, *, created: timedelta, seen: timedelta) -> None:
    now = utcnow()
    session.execute(
        sa.update(AuthSession)
        .where(AuthSession.user_id == user.id)  # type: ignore[arg-type]
        .values(created_at=now - created, last_seen_at=now - seen)
    )


def test_a_session_id_carries_at_least_128_random_bits(client: TestClient, session: Session) -> None:
    user = make_user(session)
    tokens = set()
    for _ in range(5):
        relogin(client, user)
        tokens.add(session_cookie(client))
    assert len(tokens) == 5
    # token_urlsafe: 6 bits per character.
    assert all(len(t) * 6 >= 128 for t in tokens)


def test_the_database_keeps_only_a_digest_of_the_session_id(client: TestClient, session: Session) -> None:
    user = make_user(session)
    login(client, user)
    stored = session.exec(select(AuthSession.id).where(AuthSession.user_id == user.id)).all()
    assert session_cookie(client) not in stored


def test_login_replaces_an_existing_session_with_a_new_one(client: TestClient, session: Session) -> None:
    user = make_user(session)
    login(client, user)
    first = session_cookie(client)
    relogin(client, user)
    assert session_cookie(client) != first
    stale = TestClient(client.app, cookies={"tribune_session": first})
    assert signed_in_as(stale) is None


def test_a_session_fixed_before_login_is_not_kept(client: TestClient, session: Session) -> None:
    user = make_user(session)
    planted = "attacker-chosen-value-" + "x" * 20
    browser = TestClient(client.app, cookies={"tribune_session": planted})
    token = browser.get("/api/v1/auth/session").json()["csrf_token"]
    response = browser.post(
        "/api/v1/auth/login",
        json={"username": user.username, "password": PASSWORD},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 200
    issued = response.cookies["tribune_session"]
    assert issued != planted
    assert len(issued) >= 22


def test_logout_ends_the_session_on_the_server(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = login(client, user)
    cookie = session_cookie(client)
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204
    replay = TestClient(client.app, cookies={"tribune_session": cookie})
    assert signed_in_as(replay) is None


def test_a_password_change_ends_every_other_session(client: TestClient, session: Session) -> None:
    user = make_user(session)
    other_browser = TestClient(client.app)
    login(other_browser, user)
    login(client, user)
    old_cookie = session_cookie(client)
    token = page_csrf(client, "/account")
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "a brand new secret", "csrf_token": token},
    )
    assert response.status_code == 303
    assert signed_in_as(other_browser) is None
    assert session_cookie(client) != old_cookie
    assert signed_in_as(client) == user.username
    assert signed_in_as(TestClient(client.app, cookies={"tribune_session": old_cookie})) is None


def test_a_password_change_needs_the_current_password(client: TestClient, session: Session) -> None:
    user = make_user(session)
    login(client, user)
    token = page_csrf(client, "/account")
    response = client.post(
        "/account/password",
        data={"current_password": "wrong one", "new_password": "a brand new secret", "csrf_token": token},
    )
    assert response.status_code == 403
    assert signed_in_as(client) == user.username


def test_a_ban_ends_the_readers_sessions(client: TestClient, session: Session) -> None:
    reader = make_user(session)
    admin = make_user(session, role=Role.admin)
    login(client, reader)
    moderation.sanction(session, moderator=admin, user=reader, action="ban", reason="Spam répété")
    assert signed_in_as(client) is None
    assert session.exec(select(AuthSession).where(AuthSession.user_id == reader.id)).all() == []


def test_erasing_the_account_ends_its_sessions(client: TestClient, session: Session) -> None:
    reader = make_user(session)
    other_browser = TestClient(client.app)
    login(other_browser, reader)
    token = login(client, reader)
    client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}, headers={"X-CSRF-Token": token})
    assert signed_in_as(other_browser) is None


def test_a_session_idle_for_seven_days_has_expired(client: TestClient, session: Session) -> None:
    user = make_user(session)
    login(client, user)
    age_sessions(session, user, created=timedelta(days=8), seen=timedelta(days=7, minutes=1))
    assert signed_in_as(client) is None


def test_a_session_seen_within_seven_days_is_still_valid(client: TestClient, session: Session) -> None:
    user = make_user(session)
    login(client, user)
    age_sessions(session, user, created=timedelta(days=20), seen=timedelta(days=6, hours=23))
    assert signed_in_as(client) == user.username


def test_a_session_older_than_thirty_days_has_expired_even_if_active(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    login(client, user)
    age_sessions(session, user, created=timedelta(days=30, minutes=1), seen=timedelta(minutes=1))
    assert signed_in_as(client) is None


def test_the_session_cookie_lasts_no_longer_than_the_absolute_limit(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    response = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
    assert "Max-Age=2592000" in response.headers["set-cookie"]

"""The two doors of a signed token (/sso for browsers, POST /api/v1/auth/sso for clients), where
`next` may lead, and a site whose only accounts are the newsroom's."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.models import LinkedAccount, User
from tests.factories import make_user
from tests.sso.tokens import ISSUER, SECRET, hs256

EMBEDDER = "https://www.journal.test"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret",
        instance_path=tmp_path,
        rate_limits=False,
        sso_secret=SECRET,
        sso_issuer=ISSUER,
        embed_origins=[EMBEDDER],
    )


def test_sso_signs_the_browser_in_and_goes_to_next(client: TestClient) -> None:
    response = client.get("/sso", params={"token": hs256(), "next": "/articles/x#debate"})
    assert response.status_code == 303
    assert response.headers["location"] == "/articles/x#debate"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "tribune_session=" in response.headers["set-cookie"]
    assert client.get("/api/v1/auth/session").json()["user"]["username"] == "lea_martin"


def test_sso_next_may_be_a_page_of_an_embedding_site(client: TestClient) -> None:
    page = f"{EMBEDDER}/2026/12/heure-d-ete.html"
    response = client.get("/sso", params={"token": hs256(), "next": page})
    assert response.headers["location"] == page


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "https://www.journal.test.evil.example/", "/\\evil.example"],
)
def test_sso_next_never_leads_to_another_site(client: TestClient, target: str) -> None:
    response = client.get("/sso", params={"token": hs256(), "next": target})
    assert response.headers["location"] == "/"


def test_a_refused_token_gets_a_page_that_says_why(client: TestClient) -> None:
    response = client.get("/sso", params={"token": hs256(secret="mauvais-secret-0123456789abcdef-0123")})
    assert response.status_code == 401
    assert "<html" in response.text
    assert "la signature ne correspond pas" in response.text
    assert "tribune_session" not in response.headers.get("set-cookie", "")


def test_the_json_door_signs_in_and_returns_the_csrf_token(client: TestClient) -> None:
    response = client.post("/api/v1/auth/sso", json={"token": hs256()})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["username"] == "lea_martin"
    assert body["csrf_token"]


def test_the_json_door_refuses_a_replay_with_its_reason(client: TestClient) -> None:
    token = hs256()
    assert client.post("/api/v1/auth/sso", json={"token": token}).status_code == 200
    replay = TestClient(client.app).post("/api/v1/auth/sso", json={"token": token})
    assert replay.status_code == 401
    assert "déjà servi" in replay.json()["detail"]


def test_the_json_door_refuses_a_username_of_a_local_account(client: TestClient, session: Session) -> None:
    make_user(session, username="lea_martin")
    response = client.post("/api/v1/auth/sso", json={"token": hs256()})
    assert response.status_code == 409
    assert "appartient déjà" in response.json()["detail"]


def test_the_export_includes_the_link(client: TestClient) -> None:
    client.post("/api/v1/auth/sso", json={"token": hs256(display_name="Léa")})
    export = client.get("/api/v1/me/export").json()
    assert export["linked_accounts"][0]["provider"] == "token"
    assert export["linked_accounts"][0]["subject"] == "abonne-42"
    assert export["linked_accounts"][0]["display_name"] == "Léa"


def test_erasing_a_linked_account_removes_the_link_without_a_password(
    client: TestClient, session: Session
) -> None:
    csrf = client.post("/api/v1/auth/sso", json={"token": hs256()}).json()["csrf_token"]
    response = client.request(
        "DELETE",
        "/api/v1/me",
        json={"password": "", "comments": "keep"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 204, response.text
    assert session.exec(select(LinkedAccount)).first() is None
    assert session.exec(select(User).where(User.username == "lea_martin")).first() is None


class TestWithoutLocalAccounts:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"local_accounts": False, "sso_login_url": f"{EMBEDDER}/connexion"})

    def test_password_sign_in_is_refused(self, client: TestClient, session: Session) -> None:
        user = make_user(session)
        response = client.post("/api/v1/auth/login", json={"username": user.username, "password": "x" * 10})
        assert response.status_code == 403
        assert "comptes propres à ce site sont désactivés" in response.json()["detail"]

    def test_registration_is_refused(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/auth/register", json={"username": "nouveau", "email": "n@x.org", "password": "x" * 10}
        )
        assert response.status_code == 403
        assert client.get("/register").status_code == 403

    def test_the_login_page_offers_only_the_newsroom(self, client: TestClient) -> None:
        html = client.get("/login?next=/articles/x").text
        assert 'href="https://www.journal.test/connexion?next=%2Farticles%2Fx"' in html
        assert 'action="/login"' not in html
        assert "/register" not in html

    def test_a_token_still_signs_in(self, client: TestClient) -> None:
        assert client.post("/api/v1/auth/sso", json={"token": hs256()}).status_code == 200

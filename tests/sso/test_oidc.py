"""OpenID Connect against a real provider the tests run on 127.0.0.1 (tests/sso/provider.py, built
with Authlib's server components): the whole authorization code flow with PKCE, and what is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import LinkedAccount, ModerationAction, Role, User
from tests.factories import make_user
from tests.sso.provider import CLIENT_ID, CLIENT_SECRET, Provider, start_provider, stop_provider

CALLBACK = "http://testserver/sso/oidc/callback"
PERSON = {
    "sub": "oidc-7",
    "email": "marc@journal.test",
    "preferred_username": "marc_d",
    "name": "Marc Dupont",
}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    running = start_provider(CALLBACK)
    yield running
    stop_provider(running)


@pytest.fixture(autouse=True)
def person(provider: Provider) -> None:
    provider.person = dict(PERSON)
    provider.id_token_overrides = {}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, provider: Provider) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret",
        instance_path=tmp_path,
        rate_limits=False,
        base_url="http://testserver",
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
    )


def _to_provider(client: TestClient, next_path: str = "/articles/x") -> str:
    """Start the sign-in; the provider's authorization address it sends the browser to."""
    response = client.get("/sso/oidc/start", params={"next": next_path})
    assert response.status_code == 303
    return response.headers["location"]


def _back_from_provider(authorize_url: str) -> str:
    """The browser at the provider (a real HTTP request): the path and query it is sent back to."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return f"{back.path}?{back.query}"


def test_a_reader_signs_in_with_the_newsroom_provider(
    client: TestClient, session: Session, provider: Provider
) -> None:
    response = client.get(_back_from_provider(_to_provider(client)))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/articles/x"
    assert client.get("/api/v1/auth/session").json()["user"]["username"] == "marc_d"
    link = session.exec(select(LinkedAccount).where(LinkedAccount.provider == "oidc")).one()
    assert (link.subject, link.display_name) == ("oidc-7", "Marc Dupont")
    assert session.get(User, link.user_id).email == "marc@journal.test"  # type: ignore[union-attr]


def test_the_flow_uses_pkce_a_state_and_a_nonce(client: TestClient, provider: Provider) -> None:
    authorize = _to_provider(client)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["response_type"] == ["code"]
    assert len(query["state"][0]) >= 32
    assert len(query["nonce"][0]) >= 32
    assert len(query["code_challenge"][0]) == 43  # base64url of a SHA-256
    client.get(_back_from_provider(authorize))
    assert len(provider.token_requests[-1]["code_verifier"]) >= 43


def test_a_second_sign_in_reuses_the_linked_account(
    client: TestClient, session: Session, provider: Provider
) -> None:
    client.get(_back_from_provider(_to_provider(client)))
    provider.person["email"] = "marc.dupont@journal.test"
    other = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    assert other.get(_back_from_provider(_to_provider(other))).status_code == 303
    users = session.exec(select(User).where(User.username == "marc_d")).all()
    assert [u.email for u in users] == ["marc.dupont@journal.test"]


def test_a_callback_with_another_state_is_refused(client: TestClient) -> None:
    back = _back_from_provider(_to_provider(client))
    forged = back.replace("state=", "state=x")
    response = client.get(forged)
    assert response.status_code == 400
    assert "(state)" in response.text


def test_a_callback_without_the_pending_cookie_is_refused(client: TestClient) -> None:
    back = _back_from_provider(_to_provider(client))
    stranger = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    response = stranger.get(back)
    assert response.status_code == 400
    assert "recommencez depuis le bouton de connexion" in response.text


def test_an_id_token_with_another_nonce_is_refused(client: TestClient, provider: Provider) -> None:
    provider.id_token_overrides = {"nonce": "pas-le-bon"}
    response = client.get(_back_from_provider(_to_provider(client)))
    assert response.status_code == 400
    assert "n’est pas valable" in response.text


def test_an_id_token_from_another_issuer_is_refused(client: TestClient, provider: Provider) -> None:
    provider.id_token_overrides = {"iss": "https://ailleurs.example"}
    response = client.get(_back_from_provider(_to_provider(client)))
    assert response.status_code == 400
    assert "n’est pas valable" in response.text


def test_an_id_token_for_another_client_is_refused(client: TestClient, provider: Provider) -> None:
    provider.id_token_overrides = {"aud": ["un-autre-site"]}
    response = client.get(_back_from_provider(_to_provider(client)))
    assert response.status_code == 400


def test_a_refusal_by_the_provider_is_shown(client: TestClient) -> None:
    _to_provider(client)
    response = client.get("/sso/oidc/callback", params={"error": "access_denied", "state": "s"})
    assert response.status_code == 400
    assert "access_denied" in response.text


def test_a_name_of_a_local_account_is_refused(client: TestClient, session: Session) -> None:
    make_user(session, username="marc_d")
    response = client.get(_back_from_provider(_to_provider(client)))
    assert response.status_code == 409
    assert "appartient déjà à un compte de ce site" in response.text


def test_next_never_leads_to_another_site(client: TestClient) -> None:
    response = client.get(_back_from_provider(_to_provider(client, "https://evil.example/")))
    assert response.headers["location"] == "/"


def test_the_login_page_offers_the_provider(client: TestClient) -> None:
    assert 'href="/sso/oidc/start?next=%2Farticles%2Fx"' in client.get("/login?next=/articles/x").text


def test_without_a_provider_the_oidc_door_is_a_404(client: TestClient, settings: Settings) -> None:
    from app.main import create_app

    bare = create_app(settings.model_copy(update={"oidc_issuer": None}))
    with TestClient(bare, base_url="http://testserver") as other:
        assert other.get("/sso/oidc/start").status_code == 404
    bare.state.engine.dispose()


GROUP_ROLES = {"tribune-moderation": "moderator", "tribune-redaction": "editor"}


def _site(settings: Settings, session: Session, **changes: object) -> Iterator[TestClient]:
    from app.main import create_app
    from tests.conftest import run_in

    app = create_app(settings.model_copy(update=changes))
    run_in(app, session)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client
    app.state.engine.dispose()


@pytest.fixture
def trusting(settings: Settings, session: Session) -> Iterator[TestClient]:
    """A site that takes roles from two of the provider's groups (the claim `groups`, the default)."""
    yield from _site(settings, session, sso_trust_roles=True, oidc_roles=GROUP_ROLES)


def _sign_in(site: TestClient) -> int:
    browser = TestClient(site.app, base_url="http://testserver", follow_redirects=False)
    return browser.get(_back_from_provider(_to_provider(browser))).status_code


def _marc(session: Session) -> User:
    user = session.exec(select(User).where(User.username == "marc_d")).one()
    session.refresh(user)
    return user


def _role_log(session: Session) -> list[tuple[str, str | None]]:
    entries = session.exec(
        select(ModerationAction)
        .where(ModerationAction.action == "role_from_newsroom")
        .order_by(col(ModerationAction.id))
    ).all()
    return [(e.target_label, e.note) for e in entries]


def test_the_newsrooms_groups_give_the_highest_mapped_role_and_only_raise_it(
    trusting: TestClient, session: Session, provider: Provider
) -> None:
    # "admin" is a group of the provider's own, not one the site maps: it gives nothing.
    provider.person["groups"] = ["abonnes", "admin", "tribune-moderation"]
    assert _sign_in(trusting) == 303
    assert _marc(session).role == Role.moderator
    provider.person["groups"] = ["tribune-redaction", "tribune-moderation"]
    assert _sign_in(trusting) == 303
    assert _marc(session).role == Role.editor
    # Back to the moderation group only, then to no group: a claim never takes a role back.
    provider.person["groups"] = ["tribune-moderation"]
    assert _sign_in(trusting) == 303
    provider.person["groups"] = []
    assert _sign_in(trusting) == 303
    assert _marc(session).role == Role.editor
    assert _role_log(session) == [("marc_d", "reader → moderator"), ("marc_d", "moderator → editor")]


def test_the_audit_log_tells_a_role_received_from_the_newsroom(
    trusting: TestClient, session: Session, provider: Provider
) -> None:
    provider.person["groups"] = ["tribune-redaction"]
    browser = TestClient(trusting.app, base_url="http://testserver", follow_redirects=False)
    assert browser.get(_back_from_provider(_to_provider(browser))).status_code == 303
    text = browser.get("/moderation/log").text  # marc_d, now an editor, reads the log
    assert "Rôle reçu du journal" in text
    assert "Lecteur → Rédacteur" in text


def test_a_lone_group_may_come_as_a_string(
    trusting: TestClient, session: Session, provider: Provider
) -> None:
    provider.person["groups"] = "abonnes"  # a group the site does not map: a reader signs in
    assert _sign_in(trusting) == 303
    assert _marc(session).role == Role.reader
    provider.person["groups"] = "tribune-moderation"
    assert _sign_in(trusting) == 303
    assert _marc(session).role == Role.moderator


def test_groups_are_not_read_where_roles_are_not_trusted(
    settings: Settings, session: Session, provider: Provider
) -> None:
    provider.person["groups"] = ["tribune-redaction"]
    for site in _site(settings, session, sso_trust_roles=False, oidc_roles=GROUP_ROLES):
        assert _sign_in(site) == 303
    assert _marc(session).role == Role.reader
    assert _role_log(session) == []


def test_a_group_map_names_only_staff_roles() -> None:
    assert Settings(oidc_roles="tribune-moderation=moderator, a=b=editor").oidc_roles == {
        "tribune-moderation": "moderator",
        "a=b": "editor",
    }
    for wrong in ("tribune=reader", "tribune=chef", "moderator", "=admin"):
        with pytest.raises(ValidationError, match="expected group=role"):
            Settings(oidc_roles=wrong)

"""Address verification end to end: the link sent at registration, reactions held until it is followed,
and a change of address that warns the old one and verifies the new."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import User
from tests.factories import PASSWORD, login, make_article, page_csrf
from tests.mail.conftest import MailAppFor, SmtpServer, committed_user


def committed_article(engine: Engine) -> str:
    with Session(engine, expire_on_commit=False) as session:
        article = make_article(session)
        session.commit()
        return article.slug


def confirm(client: TestClient, path: str) -> None:
    """Follow a verification link: its page, then its button (the GET changes nothing)."""
    page = client.get(path)
    assert page.status_code == 200
    response = client.post(path, data={"csrf_token": page_csrf(client, path)})
    assert response.status_code == 200
    assert "Adresse vérifiée" in response.text


def post_reaction(client: TestClient, token: str, slug: str, body: str) -> int:
    response = client.post(
        f"/api/v1/articles/{slug}/comments",
        json={"body": body, "stance": "for"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code in (201, 202), response.text
    return int(response.status_code)


def test_a_new_reader_is_held_until_the_link_from_registration_is_followed(
    committed: Engine, mail_app_for: MailAppFor, smtp: SmtpServer
) -> None:
    # Trusted from the first post, so that only the unverified address holds the reaction.
    app = mail_app_for(smtp.url, trust_threshold=0)
    slug = committed_article(committed)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        registered = client.post(
            "/api/v1/auth/register",
            json={"username": "nouvelle", "email": "nouvelle@example.org", "password": PASSWORD},
        )
        assert registered.status_code == 201
        (mail,) = smtp.inbox.to("nouvelle@example.org")
        assert mail.message["Subject"] == "Confirmez votre adresse e-mail"
        token = login(client, User(username="nouvelle", username_key="nouvelle", email="", password_hash=""))
        assert post_reaction(client, token, slug, "Avant vérification.") == 202
        confirm(client, mail.link("/verify/"))
        assert post_reaction(client, token, slug, "Après vérification.") == 201


def test_registration_through_the_form_sends_the_link_in_the_chosen_language(
    committed: Engine, mail_app_for: MailAppFor, smtp: SmtpServer
) -> None:
    app = mail_app_for(smtp.url)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        client.cookies.set("tribune_lang", "en")
        token = page_csrf(client, "/register")
        response = client.post(
            "/register",
            data={
                "username": "english",
                "email": "english@example.org",
                "password": PASSWORD,
                "csrf_token": token,
            },
        )
        assert response.status_code == 303
        (mail,) = smtp.inbox.to("english@example.org")
    assert mail.message["Subject"] == "Confirm your e-mail address"
    assert mail.message["Content-Language"] == "en"
    assert "/verify/" in mail.html


def test_a_verification_link_for_another_address_is_refused(
    committed: Engine, mail_app_for: MailAppFor, smtp: SmtpServer
) -> None:
    from app.services.mail import links

    user = committed_user(committed, email_verified_at=None)
    assert user.id is not None
    token = links.verify_token("test-secret", user_id=user.id, email="someone.else@example.org")
    app = mail_app_for(smtp.url)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        response = client.get(f"/verify/{token}")
        refused = client.post(f"/verify/{token}", data={"csrf_token": page_csrf(client, "/login")})
    assert response.status_code == 400
    assert refused.status_code == 400
    assert "plus valide" in response.text


def test_changing_the_address_warns_the_old_one_and_verifies_the_new(
    committed: Engine, mail_app_for: MailAppFor, smtp: SmtpServer
) -> None:
    user = committed_user(committed)
    app = mail_app_for(smtp.url)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        login(client, user)
        token = page_csrf(client, "/account")
        changed = client.post(
            "/account/email", data={"email": "moved@example.org", "password": PASSWORD, "csrf_token": token}
        )
        assert changed.status_code == 303
        (warning,) = smtp.inbox.to(user.email)
        (verification,) = smtp.inbox.to("moved@example.org")
        assert "moved@example.org" in warning.text
        assert warning.message["Subject"] == "L’adresse de votre compte a changé"
        assert "pas encore vérifiée" in client.get("/account").text
        confirm(client, verification.link("/verify/"))
        assert "pas encore vérifiée" not in client.get("/account").text


def test_changing_the_address_needs_the_password(
    committed: Engine, mail_app_for: MailAppFor, smtp: SmtpServer
) -> None:
    user = committed_user(committed)
    app = mail_app_for(smtp.url)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        login(client, user)
        token = page_csrf(client, "/account")
        refused = client.post(
            "/account/email",
            data={"email": "thief@example.org", "password": "wrong one", "csrf_token": token},
        )
    assert refused.status_code == 403
    assert "Mot de passe incorrect." in refused.text


def test_verification_links_to_an_address_are_limited_per_account(
    committed: Engine, mail_app_for: MailAppFor, smtp: SmtpServer
) -> None:
    user = committed_user(committed, email_verified_at=None)
    app = mail_app_for(smtp.url, rate_limits=True)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        login(client, user)
        answers = [
            client.post("/account/verification", data={"csrf_token": page_csrf(client, "/account")})
            for _ in range(6)
        ]
    assert [a.status_code for a in answers] == [303] * 5 + [429]
    assert "Trop de demandes." in answers[5].text

"""Password reset end to end: HTTP in, SMTP out (aiosmtpd), and the link followed back over HTTP."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.models import utcnow
from app.services.mail import links
from tests.factories import page_csrf
from tests.mail.conftest import Browsers, MailAppFor, SmtpServer, committed_user, sign_in

NEW_PASSWORD = "a brand new passphrase"


def forgot(client: TestClient, email: str) -> str:
    token = page_csrf(client, "/password/forgot")
    response = client.post("/password/forgot", data={"email": email, "csrf_token": token})
    assert response.status_code == 200, response.text
    return str(response.text)


def test_login_page_offers_the_forgotten_password_link(committed: Engine, browser: Browsers) -> None:
    page = browser().get("/login").text
    assert 'href="/password/forgot"' in page
    assert "Mot de passe oublié ?" in page


def test_reset_link_works_once_and_ends_every_other_session(
    committed: Engine, browser: Browsers, smtp: SmtpServer
) -> None:
    user = committed_user(committed)
    elsewhere = browser(user)
    assert elsewhere.get("/account").status_code == 200
    me = browser()
    forgot(me, user.email)
    (mail,) = smtp.inbox.to(user.email)
    assert mail.message["Subject"] == "Choisir un nouveau mot de passe"
    path = mail.link("/password/reset/")
    assert path in mail.html
    assert me.get(path).status_code == 200
    token = page_csrf(me, path)
    done = me.post(path, data={"password": NEW_PASSWORD, "csrf_token": token})
    assert done.status_code == 303
    assert done.headers["location"] == "/account?mail=reset"
    assert me.get("/account").status_code == 200  # this browser is signed in with a new session
    assert elsewhere.get("/account").status_code in (303, 401)  # the other one is signed out
    again = me.post(path, data={"password": "yet another passphrase", "csrf_token": page_csrf(me, "/")})
    assert again.status_code == 400
    assert "plus valide" in again.text
    sign_in(browser(), user.username, NEW_PASSWORD)


def test_reset_answers_the_same_for_an_unknown_address_and_sends_nothing_to_it(
    committed: Engine, browser: Browsers, smtp: SmtpServer
) -> None:
    user = committed_user(committed)
    me = browser()
    unknown = forgot(me, "nobody@example.org")
    known = forgot(me, user.email)
    assert unknown == known
    smtp.inbox.to(user.email)
    assert [r.recipients for r in smtp.inbox.received] == [[user.email]]


def test_reset_link_expires_after_an_hour(committed: Engine, browser: Browsers) -> None:
    user = committed_user(committed)
    assert user.id is not None
    stale = links.reset_token(
        "test-secret", user_id=user.id, password_hash=user.password_hash, now=utcnow() - timedelta(minutes=61)
    )
    response = browser().get(f"/password/reset/{stale}")
    assert response.status_code == 400
    assert "plus valide" in response.text


def test_a_forged_reset_link_is_refused(committed: Engine, browser: Browsers) -> None:
    user = committed_user(committed)
    assert user.id is not None
    forged = links.reset_token("not-the-secret", user_id=user.id, password_hash=user.password_hash)
    assert browser().get(f"/password/reset/{forged}").status_code == 400
    assert browser().get("/password/reset/garbage").status_code == 400


def test_reset_requests_are_limited_per_account_address(
    committed: Engine, mail_app_for: MailAppFor, smtp: SmtpServer
) -> None:
    app: FastAPI = mail_app_for(smtp.url, rate_limits=True, password_resets_per_account=2)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        answers = []
        for _ in range(3):
            token = page_csrf(client, "/password/forgot")
            answers.append(
                client.post("/password/forgot", data={"email": "x@example.org", "csrf_token": token})
            )
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "Retry-After" in answers[2].headers


def test_a_malformed_address_is_told_on_the_form(committed: Engine, browser: Browsers) -> None:
    me = browser()
    token = page_csrf(me, "/password/forgot")
    response = me.post("/password/forgot", data={"email": "not an address", "csrf_token": token})
    assert response.status_code == 422
    assert "Adresse e-mail invalide." in response.text

"""Notification mail end to end: each kind with its preference, one-click unsubscribe, the daily
digest (readers' and staff's), and nothing for a banned reader."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.models import MailPreference, Notification, OutboxMessage, Role, User, UserStatus, utcnow
from app.services.mail.notify import send_digests
from tests.factories import login, page_csrf
from tests.mail.conftest import BASE_URL, SmtpServer, committed_user, rows, scalar, wait_until
from tests.mail.test_verification import committed_article

NOTE = Notification.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
USER = User.__table__  # type: ignore[attr-defined]


def api(app: FastAPI, user: User) -> tuple[TestClient, dict[str, str]]:
    client = TestClient(app, base_url=BASE_URL, follow_redirects=False)
    return client, {"X-CSRF-Token": login(client, user)}


def react(app: FastAPI, user: User, slug: str, body: str, parent_id: int | None = None) -> int:
    client, headers = api(app, user)
    data = {"body": body, "parent_id": parent_id} if parent_id else {"body": body, "stance": "for"}
    response = client.post(f"/api/v1/articles/{slug}/comments", json=data, headers=headers)
    assert response.status_code in (201, 202), response.text
    return int(response.json()["id"])


def choose(app: FastAPI, user: User, **choices: str) -> None:
    client = TestClient(app, base_url=BASE_URL, follow_redirects=False)
    login(client, user)
    response = client.post("/account/mail", data={**choices, "csrf_token": page_csrf(client, "/account")})
    assert response.status_code == 303, response.text


def mail_state(engine: Engine, comment_id: int) -> str | None:
    """The mail state of the notification about this comment, once the sender has looked at it."""
    state: str = wait_until(
        lambda: scalar(engine, sa.select(NOTE.c.mail_state).where(NOTE.c.comment_id == comment_id)),
        what="the sender to look at the notification",
    )
    return state


def outbox_for(engine: Engine, user: User) -> list[str]:
    return [r.kind for r in rows(engine, sa.select(OUTBOX.c.kind).where(OUTBOX.c.user_id == user.id))]


def test_a_reply_is_mailed_at_once_with_a_one_click_unsubscribe(
    committed: Engine, mail_app: FastAPI, smtp: SmtpServer
) -> None:
    author, replier = committed_user(committed), committed_user(committed, username="repondeur")
    slug = committed_article(committed)
    with TestClient(mail_app):
        choose(mail_app, author, reply="immediate")
        parent = react(mail_app, author, slug, "Mon avis de départ.")
        react(mail_app, replier, slug, "Je ne suis pas d’accord du tout.", parent_id=parent)
        (mail,) = smtp.inbox.to(author.email)
        assert mail.message["Subject"] == "repondeur vous a répondu"
        assert "Je ne suis pas d’accord du tout." in mail.text
        assert "/comments/" in mail.html
        assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = mail.message["List-Unsubscribe"].strip("<>").removeprefix(BASE_URL)
        # What a mail client sends (RFC 8058): a POST with no cookie and no CSRF token.
        done = TestClient(mail_app, base_url=BASE_URL).post(
            unsubscribe, data={"List-Unsubscribe": "One-Click"}
        )
        assert done.status_code == 200
        assert scalar(committed, sa.select(USER.c.mail_reply).where(USER.c.id == author.id)) == "never"
        second = react(mail_app, replier, slug, "Et j’insiste.", parent_id=parent)
        assert mail_state(committed, second) == "skipped"
    assert outbox_for(committed, author) == ["reply"]


def test_mail_names_readers_as_the_site_shows_them(
    committed: Engine, mail_app: FastAPI, smtp: SmtpServer
) -> None:
    author = committed_user(committed, username="oceane_b", display_name="Océane")
    replier = committed_user(committed, username="helene_k", display_name="Hélène Kœnig")
    slug = committed_article(committed)
    with TestClient(mail_app):
        choose(mail_app, author, reply="immediate")
        parent = react(mail_app, author, slug, "Un avis à discuter.")
        react(mail_app, replier, slug, "Une réponse signée de mon nom.", parent_id=parent)
        (mail,) = smtp.inbox.to(author.email)
    assert mail.message["Subject"] == "Hélène Kœnig vous a répondu"
    assert "Bonjour Océane," in mail.text
    assert "helene_k" not in mail.message["Subject"]


def test_a_forged_unsubscribe_link_is_refused(committed: Engine, mail_app: FastAPI) -> None:
    user = committed_user(committed)
    with TestClient(mail_app, base_url=BASE_URL) as client:
        response = client.post(f"/mail/unsubscribe/{user.id}.reply.{'0' * 40}")
    assert response.status_code == 404
    assert scalar(committed, sa.select(USER.c.mail_reply).where(USER.c.id == user.id)) == "daily"


def test_replies_wait_for_the_daily_digest_by_default(
    committed: Engine, mail_app: FastAPI, smtp: SmtpServer
) -> None:
    author, replier = committed_user(committed), committed_user(committed, username="voisin")
    slug = committed_article(committed)
    with TestClient(mail_app):
        parent = react(mail_app, author, slug, "Un point de vue.")
        reply = react(mail_app, replier, slug, "Une réponse pour le résumé.", parent_id=parent)
        assert mail_state(committed, reply) == "daily"
        assert outbox_for(committed, author) == []
        tomorrow = utcnow() + timedelta(hours=25)
        assert send_digests(committed, mail_app.state.mail, now=tomorrow) == 1
        assert send_digests(committed, mail_app.state.mail, now=tomorrow) == 0  # once a day
        (digest,) = smtp.inbox.to(author.email)
    assert digest.message["Subject"] == "Votre résumé quotidien Tribune"
    assert "Une réponse pour le résumé." in digest.text
    assert "voisin a répondu" in digest.html
    assert digest.message["List-Unsubscribe"]
    assert mail_state(committed, reply) == "digested"


def test_a_rejection_is_mailed_at_once_with_its_reason_and_how_to_contest(
    committed: Engine, mail_app: FastAPI, smtp: SmtpServer
) -> None:
    author = committed_user(committed)
    moderator = committed_user(committed, username="moderatrice", role=Role.moderator)
    slug = committed_article(committed)
    with TestClient(mail_app):
        comment = react(mail_app, author, slug, "Un message hors de propos.")
        client, headers = api(mail_app, moderator)
        decided = client.post(
            f"/api/v1/moderation/comments/{comment}/decision",
            json={"action": "reject", "reason": "off_topic", "note": "Parlons de l’article."},
            headers=headers,
        )
        assert decided.status_code == 200, decided.text
        (mail,) = smtp.inbox.to(author.email)
    assert mail.message["Subject"] == "Votre message a été refusé"
    assert "Hors sujet" in mail.text
    assert "Parlons de l’article." in mail.text
    assert "contester" in mail.text


def test_a_featured_reaction_is_mailed_in_the_readers_language(
    committed: Engine, mail_app: FastAPI, smtp: SmtpServer
) -> None:
    author = committed_user(committed, locale="en")
    editor = committed_user(committed, username="redac", role=Role.editor)
    slug = committed_article(committed)
    with TestClient(mail_app):
        comment = react(mail_app, author, slug, "A fine argument.")
        client, headers = api(mail_app, editor)
        featured = client.put(
            f"/api/v1/comments/{comment}/feature", json={"note": "Bien vu"}, headers=headers
        )
        assert featured.status_code == 200, featured.text
        (mail,) = smtp.inbox.to(author.email)
    assert mail.message["Subject"] == "Your message is featured"
    assert "Editors' note: Bien vu" in mail.text


def test_a_decision_preference_of_never_sends_nothing(
    committed: Engine, mail_app: FastAPI, smtp: SmtpServer
) -> None:
    author = committed_user(committed, mail_decision=MailPreference.never)
    editor = committed_user(committed, username="redac2", role=Role.editor)
    slug = committed_article(committed)
    with TestClient(mail_app):
        comment = react(mail_app, author, slug, "Un argument.")
        client, headers = api(mail_app, editor)
        assert client.put(f"/api/v1/comments/{comment}/feature", json={}, headers=headers).status_code == 200
        # featured has its own preference (immediate by default): it is mailed
        smtp.inbox.to(author.email)
        moderator = committed_user(committed, username="modo", role=Role.moderator)
        client, headers = api(mail_app, moderator)
        rejected = client.post(
            f"/api/v1/moderation/comments/{comment}/decision",
            json={"action": "reject", "reason": "spam"},
            headers=headers,
        )
        assert rejected.status_code == 200
        states = wait_until(
            lambda: (
                [
                    r.mail_state
                    for r in rows(committed, sa.select(NOTE.c.mail_state).where(NOTE.c.user_id == author.id))
                    if r.mail_state
                ]
                if len(rows(committed, sa.select(NOTE.c.id).where(NOTE.c.mail_state.is_not(None)))) >= 2
                else None
            )
        )
    assert sorted(states) == ["queued", "skipped"]
    assert outbox_for(committed, author) == ["featured"]


def test_staff_get_a_daily_digest_of_the_queues(
    committed: Engine, mail_app: FastAPI, smtp: SmtpServer
) -> None:
    moderator = committed_user(committed, username="veilleur", role=Role.moderator)
    newcomer = committed_user(committed, approved_count=0)
    slug = committed_article(committed)
    with TestClient(mail_app):
        react(mail_app, newcomer, slug, "Mon tout premier message.")  # held: pending
        assert send_digests(committed, mail_app.state.mail, now=utcnow() + timedelta(hours=25)) == 1
        (digest,) = smtp.inbox.to(moderator.email)
    assert "Files de modération" in digest.text
    assert "1 message(s) en attente" in digest.text
    assert f"{BASE_URL}/moderation" in digest.text


def test_nothing_is_mailed_to_a_banned_reader(committed: Engine, mail_app: FastAPI) -> None:
    author = committed_user(committed)
    moderator = committed_user(committed, username="moderateur", role=Role.moderator)
    slug = committed_article(committed)
    with TestClient(mail_app):
        comment = react(mail_app, author, slug, "Un message.")
        with committed.begin() as conn:
            conn.execute(sa.update(USER).where(USER.c.id == author.id).values(status=UserStatus.banned))
        client, headers = api(mail_app, moderator)
        decided = client.post(
            f"/api/v1/moderation/comments/{comment}/decision",
            json={"action": "reject", "reason": "spam"},
            headers=headers,
        )
        assert decided.status_code == 200
        assert mail_state(committed, comment) == "skipped"
    assert outbox_for(committed, author) == []


def test_a_suspension_is_mailed_with_its_reason_its_end_and_how_to_contest(
    committed: Engine, mail_app: FastAPI, smtp: SmtpServer
) -> None:
    reader = committed_user(committed, username="impatient")
    moderator = committed_user(committed, username="arbitre", role=Role.moderator)
    until = (utcnow() + timedelta(days=7)).isoformat()
    with TestClient(mail_app):
        client, headers = api(mail_app, moderator)
        suspended = client.post(
            "/api/v1/moderation/users/impatient/sanction",
            json={"action": "suspend", "until": until, "reason": "Insultes répétées"},
            headers=headers,
        )
        assert suspended.status_code == 200, suspended.text
        (mail,) = smtp.inbox.to(reader.email)
        own, _headers = api(mail_app, reader)  # a suspended reader may sign in and read
        assert "Votre compte est suspendu : Insultes répétées" in own.get("/notifications").text
    assert mail.message["Subject"] == "Votre compte est suspendu"
    assert "Insultes répétées" in mail.text
    assert "contester" in mail.text

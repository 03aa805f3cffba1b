"""Statements of reasons by mail (issue 18), end to end over a real SMTP server: a banned reader, who
cannot sign in, gets the statement, contests it through the mailed link, and hears the outcome."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.models import Role, User, UserStatus
from tests.factories import login
from tests.mail.conftest import BASE_URL, SmtpServer, committed_user, scalar
from tests.mail.conftest import sa as _sa

USER = User.__table__  # type: ignore[attr-defined]


def test_a_banned_reader_is_mailed_the_statement_appeals_by_its_link_and_is_told_the_reversal(
    committed: Engine, mail_app: FastAPI, smtp: SmtpServer
) -> None:
    reader = committed_user(committed)
    first = committed_user(committed, username="modo_un", role=Role.moderator)
    second = committed_user(committed, username="modo_deux", role=Role.moderator)
    with TestClient(mail_app, base_url=BASE_URL, follow_redirects=False) as app_client:
        headers = {"X-CSRF-Token": login(app_client, first)}
        banned = app_client.post(
            f"/api/v1/moderation/users/{reader.username}/sanction",
            json={"action": "ban", "reason": "Messages haineux répétés", "ground": "3"},
            headers=headers,
        )
        assert banned.status_code == 200, banned.text
        (mail,) = smtp.inbox.to(reader.email)
        assert mail.message["Subject"] == "Votre compte est banni"
        assert "Messages haineux répétés" in mail.text
        link = mail.link("/statements/")
        visitor = TestClient(mail_app, base_url=BASE_URL, follow_redirects=False)
        page = visitor.get(link)
        assert page.status_code == 200
        assert "Règle n° 3" in page.text
        assert "Compte banni" in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        key = re.search(r'name="key" value="([^"]+)"', page.text)
        assert token
        assert key
        statement_id = link.split("/")[2].split("?")[0]
        filed = visitor.post(
            f"/statements/{statement_id}/appeal",
            data={
                "explanation": "Mon compte avait été piraté.",
                "key": key.group(1),
                "csrf_token": token.group(1),
            },
        )
        assert filed.status_code == 303, filed.text
        appeal = app_client.get("/api/v1/moderation/appeals", headers=headers).json()["items"][0]
        own = app_client.post(
            f"/api/v1/moderation/appeals/{appeal['id']}/decision",
            json={"outcome": "reversed", "reasons": "Je corrige"},
            headers=headers,
        )
        assert own.status_code == 403
        other = TestClient(mail_app, base_url=BASE_URL, follow_redirects=False)
        decided = other.post(
            f"/api/v1/moderation/appeals/{appeal['id']}/decision",
            json={"outcome": "reversed", "reasons": "Piratage établi."},
            headers={"X-CSRF-Token": login(other, second)},
        )
        assert decided.status_code == 200, decided.text
        assert scalar(committed, _sa.select(USER.c.status).where(USER.c.id == reader.id)) == UserStatus.active
        received = smtp.inbox.to(reader.email, count=3)  # the ban, the lift, the appeal's outcome
    (outcome,) = [m for m in received if m.message["Subject"] == "La décision sur votre recours"]
    assert "Piratage établi." in outcome.text
    assert "Votre recours est accepté" in outcome.text

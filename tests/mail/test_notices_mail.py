"""A notice end to end over a real SMTP server (issue 18): the acknowledgement, a dismissal with how to
contest, the notifier's appeal through the mailed link, and its outcome decided by a second moderator."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.models import Notice, Role
from tests.factories import login
from tests.mail.conftest import BASE_URL, SmtpServer, committed_user, sa, scalar
from tests.mail.test_notifications import react
from tests.mail.test_verification import committed_article

NOTICE = Notice.__table__  # type: ignore[attr-defined]


def test_a_dismissed_notice_is_contested_by_its_notifier_and_a_second_moderator_sends_it_back(
    committed: Engine, mail_app: FastAPI, smtp: SmtpServer
) -> None:
    author = committed_user(committed)
    first = committed_user(committed, username="modo_a", role=Role.moderator)
    second = committed_user(committed, username="modo_b", role=Role.moderator)
    slug = committed_article(committed)
    with TestClient(mail_app, base_url=BASE_URL, follow_redirects=False) as visitor:
        comment = react(mail_app, author, slug, "Mon voisin vole dans les magasins.")
        sent = visitor.post(
            "/api/v1/notices",
            json={
                "url": f"{BASE_URL}/comments/{comment}",
                "category": "defamation",
                "explanation": "Accusation publique sans preuve contre une personne reconnaissable.",
                "name": "Dominique",
                "email": "dominique@example.org",
                "good_faith": True,
            },
        )
        assert sent.status_code == 201, sent.text
        reference = sent.json()["reference"]
        (ack,) = smtp.inbox.to("dominique@example.org")
        assert ack.message["Subject"] == f"Signalement {reference} reçu"
        assert reference in ack.text
        notice_id = scalar(committed, sa.select(NOTICE.c.id).where(NOTICE.c.reference == reference))

        moderator = TestClient(mail_app, base_url=BASE_URL, follow_redirects=False)
        headers = {"X-CSRF-Token": login(moderator, first)}
        dismissed = moderator.post(
            f"/api/v1/moderation/notices/{notice_id}/decision",
            json={"action": "dismiss", "note": "Propos trop vagues pour être diffamatoires."},
            headers=headers,
        )
        assert dismissed.status_code == 200, dismissed.text
        decision = smtp.inbox.to("dominique@example.org", count=2)[-1]
        assert "Propos trop vagues" in decision.text
        assert "contester" in decision.text
        link = decision.link(f"/notices/{reference}")
        page = visitor.get(link)
        assert page.status_code == 200
        assert "signalement classé" in page.text
        key = re.search(r'name="key" value="([^"]+)"', page.text)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert key
        assert token
        appealed = visitor.post(
            f"/notices/{reference}/appeal",
            data={
                "key": key.group(1),
                "explanation": "Il me nomme, je suis reconnaissable.",
                "csrf_token": token.group(1),
            },
        )
        assert appealed.status_code == 303, appealed.text
        (appeal,) = moderator.get("/api/v1/moderation/appeals", headers=headers).json()["items"]
        assert appeal["may_decide"] is False
        other = TestClient(mail_app, base_url=BASE_URL, follow_redirects=False)
        reversed_ = other.post(
            f"/api/v1/moderation/appeals/{appeal['id']}/decision",
            json={"outcome": "reversed", "reasons": "La personne est identifiable : à réexaminer."},
            headers={"X-CSRF-Token": login(other, second)},
        )
        assert reversed_.status_code == 200, reversed_.text
        outcome = smtp.inbox.to("dominique@example.org", count=3)[-1]
        assert scalar(committed, sa.select(NOTICE.c.decided_at).where(NOTICE.c.id == notice_id)) is None
    assert "à réexaminer" in outcome.text
    assert "Votre recours est accepté" in outcome.text

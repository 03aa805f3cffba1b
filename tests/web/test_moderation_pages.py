from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from sqlmodel import Session

from app.models import CommentStatus, Role
from tests.conftest import ClientFor
from tests.factories import make_article, make_comment, make_user, page_csrf

PARIS = ZoneInfo("Europe/Paris")  # the default TRIBUNE_TIMEZONE


@pytest.mark.parametrize(
    "path", ["/moderation", "/moderation/pending", "/moderation/words", "/moderation/log"]
)
def test_moderation_pages_refuse_readers_and_send_visitors_to_login(
    client_for: ClientFor, session: Session, path: str
) -> None:
    anonymous = client_for(None).get(path)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    assert client_for(make_user(session)).get(path).status_code == 403
    assert client_for(make_user(session, role=Role.moderator)).get(path).status_code == 200


def test_moderation_api_is_401_for_visitors_and_403_for_readers(
    client_for: ClientFor, session: Session
) -> None:
    assert client_for(None).get("/api/v1/moderation/queues").status_code == 401
    assert client_for(make_user(session)).get("/api/v1/moderation/queues").status_code == 403
    counts = client_for(make_user(session, role=Role.moderator)).get("/api/v1/moderation/queues").json()
    assert set(counts) == {"pending", "reported", "rejected", "approved"}


def test_queue_card_shows_context_record_and_reports(client_for: ClientFor, session: Session) -> None:
    article = make_article(session, title="Un débat chaud")
    parent = make_comment(session, article=article, body="Le message parent")
    reported = make_comment(session, parent=parent, body="Réponse signalée")
    from app.models import Reason
    from app.services import moderation

    moderation.report(
        session, reporter=make_user(session), comment=reported, reason=Reason.spam, note="pub !"
    )
    html = client_for(make_user(session, role=Role.moderator)).get("/moderation/reported").text
    assert "Un débat chaud" in html
    assert "Le message parent" in html
    assert "Réponse signalée" in html
    assert "1 signalement" in html
    assert "Spam" in html
    assert "pub !" in html
    assert "Inscrit le" in html
    assert 'name="ids"' in html
    assert "/static/js/moderation.js" in html


def test_word_list_page_adds_and_removes_rules(client_for: ClientFor, session: Session) -> None:
    moderator = client_for(make_user(session, role=Role.moderator))
    token = page_csrf(moderator, "/moderation/words")
    assert (
        moderator.post(
            "/moderation/words", data={"phrase": "Idiot", "effect": "block", "csrf_token": token}
        ).status_code
        == 303
    )
    html = moderator.get("/moderation/words").text
    assert "Idiot" in html
    duplicate = moderator.post(
        "/moderation/words", data={"phrase": "idiot", "effect": "hold", "csrf_token": token}
    )
    assert duplicate.status_code == 409
    assert "déjà dans la liste" in duplicate.text


def test_report_form_without_reason_says_so(client_for: ClientFor, session: Session) -> None:
    comment = make_comment(session)
    reader = client_for(make_user(session))
    token = page_csrf(reader, f"/comments/{comment.id}/report")
    response = reader.post(f"/comments/{comment.id}/report", data={"reason": "", "csrf_token": token})
    assert response.status_code == 422
    assert "Choisissez la raison" in response.text


def test_suspension_form_on_the_reader_page(client_for: ClientFor, session: Session) -> None:
    reader = make_user(session, username="fauteur")
    moderator = client_for(make_user(session, role=Role.moderator))
    token = page_csrf(moderator, "/moderation/users/fauteur")
    response = moderator.post(
        "/moderation/users/fauteur/sanction",
        data={"action": "suspend", "duration": "24h", "reason": "insultes", "csrf_token": token},
    )
    assert response.status_code == 303
    session.refresh(reader)
    assert reader.status.value == "suspended"
    assert reader.suspended_until is not None
    # The log and the reader's page tell the end of the suspension as a date, not as ISO 8601.
    end = format_datetime(reader.suspended_until, "d MMM y 'à' HH:mm", tzinfo=PARIS, locale="fr")
    for page in ("/moderation/log", "/moderation/users/fauteur"):
        text = moderator.get(page).text
        assert f"insultes (jusqu’au {end})" in text
        assert reader.suspended_until.isoformat() not in text
    missing = moderator.post(
        "/moderation/users/fauteur/sanction", data={"action": "ban", "reason": "", "csrf_token": token}
    )
    assert missing.status_code == 422
    assert "raison" in missing.text


def test_a_suspension_until_a_day_ends_with_the_newsrooms_day(
    client_for: ClientFor, session: Session
) -> None:
    reader = make_user(session, username="jusqua")
    moderator = client_for(make_user(session, role=Role.moderator))
    token = page_csrf(moderator, "/moderation/users/jusqua")
    response = moderator.post(
        "/moderation/users/jusqua/sanction",
        data={
            "action": "suspend",
            "duration": "date",
            "until": "2031-07-14",
            "reason": "insultes",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    session.refresh(reader)
    # 23:59 in Paris (summer time, UTC+2), stored as UTC, shown as the moderator chose it.
    assert reader.suspended_until == datetime(2031, 7, 14, 21, 59, tzinfo=UTC)
    assert "insultes (jusqu’au 14 juil. 2031 à 23:59)" in moderator.get("/moderation/users/jusqua").text
    wrong = moderator.post(
        "/moderation/users/jusqua/sanction",
        data={
            "action": "suspend",
            "duration": "date",
            "until": "14/07/2031",
            "reason": "insultes",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 422
    assert "Date de fin invalide" in wrong.text


def test_end_to_end_hold_approve_report_hide_reject_and_log(client_for: ClientFor, session: Session) -> None:
    article = make_article(session, slug="bout-en-bout")
    newcomer = make_user(session, username="nouvelle", approved_count=0)
    moderator_user = make_user(session, role=Role.moderator, username="modo")
    target_author = make_user(session, username="auteur_vise")
    target = make_comment(session, article=article, author=target_author, body="Propos blessants")

    # A new reader posts: the comment is held, and only she sees it.
    writer = client_for(newcomer)
    token = page_csrf(writer, "/articles/bout-en-bout")
    writer.post(
        "/articles/bout-en-bout/comments",
        data={"body": "Mon premier avis", "stance": "for", "csrf_token": token},
    )
    assert "En attente de modération" in writer.get("/articles/bout-en-bout").text
    assert "Mon premier avis" not in client_for(None).get("/articles/bout-en-bout").text

    # The moderator approves it from the queue; it appears for everyone.
    moderator = client_for(moderator_user)
    queue = moderator.get("/moderation/pending").text
    assert "Mon premier avis" in queue
    held_id = int(queue.split('id="mod-card-')[1].split('"')[0])
    mtoken = page_csrf(moderator, "/moderation/pending")
    assert (
        moderator.post(
            f"/moderation/comments/{held_id}/decision", data={"action": "approve", "csrf_token": mtoken}
        ).status_code
        == 303
    )
    assert "Mon premier avis" in client_for(None).get("/articles/bout-en-bout").text

    # Three readers report another comment: it hides.
    for _ in range(3):
        reporter = client_for(make_user(session))
        rtoken = page_csrf(reporter, f"/comments/{target.id}/report")
        assert (
            reporter.post(
                f"/comments/{target.id}/report", data={"reason": "harassment", "csrf_token": rtoken}
            ).status_code
            == 303
        )
    assert "Propos blessants" not in client_for(None).get("/articles/bout-en-bout").text
    assert "Propos blessants" in moderator.get("/moderation/reported").text

    # The moderator rejects it with reason harassment; its author sees the reason.
    assert (
        moderator.post(
            f"/moderation/comments/{target.id}/decision",
            data={"action": "reject", "reason": "harassment", "csrf_token": mtoken},
        ).status_code
        == 303
    )
    session.refresh(target)
    assert target.status == CommentStatus.rejected
    author_view = client_for(target_author).get(f"/comments/{target.id}").text
    assert "Retiré par la modération : Harcèlement" in author_view
    public_view = client_for(None).get("/articles/bout-en-bout").text
    assert "Commentaire retiré par la modération" in public_view
    assert "Propos blessants" not in public_view

    # The log shows both decisions with their actor.
    log = moderator.get("/api/v1/moderation/log").json()["items"]
    assert [(e["actor"], e["action"], e["target"]["id"]) for e in log[:2]] == [
        ("modo", "reject", target.id),
        ("modo", "approve", held_id),
    ]
    assert "modo" in moderator.get("/moderation/log?actor=modo").text

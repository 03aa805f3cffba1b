"""Data rights: export everything stored about a reader, erase the account with tallies corrected."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.errors import PermissionDenied
from app.models import (
    AuthSession,
    Comment,
    CommentReport,
    CommentStatus,
    CommentVote,
    Notification,
    Reason,
    Stance,
    User,
)
from app.models.schemas import CommentUpdate
from app.services import articles, comments, moderation, privacy, votes
from app.services.accounts import start_session
from tests.factories import PASSWORD, login, make_article, make_comment, make_user, page_csrf


def active_reader(session: Session) -> tuple[User, dict[str, object]]:
    """A reader who has done one of everything."""
    article = make_article(session)
    reader = make_user(session)
    other = make_user(session)
    mine = make_comment(session, article=article, author=reader, body="Mon premier avis.")
    comments.edit_comment(session, user=reader, comment=mine, data=CommentUpdate(body="Mon avis corrigé."))
    theirs = make_comment(session, article=article, author=other)
    make_comment(session, parent=mine, author=other, body="Une réponse.")  # notifies the reader
    votes.set_vote(session, voter=reader, comment_id=theirs.id, value=1)
    votes.set_vote(session, voter=other, comment_id=mine.id, value=-1)
    articles.set_stance(session, user=reader, article=article, stance=Stance.against)
    moderation.report(session, reporter=reader, comment=theirs, reason=Reason.spam)
    start_session(session, user=reader, user_agent="Firefox de test")
    session.refresh(article)
    return reader, {"article": article, "mine": mine, "theirs": theirs, "other": other}


def test_the_export_holds_profile_comments_revisions_votes_stances_reports_and_notifications(
    session: Session,
) -> None:
    reader, things = active_reader(session)
    data = privacy.export_data(session, user=reader)
    assert data["profile"]["username"] == reader.username
    assert data["profile"]["email"] == reader.email
    assert "password_hash" not in data["profile"]
    [comment] = data["comments"]
    assert comment["body_markdown"] == "Mon avis corrigé."
    assert [r["body_markdown"] for r in comment["revisions"]] == ["Mon premier avis."]
    assert data["votes"] == [
        {"comment_id": things["theirs"].id, "value": 1, "created_at": data["votes"][0]["created_at"]}
    ]
    assert data["stance_votes"][0]["stance"] == "against"
    assert data["stance_votes"][0]["article"] == things["article"].slug
    assert data["reports"][0]["reason"] == "spam"
    assert [n["kind"] for n in data["notifications"]] == ["reply"]
    assert data["sessions"][0]["user_agent"] == "Firefox de test"


def test_the_export_holds_nothing_about_another_reader(session: Session) -> None:
    reader, things = active_reader(session)
    data = privacy.export_data(session, user=things["other"])
    assert reader.username not in str(data)
    assert "Mon avis corrigé." not in str(data)


def test_erasing_needs_the_password(session: Session) -> None:
    reader, _things = active_reader(session)
    with pytest.raises(PermissionDenied):
        privacy.erase_account(session, user=reader, password="not the password")
    assert session.get(User, reader.id) is not None


def test_erasing_withdraws_votes_and_corrects_the_tallies(session: Session) -> None:
    reader, things = active_reader(session)
    theirs, article = things["theirs"], things["article"]
    assert (theirs.upvotes, article.tally["against"]) == (1, 1)
    privacy.erase_account(session, user=reader, password=PASSWORD)
    session.refresh(theirs)
    session.refresh(article)
    assert theirs.upvotes == 0
    assert theirs.score_best == 0.0
    assert article.tally == {"for": 0, "against": 0, "nuanced": 0}
    assert session.exec(select(CommentVote).where(CommentVote.comment_id == theirs.id)).all() == []


def test_erasing_keeps_comments_as_from_a_deleted_account(session: Session) -> None:
    reader, things = active_reader(session)
    mine_id = things["mine"].id
    privacy.erase_account(session, user=reader, password=PASSWORD, comments=privacy.CommentFate.keep)
    kept = session.get(Comment, mine_id)
    assert kept is not None
    assert kept.author_id is None
    assert kept.body_markdown == "Mon avis corrigé."
    assert session.get(User, reader.id) is None


def test_erasing_can_remove_the_comments_leaving_placeholders_for_replies(session: Session) -> None:
    reader, things = active_reader(session)
    article = things["article"]
    lonely = make_comment(session, article=article, author=reader, body="Sans réponse.")
    session.refresh(article)
    count_before = article.comment_count
    privacy.erase_account(session, user=reader, password=PASSWORD, comments=privacy.CommentFate.remove)
    assert session.get(Comment, lonely.id) is None
    placeholder = session.get(Comment, things["mine"].id)
    assert placeholder is not None
    assert placeholder.status == CommentStatus.deleted
    assert placeholder.body_markdown == ""
    assert placeholder.author_id is None
    session.refresh(article)
    assert article.comment_count == count_before - 2


def test_erasing_ends_sessions_and_removes_reports_and_notifications(session: Session) -> None:
    reader, things = active_reader(session)
    reader_id = reader.id
    privacy.erase_account(session, user=reader, password=PASSWORD)
    assert session.exec(select(AuthSession).where(AuthSession.user_id == reader_id)).all() == []
    assert session.exec(select(Notification).where(Notification.user_id == reader_id)).all() == []
    assert session.exec(select(CommentReport).where(CommentReport.reporter_id == reader_id)).all() == []
    session.refresh(things["theirs"])
    assert things["theirs"].report_count == 0


def test_the_account_page_offers_password_export_and_erasure(client: TestClient, session: Session) -> None:
    login(client, make_user(session))
    html = client.get("/account").text
    assert 'action="/account/password"' in html
    assert 'href="/account/export"' in html
    assert 'action="/account/erase"' in html


def test_the_account_page_sends_anonymous_visitors_to_log_in(client: TestClient) -> None:
    response = client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_the_export_downloads_as_a_json_attachment(client: TestClient, session: Session) -> None:
    reader, _things = active_reader(session)
    login(client, reader)
    response = client.get("/account/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["comments"][0]["body_markdown"] == "Mon avis corrigé."


def test_the_api_export_answers_the_same_data(client: TestClient, session: Session) -> None:
    reader, _things = active_reader(session)
    login(client, reader)
    data = client.get("/api/v1/me/export").json()
    assert data["profile"]["username"] == reader.username
    assert set(data) >= {"profile", "comments", "votes", "stance_votes", "reports", "notifications"}


def test_the_api_erases_with_the_password_and_ends_the_session(client: TestClient, session: Session) -> None:
    reader, _things = active_reader(session)
    token = login(client, reader)
    wrong = client.request(
        "DELETE", "/api/v1/me", json={"password": "wrong password"}, headers={"X-CSRF-Token": token}
    )
    assert wrong.status_code == 403
    done = client.request(
        "DELETE", "/api/v1/me", json={"password": PASSWORD}, headers={"X-CSRF-Token": token}
    )
    assert done.status_code == 204
    assert client.get("/api/v1/auth/session").json()["user"] is None
    assert session.get(User, reader.id) is None


def test_the_erase_form_needs_the_confirmation(client: TestClient, session: Session) -> None:
    reader = make_user(session)
    login(client, reader)
    token = page_csrf(client, "/account")
    response = client.post("/account/erase", data={"password": PASSWORD, "csrf_token": token})
    assert response.status_code == 422
    assert session.get(User, reader.id) is not None


def test_the_erase_form_erases_and_signs_out(client: TestClient, session: Session) -> None:
    reader = make_user(session)
    login(client, reader)
    token = page_csrf(client, "/account")
    response = client.post(
        "/account/erase",
        data={"password": PASSWORD, "comments": "remove", "confirm": "yes", "csrf_token": token},
    )
    assert response.status_code == 200
    assert "tribune_session=" in response.headers["set-cookie"]
    assert session.get(User, reader.id) is None
    assert client.get("/account").status_code == 303


def test_a_kept_comment_shows_as_from_a_deleted_account(client: TestClient, session: Session) -> None:
    reader, things = active_reader(session)
    privacy.erase_account(session, user=reader, password=PASSWORD)
    html = client.get(f"/comments/{things['mine'].id}").text
    assert "compte supprimé" in html
    assert reader.username not in html


def test_the_privacy_page_says_what_is_kept_where_and_how_long(client: TestClient) -> None:
    html = client.get("/privacy").text
    assert "Vos données" in html
    assert "HMAC" in html
    assert "7 jours" in html or "7 jours sans visite" in html
    assert "30 jours" in html

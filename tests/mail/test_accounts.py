"""The mail side of the account: the CLI's password reset, the preferences form, the export and the
erasure of mail data."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.cli import cli
from app.db import make_engine
from app.models import AuthSession, CommentStatus, MailPreference, OutboxMessage, User
from app.security import verify_password
from app.services import privacy
from app.services.mail import MailConfig, flows
from app.services.rules import Rules
from tests.factories import PASSWORD, login, make_comment, make_user, page_csrf

CONFIG = MailConfig(base_url="http://testserver", mail_from="t@example.org", secret="test-secret")


def test_the_cli_resets_a_password_and_ends_the_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TRIBUNE_DATABASE_URL", url)
    monkeypatch.setenv("TRIBUNE_INSTANCE_PATH", str(tmp_path / "instance"))
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(
        cli, ["create-user", "oubli", "--email", "oubli@example.org"], env={"TRIBUNE_NEW_PASSWORD": PASSWORD}
    )
    assert created.exit_code == 0, created.output
    engine = make_engine(url)
    with Session(engine) as session:
        user = session.exec(select(User)).one()
        assert user.id is not None
        session.add(AuthSession(id="x" * 64, user_id=user.id))
        session.commit()
    result = runner.invoke(cli, ["reset-password", "oubli"], env={"TRIBUNE_NEW_PASSWORD": "une autre phrase"})
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        user = session.exec(select(User)).one()
        assert verify_password("une autre phrase", user.password_hash)[0]
        assert session.exec(select(AuthSession)).all() == []
    short = runner.invoke(cli, ["reset-password", "oubli"], env={"TRIBUNE_NEW_PASSWORD": "court"})
    assert short.exit_code == 2
    assert "8 à 256" in short.output
    unknown = runner.invoke(cli, ["reset-password", "personne"], env={"TRIBUNE_NEW_PASSWORD": PASSWORD})
    assert unknown.exit_code == 2
    engine.dispose()


def test_the_account_page_saves_mail_preferences(client: TestClient, session: Session) -> None:
    user = make_user(session)
    login(client, user)
    page = client.get("/account")
    assert 'name="reply" value="daily" checked' in page.text
    token = page_csrf(client, "/account")
    saved = client.post(
        "/account/mail", data={"reply": "immediate", "decision": "never", "csrf_token": token}
    )
    assert saved.status_code == 303
    session.refresh(user)
    assert (user.mail_reply, user.mail_decision) == (MailPreference.immediate, MailPreference.never)
    assert "Préférences de messages enregistrées." in client.get("/account?mail=prefs").text


def test_an_unknown_preference_is_refused_on_the_form(client: TestClient, session: Session) -> None:
    user = make_user(session)
    login(client, user)
    token = page_csrf(client, "/account")
    refused = client.post("/account/mail", data={"reply": "hourly", "csrf_token": token})
    assert refused.status_code == 422
    assert "Choix inconnu" in refused.text


def test_the_export_holds_the_mail_and_erasure_removes_it(session: Session) -> None:
    user = make_user(session, email_verified_at=None)
    flows.send_verification(session, CONFIG, user=user)
    exported = privacy.export_data(session, user=user)
    assert exported["mail"][0]["to"] == user.email
    assert exported["mail"][0]["kind"] == "verify"
    assert exported["profile"]["mail_preferences"]["reply"] == "daily"
    privacy.erase_account(session, user=user, password=PASSWORD)
    left = (
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(col(OutboxMessage.recipient) == user.email)
    )
    assert session.execute(left).scalar() == 0


def test_an_unverified_author_is_held_for_moderation(session: Session) -> None:
    author = make_user(session, email_verified_at=None)
    assert make_comment(session, author=author).status == CommentStatus.pending


def test_without_required_verification_an_unverified_author_publishes(session: Session) -> None:
    author = make_user(session, email_verified_at=None)
    comment = make_comment(session, author=author, rules=Rules(require_verified_email=False))
    assert comment.status == CommentStatus.published

"""The outbox's promises, against a real SMTP server: nothing lost while the server is down, nothing
lost (and the same Message-ID) when a sender dies between its claim and the send, each message once with
two sender processes, refused messages kept for an admin, and .eml files when there is no server."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import OutboxMessage, Role, utcnow
from app.services.mail import MailConfig
from app.services.mail.outbox import deliver_due, enqueue
from app.services.mail.transport import SmtpTransport
from tests.factories import login, page_csrf
from tests.mail.conftest import (
    BASE_URL,
    MailAppFor,
    SmtpServer,
    committed_user,
    free_port,
    rows,
    scalar,
    wait_until,
)

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
ROOT = Path(__file__).resolve().parents[2]
CONFIG = MailConfig(base_url=BASE_URL, mail_from="Tribune <tribune@example.org>", secret="test-secret")


def forgot(client: TestClient, email: str) -> None:
    token = page_csrf(client, "/password/forgot")
    assert client.post("/password/forgot", data={"email": email, "csrf_token": token}).status_code == 200


def queue(engine: Engine, n: int) -> list[str]:
    """n messages committed to the outbox, as a request would queue them; their Message-IDs."""
    with Session(engine) as session:
        ids = [
            enqueue(
                session,
                CONFIG,
                kind="test",
                to=f"lecteur{i}@example.org",
                template="verify",
                locale="fr",
                context={"user": {"username": f"lecteur{i}"}, "url": f"{BASE_URL}/verify/{i}"},
            )
            for i in range(n)
        ]
        session.commit()
    return ids


def status_of(engine: Engine) -> list[str]:
    return [r.status for r in rows(engine, sa.select(OUTBOX.c.status).order_by(OUTBOX.c.id))]


def environment(database_url: str, smtp_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TRIBUNE_DATABASE_URL": database_url,
        "TRIBUNE_SMTP_URL": smtp_url,
        "TRIBUNE_SECRET_KEY": "test-secret",
        "TRIBUNE_INSTANCE_PATH": str(tmp_path),
        "TRIBUNE_MAIL_FROM": "Tribune <tribune@example.org>",
    }


def test_mail_queued_while_the_smtp_server_is_down_is_delivered_once_it_is_back(
    committed: Engine, mail_app_for: MailAppFor
) -> None:
    user = committed_user(committed)
    server = SmtpServer(free_port())  # not started yet: connections are refused
    app = mail_app_for(server.url)
    try:
        with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
            forgot(client, user.email)
            wait_until(
                lambda: scalar(
                    committed,
                    sa.select(OUTBOX.c.id).where(OUTBOX.c.status == "pending", OUTBOX.c.attempts >= 2),
                ),
                what="two failed attempts",
            )
            assert "unreachable" in scalar(committed, sa.select(OUTBOX.c.last_error))
            server.start()
            (mail,) = server.inbox.to(user.email)
            wait_until(lambda: status_of(committed) == ["sent"], what="the message recorded as sent")
        assert len(server.inbox.received) == 1
        assert mail.message["Message-ID"] == scalar(committed, sa.select(OUTBOX.c.message_id))
    finally:
        server.stop()


def test_a_sender_killed_between_claim_and_send_leaves_the_message_to_go_out_with_the_same_id(
    committed: Engine, mail_app_for: MailAppFor, smtp: SmtpServer, database_url: str
) -> None:
    (message_id,) = queue(committed, 1)
    script = (
        "import sys\n"
        "from app.db import make_engine\n"
        "from app.services.mail import MailConfig\n"
        "from app.services.mail.outbox import claim\n"
        "config = MailConfig(base_url='http://testserver', mail_from='t@example.org', secret='x',"
        " lease_seconds=0.5)\n"
        f"print(len(claim(make_engine({database_url!r}), config)), flush=True)\n"
        "sys.stdin.read()  # dies here, between its claim and the send\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "1"
    finally:
        process.kill()
        process.wait()
    assert status_of(committed) == ["sending"]
    with TestClient(mail_app_for(smtp.url)):
        (mail,) = smtp.inbox.to("lecteur0@example.org")
        wait_until(lambda: status_of(committed) == ["sent"], what="the message recorded as sent")
    assert mail.message["Message-ID"] == message_id
    assert len(smtp.inbox.received) == 1
    assert scalar(committed, sa.select(OUTBOX.c.attempts)) == 2


def test_two_sender_processes_deliver_each_message_once(
    committed: Engine, smtp: SmtpServer, database_url: str, tmp_path: Path
) -> None:
    expected = queue(committed, 60)
    command = [sys.executable, "-m", "app.cli", "mail", "send"]
    env = environment(database_url, smtp.url, tmp_path)
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0]
    assert sum(int(out.split()[-1]) for out in outputs) == 60
    received = smtp.inbox.wait_for(lambda got: len(got) >= 60)
    ids = [r.message["Message-ID"] for r in received]
    assert sorted(ids) == sorted(expected)  # every message, none twice
    assert set(status_of(committed)) == {"sent"}


def test_a_refused_message_is_kept_dead_and_an_admin_can_send_it_again(
    committed: Engine, mail_app_for: MailAppFor, smtp: SmtpServer
) -> None:
    admin = committed_user(committed, username="administratrice", role=Role.admin)
    user = committed_user(committed)
    smtp.inbox.refused.add(user.email)
    app = mail_app_for(smtp.url)
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
        forgot(client, user.email)
        wait_until(lambda: status_of(committed) == ["dead"], what="the refused message to be dead")
        login(client, admin)
        page = client.get("/admin/mail")
        assert page.status_code == 200
        assert user.email in page.text
        assert "550" in page.text
        smtp.inbox.refused.clear()
        retried = client.post("/admin/mail/retry", data={"csrf_token": page_csrf(client, "/admin/mail")})
        assert retried.status_code == 303
        smtp.inbox.to(user.email)
        wait_until(lambda: status_of(committed) == ["sent"], what="the message recorded as sent")


def test_a_reader_cannot_see_the_undelivered_mail(committed: Engine, mail_app_for: MailAppFor) -> None:
    reader = committed_user(committed)
    with TestClient(mail_app_for(None), base_url=BASE_URL, follow_redirects=False) as client:
        login(client, reader)
        assert client.get("/admin/mail").status_code == 403


def test_without_an_smtp_server_messages_are_eml_files_and_their_links_are_logged(
    committed: Engine, mail_app_for: MailAppFor, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    user = committed_user(committed)
    caplog.set_level(logging.INFO, logger="tribune.mail")
    with TestClient(mail_app_for(None), base_url=BASE_URL, follow_redirects=False) as client:
        forgot(client, user.email)
        wait_until(lambda: status_of(committed) == ["sent"], what="the message written")
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    assert "Subject: Choisir un nouveau mot de passe" in eml.read_text()
    assert any(f"{BASE_URL}/password/reset/" in record.getMessage() for record in caplog.records)


def test_retries_back_off_doubling_then_the_message_is_dead(committed: Engine) -> None:
    config = MailConfig(
        base_url=BASE_URL, mail_from="t@example.org", secret="x", retry_seconds=60, max_attempts=3
    )
    down = SmtpTransport(f"smtp://127.0.0.1:{free_port()}", timeout=5)
    queue(committed, 1)
    now = utcnow()
    waits = []
    for _ in range(3):
        assert deliver_due(committed, config, down, now=now) == 0
        due = scalar(committed, sa.select(OUTBOX.c.next_attempt_at))
        waits.append(round((due - now).total_seconds()))
        assert deliver_due(committed, config, down, now=due - timedelta(seconds=1)) == 0  # not yet due
        now = due
    assert waits[:2] == [60, 120]
    assert status_of(committed) == ["dead"]
    assert scalar(committed, sa.select(OUTBOX.c.attempts)) == 3

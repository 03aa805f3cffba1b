"""Mail fixtures: a real SMTP server (aiosmtpd) on 127.0.0.1, and an app whose requests really commit,
so that its background sender, on its own connections, sees what they queued."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.models import User
from tests.factories import PASSWORD, make_user, page_csrf

BASE_URL = "http://testserver"
DEADLINE = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())

    def link(self, path_prefix: str) -> str:
        """The path of the first link in the text part that starts with path_prefix."""
        found = re.search(re.escape(BASE_URL + path_prefix) + r"\S*", self.text)
        assert found, self.text
        return found.group(0).removeprefix(BASE_URL)


class Inbox:
    """aiosmtpd's handler: what the server received, and a way to wait for it."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refused: set[str] = set()  # recipients answered 550, as a server refuses an unknown mailbox
        self._changed = threading.Condition()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self._changed:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
            self._changed.notify_all()
        return "250 OK"

    def wait_for(
        self, predicate: Callable[[list[Received]], bool], timeout: float = DEADLINE
    ) -> list[Received]:
        with self._changed:
            assert self._changed.wait_for(lambda: predicate(self.received), timeout), [
                (r.recipients, r.message["Subject"]) for r in self.received
            ]
            return list(self.received)

    def to(self, address: str, count: int = 1) -> list[Received]:
        """Wait for `count` messages to this address; return them."""
        found = self.wait_for(lambda got: sum(address in r.recipients for r in got) >= count)
        return [r for r in found if address in r.recipients]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


def wait_until(check: Callable[[], Any], timeout: float = DEADLINE, what: str = "condition") -> Any:
    """Poll a database condition until it holds (the SMTP side waits on the inbox's condition)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        pause.wait(0.02)


def mail_settings(database_url: str, instance: Path, smtp_url: str | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "test-secret",
        "instance_path": instance,
        "rate_limits": False,
        "smtp_url": smtp_url,
        "base_url": BASE_URL,
        "mail_from": "Tribune <tribune@example.org>",
        "mail_poll_seconds": 0.05,
        "mail_retry_seconds": 0.1,
        "mail_lease_seconds": 1.0,
    }
    values.update(overrides)
    return Settings(**values)


MailAppFor = Callable[..., FastAPI]


@pytest.fixture
def mail_app_for(committed: Engine, database_url: str, tmp_path: Path) -> Iterator[MailAppFor]:
    """create_app over the test database with real commits (emptied after the test by `committed`)."""
    made: list[FastAPI] = []

    def make(smtp_url: str | None, **overrides: Any) -> FastAPI:
        app = create_app(mail_settings(database_url, tmp_path, smtp_url, **overrides))
        made.append(app)
        return app

    yield make
    for app in made:
        app.state.engine.dispose()


@pytest.fixture
def mail_app(mail_app_for: MailAppFor, smtp: SmtpServer) -> FastAPI:
    return mail_app_for(smtp.url)


Browsers = Callable[..., TestClient]


@pytest.fixture
def browser(mail_app: FastAPI) -> Iterator[Browsers]:
    """A browser per person over the running app. One client runs the app's lifespan (and so its mail
    sender, as a served process does); the others only send requests."""
    with TestClient(mail_app, base_url=BASE_URL, follow_redirects=False):

        def make(user: User | None = None, password: str = PASSWORD) -> TestClient:
            c = TestClient(mail_app, base_url=BASE_URL, follow_redirects=False)
            if user is not None:
                sign_in(c, user.username, password)
            return c

        yield make


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = page_csrf(client, "/login")
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text


def committed_user(engine: Engine, **overrides: Any) -> User:
    """A user committed for real (the app's requests and its sender run on their own connections)."""
    with Session(engine, expire_on_commit=False) as session:
        user = make_user(session, **overrides)
        session.commit()
        return user


def scalar(engine: Engine, statement: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(statement).scalar()


def rows(engine: Engine, statement: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(statement).all())


__all__ = ["sa"]

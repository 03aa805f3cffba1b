"""Routes over the app's own request-scoped sessions (no test override): what a failed request renders
after its transaction has rolled back and its session has closed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.models import AuthSession, utcnow
from tests.factories import PASSWORD, make_comment, make_user, page_csrf


@pytest.fixture
def real_client(settings: Settings, committed: Engine) -> Iterator[tuple[TestClient, str, int]]:
    with Session(committed) as session:
        author = make_user(session, username="auteur_reel")
        comment = make_comment(session, author=author, body="Sur la vraie base")
        session.commit()
        ids = (author.username, comment.id)
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        token = page_csrf(client, "/login")
        assert (
            client.post(
                "/login", data={"username": ids[0], "password": PASSWORD, "csrf_token": token}
            ).status_code
            == 303
        )
        yield client, ids[0], ids[1]  # type: ignore[misc]
    app.state.engine.dispose()


def test_a_refused_form_renders_its_error_page_for_a_signed_in_reader(
    real_client: tuple[TestClient, str, int],
) -> None:
    client, username, comment_id = real_client
    response = client.post(f"/comments/{comment_id}/vote", data={"direction": "up", "csrf_token": "faux"})
    assert response.status_code == 403
    assert "Jeton de sécurité" in response.text
    assert username in response.text


def test_a_service_refusal_renders_its_error_page_for_a_signed_in_reader(
    real_client: tuple[TestClient, str, int],
) -> None:
    client, username, comment_id = real_client
    token = page_csrf(client, f"/comments/{comment_id}")
    response = client.post(f"/comments/{comment_id}/vote", data={"direction": "up", "csrf_token": token})
    assert response.status_code == 403
    assert "propre message" in response.text
    assert username in response.text


def test_reading_pages_keeps_a_session_alive_past_the_idle_limit(
    real_client: tuple[TestClient, str, int],
) -> None:
    """Idle expiry counts from the last visit: a page read after touch_every moves last_seen_at."""
    client, _username, _comment_id = real_client
    engine = client.app.state.engine  # type: ignore[attr-defined]
    long_ago = utcnow() - timedelta(days=6)
    with Session(engine) as session:
        session.execute(sa.update(AuthSession).values(last_seen_at=long_ago))
        session.commit()
    assert client.get("/").status_code == 200
    with Session(engine) as session:
        seen = session.execute(sa.select(AuthSession.last_seen_at)).scalars().all()
    assert seen
    assert all(s > utcnow() - timedelta(minutes=1) for s in seen)

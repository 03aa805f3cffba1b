"""The newsroom's time zone (TRIBUNE_TIMEZONE): every date a reader reads is in it, stored times and
<time datetime> stay UTC, and a zone the database does not know stops the start with its name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, select

from app import dates, i18n
from app.config import Settings
from app.main import create_app
from app.models import Role, User, UserStatus
from tests.conftest import ClientFor, run_in
from tests.factories import login, make_article, make_user, page_csrf


@pytest.fixture
def montreal(settings: Settings, session: Session) -> Iterator[FastAPI]:
    app = create_app(settings.model_copy(update={"timezone": "America/Montreal"}))
    run_in(app, session)
    yield app
    app.state.engine.dispose()  # the zone is put back by tests/conftest.py


def test_pages_show_dates_in_the_sites_time_zone(montreal: FastAPI, session: Session) -> None:
    make_article(session, slug="fuseau", published_at=datetime(2026, 3, 5, 14, 30, tzinfo=UTC))
    with TestClient(montreal) as client:
        english = client.get("/articles/fuseau", headers={"Accept-Language": "en"}).text
        french = client.get("/articles/fuseau", headers={"Accept-Language": "fr"}).text
    assert "5 Mar 2026, 09:30" in english  # 14:30 UTC is 09:30 in Montreal (UTC-5 in March)
    assert "5 mars 2026 à 09:30" in french
    assert 'datetime="2026-03-05T14:30:00+00:00"' in english  # the machine-readable time stays UTC


def test_summer_time_is_the_zones_own() -> None:
    winter, summer = datetime(2026, 1, 15, 12, 0, tzinfo=UTC), datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
    with i18n.in_language("fr"):
        assert dates.format_dt(winter) == "15 janv. 2026 à 13:00"  # Paris, UTC+1
        assert dates.format_dt(summer) == "15 juil. 2026 à 14:00"  # Paris, UTC+2


def test_an_unknown_time_zone_stops_the_start_with_its_name() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Europe/Pari'"):
        Settings(timezone="Europe/Pari")
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(timezone="../../etc/passwd")


def test_a_suspension_for_ever_reads_as_a_date_not_an_error(client_for: ClientFor, session: Session) -> None:
    # 9999-12-31T23:59:59Z, the API's "for ever", is past the last day Paris can tell: UTC says it.
    forever = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    make_user(session, username="pour_toujours", status=UserStatus.suspended, suspended_until=forever)
    article = make_article(session)
    moderator = client_for(make_user(session, role=Role.moderator))
    page = moderator.get("/moderation/users/pour_toujours")
    assert page.status_code == 200
    assert "31 déc. 9999 à 23:59" in page.text
    reader = client_for(session.exec(select(User).where(User.username == "pour_toujours")).one())
    assert reader.get(f"/articles/{article.slug}").status_code == 200


def test_the_last_day_west_of_utc_is_refused_with_a_reason(montreal: FastAPI, session: Session) -> None:
    make_user(session, username="jusqua_la_fin")
    moderator = make_user(session, role=Role.moderator)
    with TestClient(montreal, base_url="http://testserver", follow_redirects=False) as client:
        login(client, moderator)
        token = page_csrf(client, "/moderation/users/jusqua_la_fin")
        response = client.post(
            "/moderation/users/jusqua_la_fin/sanction",
            data={
                "action": "suspend",
                "duration": "date",
                "until": "9999-12-31",
                "reason": "x",
                "csrf_token": token,
            },
        )
    assert response.status_code == 422  # 23:59 in Montreal on that day is already year 10000 in UTC
    assert "Date de fin invalide" in response.text

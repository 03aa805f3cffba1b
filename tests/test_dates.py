"""The newsroom's time zone (TRIBUNE_TIMEZONE): every date a reader reads is in it, stored times and
<time datetime> stay UTC, and a zone the database does not know stops the start with its name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session

from app import dates, i18n
from app.config import Settings
from app.main import create_app
from tests.conftest import run_in
from tests.factories import make_article


@pytest.fixture
def montreal(settings: Settings, session: Session) -> Iterator[FastAPI]:
    app = create_app(settings.model_copy(update={"timezone": "America/Montreal"}))
    run_in(app, session)
    try:
        yield app
    finally:
        app.state.engine.dispose()
        dates.set_zone(dates.DEFAULT_ZONE)


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

"""Ids and cursors sent as text go through app.text.parse_number: digits of other scripts ("٣" would alias
3, "²" made int() raise) and numbers beyond an id's range get the route's designed answer, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import login, make_article, make_user


@pytest.mark.parametrize("cursor", ["²", "٣", "１２", "2147483648", ""])
def test_a_notification_cursor_that_is_no_number_is_a_400(
    client: TestClient, session: Session, cursor: str
) -> None:
    login(client, make_user(session))
    response = client.get("/api/v1/me/notifications", params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert response.json()["fields"] == {"cursor": "Curseur de pagination invalide."}
    assert response.json()["detail"]


@pytest.mark.parametrize("cursor", ["²", "٣", "2147483648"])
def test_an_article_list_cursor_that_is_no_number_is_a_400(client: TestClient, cursor: str) -> None:
    response = client.get("/api/v1/articles", params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error", "detail", "fields"}
    assert response.json()["fields"] == {"cursor": "Curseur de pagination invalide."}


def test_an_article_list_cursor_in_ascii_digits_pages(client: TestClient, session: Session) -> None:
    older, newer = make_article(session), make_article(session)
    response = client.get("/api/v1/articles", params={"cursor": str(newer.id)})
    assert response.status_code == 200
    slugs = [item["slug"] for item in response.json()["items"]]
    assert older.slug in slugs
    assert newer.slug not in slugs

"""A rule id, a cursor or a ticked box that is not an ASCII number answers a clean 4xx at both front
doors: "²" once made int() raise (a 500) and "٣" once named rule or comment 3."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import CommentStatus, Role, WordEffect, WordRule
from app.services import moderation
from tests.conftest import ClientFor
from tests.factories import login, make_article, make_comment, make_user, page_csrf

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _rule(session: Session) -> WordRule:
    moderator = make_user(session, role=Role.moderator)
    return moderation.add_word(session, actor=moderator, phrase="Crétin", effect=WordEffect.hold)


def _not_ids(rule_id: int | None) -> list[str]:
    return ["²", str(rule_id).translate(ARABIC_INDIC), "99999999999", "2147483648"]


def test_page_refuses_a_word_rule_id_that_is_not_ascii_digits(
    client_for: ClientFor, session: Session
) -> None:
    rule = _rule(session)
    moderator = client_for(make_user(session, role=Role.moderator))
    token = page_csrf(moderator, "/moderation/words")
    for text in _not_ids(rule.id):
        response = moderator.post(f"/moderation/words/{text}/delete", data={"csrf_token": token})
        assert response.status_code == 404, text
        assert "Règle introuvable." in response.text
    assert session.get(WordRule, rule.id) is not None


def test_api_refuses_a_word_rule_id_that_is_not_ascii_digits(client: TestClient, session: Session) -> None:
    rule = _rule(session)
    client.headers["X-CSRF-Token"] = login(client, make_user(session, role=Role.moderator))
    for text in _not_ids(rule.id):
        response = client.delete(f"/api/v1/moderation/words/{text}")
        assert response.status_code == 404, text
        assert response.json()["detail"] == "Règle introuvable."
    assert session.get(WordRule, rule.id) is not None


@pytest.mark.parametrize("cursor", ["²", "٣", "99999999999"])
def test_queue_and_log_refuse_a_cursor_that_is_not_ascii_digits(
    client: TestClient, client_for: ClientFor, session: Session, cursor: str
) -> None:
    moderator = make_user(session, role=Role.moderator)
    page = client_for(moderator)
    assert page.get("/moderation/pending", params={"cursor": cursor}).status_code == 400
    assert page.get("/moderation/log", params={"cursor": cursor}).status_code == 400
    login(client, moderator)
    for path in ("/api/v1/moderation/queues/pending", "/api/v1/moderation/log"):
        response = client.get(path, params={"cursor": cursor})
        assert response.status_code == 400, path
        assert response.json()["fields"] == {"cursor": "Curseur de pagination invalide."}


def test_bulk_decision_leaves_out_a_box_that_is_not_ascii_digits(
    client_for: ClientFor, session: Session
) -> None:
    held = make_comment(session, article=make_article(session, premoderation=True))
    moderator = client_for(make_user(session, role=Role.moderator))
    token = page_csrf(moderator, "/moderation/pending")
    response = moderator.post(
        "/moderation/decide",
        data={"ids": [str(held.id).translate(ARABIC_INDIC), "²"], "action": "approve", "csrf_token": token},
    )
    assert response.status_code == 422
    assert "Sélectionnez au moins un message." in response.text
    session.refresh(held)
    assert held.status == CommentStatus.pending

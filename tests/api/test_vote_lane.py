"""The vote's lane (api.comments.vote_lane) answers exactly as put_vote does: the same requests, in the
same database state, sent to an app with lanes and to one without, get the same status and body. The
lane answers the votes that pass every check itself and hands every other request to put_vote."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.deps import get_session, get_tx
from app.main import create_app
from app.models import Comment, CommentStatus, User, UserStatus, utcnow
from app.routing import RouteIndex
from app.services.sql import Tx
from tests.factories import login, make_article, make_comment, make_user


@pytest.fixture
def apps(settings: Settings, session: Session) -> Iterator[dict[bool, FastAPI]]:
    made = {}
    for lanes in (True, False):
        app = create_app(settings.model_copy(update={"fast_lanes": lanes}))
        app.dependency_overrides[get_session] = lambda: session
        app.dependency_overrides[get_tx] = lambda: Tx.over(session)
        made[lanes] = app
    yield made
    for app in made.values():
        app.state.engine.dispose()


def _answers(app: FastAPI, session: Session, cookie: str, token: str, ids: dict[str, int]) -> list[Any]:
    """Every kind of vote request, in order, and what came back."""
    signed = TestClient(app, base_url="http://testserver", cookies={"tribune_session": cookie})
    anonymous = TestClient(app, base_url="http://testserver")
    csrf = {"X-CSRF-Token": token}
    url = f"/api/v1/comments/{ids['open']}/vote"
    requests: list[tuple[TestClient, str, dict[str, Any]]] = [
        (signed, url, {"json": {"value": 1}, "headers": csrf}),
        (signed, url, {"json": {"value": 1}, "headers": csrf}),  # again: nothing changes
        (signed, url, {"json": {"value": -1}, "headers": csrf}),
        (signed, url, {"json": {"value": 0}, "headers": csrf}),
        (signed, url, {"json": {"value": 0}, "headers": csrf}),
        (signed, url, {"json": {"value": "1"}, "headers": csrf}),
        (signed, url, {"json": {"value": True}, "headers": csrf}),
        (signed, url, {"json": {"value": 7}, "headers": csrf}),
        (signed, url, {"json": {"value": 1, "extra": 2}, "headers": csrf}),
        (signed, url, {"json": [1], "headers": csrf}),
        (signed, url, {"content": b"{value: 1", "headers": {**csrf, "Content-Type": "application/json"}}),
        (signed, url, {"content": b'{"value": 1}', "headers": {**csrf, "Content-Type": "text/plain"}}),
        (signed, url, {"content": b"", "headers": {**csrf, "Content-Type": "application/json"}}),
        (signed, url, {"json": {"value": 1}}),  # no CSRF token
        (signed, url, {"json": {"value": 1}, "headers": {"X-CSRF-Token": "0" * 64}}),
        (signed, url, {"json": {"value": 1}, "headers": {**csrf, "Origin": "https://elsewhere.example"}}),
        (anonymous, url, {"json": {"value": 1}}),
        (signed, f"/api/v1/comments/{ids['own']}/vote", {"json": {"value": 1}, "headers": csrf}),
        (signed, f"/api/v1/comments/{ids['closed']}/vote", {"json": {"value": 1}, "headers": csrf}),
        (signed, f"/api/v1/comments/{ids['pending']}/vote", {"json": {"value": 1}, "headers": csrf}),
        (signed, "/api/v1/comments/999999/vote", {"json": {"value": 1}, "headers": csrf}),
        (signed, "/api/v1/comments/abc/vote", {"json": {"value": 1}, "headers": csrf}),
        (signed, "/api/v1/comments/99999999999999999999/vote", {"json": {"value": 1}, "headers": csrf}),
        (signed, url, {"json": {"value": -1}, "headers": csrf}),
    ]
    answers = []
    for client, path, kwargs in requests:
        response = client.put(path, **kwargs)
        answers.append((path.replace(f"/{ids['open']}/", "/OPEN/"), response.status_code, response.json()))
    voter = session.get(User, ids["voter"])
    assert voter is not None
    voter.status, voter.suspended_until = UserStatus.suspended, utcnow() + timedelta(days=1)
    session.flush()
    response = signed.put(url, json={"value": 1}, headers=csrf)
    answers.append(("suspended", response.status_code, response.json()["error"]))
    return answers


def test_the_lane_and_the_route_answer_every_vote_request_alike(
    apps: dict[bool, FastAPI], session: Session
) -> None:
    article = make_article(session)
    closed = make_article(session)
    voter = make_user(session)
    ids = {
        "open": make_comment(session, article=article).id,
        "own": make_comment(session, article=article, author=voter).id,
        "closed": make_comment(session, article=closed).id,
        "pending": make_comment(session, article=article).id,
        "voter": voter.id,
    }
    closed.comments_open = False
    pending = session.get(Comment, ids["pending"])
    assert pending is not None
    pending.status = CommentStatus.pending
    session.flush()
    with TestClient(apps[True], base_url="http://testserver") as client:
        token = login(client, voter)
        cookie = client.cookies["tribune_session"]
    results = {}
    for lanes in (False, True):
        savepoint = session.begin_nested()
        results[lanes] = _answers(apps[lanes], session, cookie, token, ids)
        savepoint.rollback()
        session.expire_all()
        assert session.get(User, voter.id).status == UserStatus.active  # type: ignore[union-attr]
    assert results[True] == results[False]
    statuses = [status for _path, status, _body in results[True]]
    assert statuses[:5] == [200, 200, 200, 200, 200]
    for _path, status, body in results[True][5:8]:  # "1", true and 7 are not votes
        assert status == 422
        assert body["fields"] == {"value": "Le vote vaut -1, 0 ou 1."}
    assert {401, 403, 404, 422} <= set(statuses)
    assert results[True][0][2] == {"upvotes": 1, "downvotes": 0, "my_vote": 1}
    index = apps[True].router.middleware_stack
    assert isinstance(index, RouteIndex)
    # The votes that passed were the lane's own; every refusal went to put_vote.
    assert index.lane_answers == statuses.count(200)
    assert apps[False].router.middleware_stack.lane_answers == 0  # type: ignore[attr-defined]

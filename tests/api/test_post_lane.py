"""The lane of posting (api.articles.post_lane) answers exactly as post_comment does: the same requests,
in the same database state, sent to an app with lanes and to one without, get the same answers,
abuse limits included (their counters live outside the transaction a lane rolls back)."""

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
from app.models import UserStatus, utcnow
from app.routing import RouteIndex
from app.services.sql import Tx
from tests.factories import login, make_article, make_comment, make_user

VOLATILE = {"id", "created_at", "permalink", "url"}


def _apps(settings: Settings, session: Session, **changes: Any) -> dict[bool, FastAPI]:
    made = {}
    for lanes in (True, False):
        app = create_app(settings.model_copy(update={"fast_lanes": lanes, **changes}))
        app.dependency_overrides[get_session] = lambda: session
        app.dependency_overrides[get_tx] = lambda: Tx.over(session)
        made[lanes] = app
    return made


@pytest.fixture
def apps(settings: Settings, session: Session) -> Iterator[dict[bool, FastAPI]]:
    made = _apps(settings, session)
    yield made
    for app in made.values():
        app.state.engine.dispose()


def _stable(payload: Any) -> Any:
    """An answer without what differs between two runs of the same request (ids, times)."""
    if isinstance(payload, dict):
        return {key: _stable(value) for key, value in payload.items() if key not in VOLATILE}
    if isinstance(payload, list):
        return [_stable(item) for item in payload]
    return payload


def _run(app: FastAPI, session: Session, who: dict[str, tuple[str, str]], ids: dict[str, Any]) -> list[Any]:
    def client(name: str | None) -> tuple[TestClient, dict[str, str]]:
        if name is None:
            return TestClient(app, base_url="http://testserver"), {}
        cookie, token = who[name]
        made = TestClient(app, base_url="http://testserver", cookies={"tribune_session": cookie})
        return made, {"X-CSRF-Token": token}

    url = f"/api/v1/articles/{ids['slug']}/comments"

    def sent(body: str, **fields: Any) -> dict[str, Any]:
        return {"json": {"body": body, **fields}}

    def raw(content: bytes, content_type: str) -> dict[str, Any]:
        return {"content": content, "headers": {"Content-Type": content_type}}

    parent, elsewhere = ids["parent"], ids["elsewhere"]
    cases: list[tuple[str | None, str, dict[str, Any]]] = [
        ("trusted", url, sent("Un **avis** avec un [lien](https://example.org).", stance="for")),
        ("trusted", url, sent("Une réponse.", parent_id=parent)),
        ("newcomer", url, sent("Mon premier avis.", stance="against")),  # held: 202
        ("trusted", url, sent("Sans position.")),
        ("trusted", url, sent("Réponse avec position.", parent_id=parent, stance="for")),
        ("trusted", url, sent("À personne.", parent_id=999999)),
        ("trusted", url, sent("Ailleurs.", parent_id=elsewhere)),
        ("trusted", url, sent("", stance="for")),
        ("trusted", url, sent("x" * 20000, stance="for")),
        ("trusted", url, sent("Position inconnue.", stance="peut-être")),
        ("trusted", url, raw(b"{pas du json", "application/json")),
        ("trusted", url, raw(b'{"body": "x", "stance": "for"}', "text/plain")),
        ("trusted", "/api/v1/articles/nulle-part/comments", sent("Où ?", stance="for")),
        ("trusted", f"/api/v1/articles/{ids['closed']}/comments", sent("Trop tard.", stance="for")),
        (None, url, sent("Anonyme.", stance="for")),
        (None, url, sent("", stance={})),  # the route's dependencies answer first: 401, not the body's 422
        ("trusted", url, sent("Position objet.", stance={})),
        ("suspended", url, sent("Suspendu.", stance="for")),
    ]
    answers = []
    for name, path, kwargs in cases:
        made, csrf = client(name)
        headers = {**csrf, **kwargs.pop("headers", {})}
        response = made.post(path, headers=headers, **kwargs)
        answers.append((name, path, response.status_code, _stable(response.json())))
    made, _csrf = client("trusted")
    no_token = made.post(url, json={"body": "Sans jeton.", "stance": "for"})
    answers.append(("no token", no_token.status_code, no_token.json()))
    return answers


def _people(apps: dict[bool, FastAPI], session: Session) -> dict[str, tuple[str, str]]:
    people = {
        "trusted": make_user(session),
        "newcomer": make_user(session, approved_count=0),
        "suspended": make_user(session),
    }
    who = {}
    with TestClient(apps[True], base_url="http://testserver") as client:
        for name, user in people.items():
            token = login(client, user)
            who[name] = (client.cookies["tribune_session"], token)
            client.cookies.clear()
    suspended = people["suspended"]
    suspended.status, suspended.suspended_until = UserStatus.suspended, utcnow() + timedelta(days=1)
    session.flush()
    return who


def _ids(session: Session) -> dict[str, Any]:
    article = make_article(session)
    closed = make_article(session)
    ids = {
        "slug": article.slug,
        "closed": closed.slug,
        "parent": make_comment(session, article=article).id,
        "elsewhere": make_comment(session, article=closed).id,
    }
    closed.comments_open = False
    session.flush()
    return ids


def _compare(apps: dict[bool, FastAPI], session: Session) -> dict[bool, list[Any]]:
    who = _people(apps, session)
    ids = _ids(session)
    results = {}
    for lanes in (False, True):
        savepoint = session.begin_nested()
        results[lanes] = _run(apps[lanes], session, who, ids)
        savepoint.rollback()
        session.expire_all()
    return results


def test_the_lane_and_the_route_answer_every_post_alike(apps: dict[bool, FastAPI], session: Session) -> None:
    results = _compare(apps, session)
    assert results[True] == results[False]
    statuses = [answer[-2] for answer in results[True]]
    assert statuses[:3] == [201, 201, 202]
    assert {401, 403, 404, 422} <= set(statuses)
    index = apps[True].router.middleware_stack
    assert isinstance(index, RouteIndex)
    assert (
        index.lane_answers == 3
    )  # the posts that were stored; the rest went to post_comment or were refused


def test_with_abuse_limits_the_lane_counts_a_post_once(settings: Settings, session: Session) -> None:
    apps = _apps(settings, session, rate_limits=True, comment_interval_seconds=0)
    try:
        who = _people(apps, session)
        ids = _ids(session)
        body = {"body": "Le même message, deux fois.", "stance": "for"}
        results = {}
        for lanes in (False, True):
            savepoint = session.begin_nested()
            cookie, token = who["trusted"]
            client = TestClient(
                apps[lanes], base_url="http://testserver", cookies={"tribune_session": cookie}
            )
            url = f"/api/v1/articles/{ids['slug']}/comments"
            answers = [client.post(url, json=body, headers={"X-CSRF-Token": token}) for _ in range(2)]
            results[lanes] = [(a.status_code, _stable(a.json())) for a in answers]
            savepoint.rollback()
            session.expire_all()
        assert results[True] == results[False]
        assert [status for status, _body in results[True]] == [201, 409]  # the repeat, not "too fast"
    finally:
        for app in apps.values():
            app.state.engine.dispose()

"""Role checks on every staff route, generated from the app's route table: a new moderator, editor or
admin route without a guard fails here."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.models import Role, WordEffect, WordRule
from tests.factories import login, make_article, make_comment, make_user, page_csrf

# Endpoints of API.md that belong to editors although their path does not say so.
API_EDITOR_ENDPOINTS = {
    ("PUT", "/api/v1/comments/{comment_id}/feature"),
    ("DELETE", "/api/v1/comments/{comment_id}/feature"),
    ("POST", "/api/v1/articles"),
    ("PATCH", "/api/v1/articles/{slug}"),
}
STAFF_MODULES = {
    "app.web.moderation": Role.moderator,
    "app.api.moderation": Role.moderator,
    "app.web.editor": Role.editor,
    "app.api.editor": Role.editor,
}


@dataclass(frozen=True)
class StaffRoute:
    method: str
    path: str
    role: Role

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.role.value})"


def required_role(method: str, path: str, module: str) -> Role | None:
    if path.startswith(("/admin", "/api/v1/admin")):
        return Role.admin
    if path.startswith(("/editor", "/api/v1/editor")) or (method, path) in API_EDITOR_ENDPOINTS:
        return Role.editor
    if path.startswith(("/moderation", "/api/v1/moderation")):
        return Role.moderator
    return STAFF_MODULES.get(module)


def staff_routes() -> list[StaffRoute]:
    app = create_app(Settings(database_url="sqlite://", secret_key="x"))
    found = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        methods = getattr(route, "methods", None) or set()
        endpoint = getattr(route, "endpoint", None)
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            role = required_role(method, ctx.path or "", getattr(endpoint, "__module__", ""))
            if role is not None:
                found.append(StaffRoute(method, ctx.path or "", role))
    return found


STAFF_ROUTES = staff_routes()
PARAMS = [pytest.param(r, id=str(r)) for r in STAFF_ROUTES]


def test_the_route_table_has_staff_routes_of_every_level() -> None:
    levels = {r.role for r in STAFF_ROUTES}
    assert levels == {Role.moderator, Role.editor, Role.admin}
    assert any(r.is_api for r in STAFF_ROUTES)
    assert any(not r.is_api for r in STAFF_ROUTES)


class World:
    def __init__(self, session: Session) -> None:
        self.article = make_article(session)
        self.target = make_user(session)
        self.comment = make_comment(session, article=self.article, author=self.target)
        rule = WordRule(phrase="mot interdit", phrase_key="mot interdit", effect=WordEffect.hold)
        session.add(rule)
        session.flush()
        self.values = {
            "slug": self.article.slug,
            "comment_id": str(self.comment.id),
            "username": self.target.username,
            "queue": "pending",
            "rule_id": str(rule.id),
        }

    def url(self, path: str) -> str:
        return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: self.values.get(m.group(1), "1"), path)


@pytest.fixture
def world(session: Session) -> World:
    return World(session)


def call(client: TestClient, route: StaffRoute, world: World, token: str | None) -> object:
    headers = {"X-CSRF-Token": token} if token else {}
    kwargs: dict[str, object] = {"headers": headers}
    if route.method in ("POST", "PUT", "PATCH", "DELETE") and route.is_api:
        kwargs["json"] = {}
    return client.request(route.method, world.url(route.path), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("route", PARAMS)
def test_anonymous_visitors_are_refused_every_staff_route(
    client: TestClient, world: World, route: StaffRoute
) -> None:
    # A valid anonymous CSRF token, so that only the role guard can refuse.
    token = None if route.is_api else page_csrf(client, "/login")
    response = call(client, route, world, token)
    if route.is_api:
        assert response.status_code == 401  # type: ignore[attr-defined]
    else:
        assert response.status_code == 303  # type: ignore[attr-defined]
        assert response.headers["location"].startswith("/login")  # type: ignore[attr-defined]


@pytest.mark.parametrize("route", PARAMS)
def test_a_plain_reader_is_refused_every_staff_route(
    client: TestClient, session: Session, world: World, route: StaffRoute
) -> None:
    token = login(client, make_user(session))
    response = call(client, route, world, token)
    assert response.status_code == 403  # type: ignore[attr-defined]


@pytest.mark.parametrize("route", [p for p in PARAMS if p.values[0].role is not Role.moderator])
def test_a_moderator_is_refused_editor_and_admin_routes(
    client: TestClient, session: Session, world: World, route: StaffRoute
) -> None:
    token = login(client, make_user(session, role=Role.moderator))
    response = call(client, route, world, token)
    assert response.status_code == 403  # type: ignore[attr-defined]


@pytest.mark.parametrize("route", [p for p in PARAMS if p.values[0].role is Role.admin])
def test_an_editor_is_refused_admin_routes(
    client: TestClient, session: Session, world: World, route: StaffRoute
) -> None:
    token = login(client, make_user(session, role=Role.editor))
    response = call(client, route, world, token)
    assert response.status_code == 403  # type: ignore[attr-defined]


@pytest.mark.parametrize("route", [p for p in PARAMS if p.values[0].method == "GET"])
def test_the_right_role_gets_through_every_staff_page(
    client: TestClient, session: Session, world: World, route: StaffRoute
) -> None:
    # The control: the guard refuses by role, not everyone.
    token = login(client, make_user(session, role=route.role))
    response = call(client, route, world, token)
    assert response.status_code == 200  # type: ignore[attr-defined]


def test_a_suspended_reader_gets_403_on_writes(client: TestClient, session: Session) -> None:
    from datetime import timedelta

    from app.models import UserStatus, utcnow

    reader = make_user(session, status=UserStatus.suspended, suspended_until=utcnow() + timedelta(days=1))
    article = make_article(session)
    token = login(client, reader)
    response = client.post(
        f"/api/v1/articles/{article.slug}/comments",
        json={"body": "Je suis suspendu.", "stance": "for"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 403

"""app.routing: the flat route table and its index answer exactly as FastAPI's own routing would."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Match

from app.config import Settings
from app.main import create_app
from app.routing import RouteIndex, include_flat


def _app() -> FastAPI:
    return create_app(Settings(database_url="sqlite://", secret_key="x"))


def _scope(method: str, path: str) -> dict[str, object]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }


def _walk(routes: list[BaseRoute], scope: dict[str, object]) -> BaseRoute | None:
    """The router's own choice: the first full match in table order, else the first partial one."""
    partial = None
    for route in routes:
        match, _child = route.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


def _indexed(index: RouteIndex, scope: dict[str, object]) -> BaseRoute | None:
    return _walk([route for _position, route in index.candidates(str(scope["path"]))], scope)


def _sample_paths(route: BaseRoute) -> list[str]:
    path = getattr(route, "path", "")
    filled = re.sub(r"\{[^}:]+(:path)?\}", lambda m: "a/b" if m.group(1) else "42", path)
    return [filled or "/", filled.rstrip("/") + "/x", "/static/css/site.css"]


def test_the_index_picks_the_route_the_router_would_for_every_route_and_method() -> None:
    app = _app()
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    routes = app.router.routes
    tried = 0
    for route in routes:
        for path in _sample_paths(route):
            for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
                scope = _scope(method, path)
                assert _indexed(index, scope) is _walk(routes, scope), (method, path)
                tried += 1
    for path in ("/", "/nothing", "/api/v1/nothing", "/api", "/api/v1/comments/x/y/z", "//", "/static"):
        scope = _scope("GET", path)
        assert _indexed(index, scope) is _walk(routes, scope), path
    assert tried > 1000


def test_unknown_addresses_wrong_methods_and_trailing_slashes_answer_as_before() -> None:
    with TestClient(_app()) as client:
        missing = client.get("/api/v1/nothing")
        assert missing.status_code == 404
        assert missing.json()["error"]
        assert client.get("/no-such-page").status_code == 404
        wrong = client.delete("/api/v1/articles/x/thread")
        assert wrong.status_code == 405
        assert "GET" in wrong.headers["allow"]
        assert client.get("/static/htmx.min.js").status_code in (200, 404)  # the mount is reached


def test_routes_added_after_startup_are_found() -> None:
    app = _app()
    with TestClient(app) as client:
        assert client.get("/late").status_code == 404

        async def late() -> dict[str, str]:
            return {"late": "yes"}

        app.router.add_api_route("/late", late)
        assert client.get("/late").json() == {"late": "yes"}


def test_include_flat_gives_the_same_openapi_as_include_router() -> None:
    def build(flat: bool) -> FastAPI:
        async def guard(request: Request) -> None:
            return None

        inner = APIRouter(prefix="/items", tags=["items"], dependencies=[Depends(guard)], responses={418: {}})

        @inner.get("/{item_id}", summary="An item")
        async def item(item_id: int) -> dict[str, int]:
            return {"id": item_id}

        @inner.post("", status_code=201, include_in_schema=True)
        async def create(name: str) -> dict[str, str]:
            return {"name": name}

        outer = APIRouter(prefix="/api", dependencies=[Depends(guard)], responses={409: {}})
        app = FastAPI()
        if flat:
            include_flat(outer, inner)
            include_flat(app.router, outer)
        else:
            outer.include_router(inner)
            app.include_router(outer)
        return app

    assert build(flat=True).openapi() == build(flat=False).openapi()
    with TestClient(build(flat=True)) as client:
        assert client.get("/api/items/3").json() == {"id": 3}


def test_include_flat_refuses_what_it_cannot_copy() -> None:
    source = APIRouter()
    source.include_router(APIRouter())
    try:
        include_flat(APIRouter(), source)
    except TypeError:
        pass
    else:
        raise AssertionError("a nested router was copied")

"""Routes in one flat table, dispatched through an index of their literal path segments.

FastAPI 0.165 keeps included routers nested and, for every request, walks them route by route,
matching each level twice: about 2.8 us a route, so a vote paid some 0.2 ms to be routed and an
unknown address 1 ms (all 186 routes, twice over for the trailing-slash redirect). Two changes,
both on public API:

- include_flat re-adds each route of an included router to the including one, with the prefixes,
  dependencies, tags and responses of the routers above it (what include_router did before FastAPI
  nested them): one flat table, the same OpenAPI document.
- RouteIndex answers for the router: a route can only match a path that begins with its literal
  segments ("/api/v1/comments/{comment_id}/vote" only a path under /api/v1/comments/), so a request
  tries only the routes filed under its first segments, in table order. It picks the route the
  router's own walk would pick; whatever it does not find (redirects, 404s) goes to that walk.
"""

from __future__ import annotations

from fastapi.routing import APIRoute, APIRouter
from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import Receive, Scope, Send

# The attributes of an APIRoute that add_api_route takes as they are (the rest are combined below).
_AS_IS = (
    "response_model",
    "status_code",
    "summary",
    "description",
    "response_description",
    "methods",
    "operation_id",
    "response_model_include",
    "response_model_exclude",
    "response_model_by_alias",
    "response_model_exclude_unset",
    "response_model_exclude_defaults",
    "response_model_exclude_none",
    "name",
    "openapi_extra",
    "generate_unique_id_function",
    "callbacks",
)


def include_flat(target: APIRouter, source: APIRouter) -> None:
    """Add source's routes to target, as target.include_router would, but flat."""
    for route in source.routes:
        if isinstance(route, APIRoute):
            target.add_api_route(
                route.path,
                route.endpoint,
                tags=list(route.tags),
                dependencies=list(route.dependencies),
                responses=dict(route.responses),
                deprecated=route.deprecated,
                include_in_schema=route.include_in_schema,
                response_class=route.response_class,
                route_class_override=type(route),
                **{name: getattr(route, name) for name in _AS_IS},
            )
        elif type(route) is Route:
            target.add_route(
                target.prefix + route.path,
                route.endpoint,
                methods=list(route.methods or ()),
                name=route.name,
                include_in_schema=route.include_in_schema and target.include_in_schema,
            )
        else:
            raise TypeError(f"include_flat cannot copy {route!r}: include it where it is defined")


def _literal_segments(route: BaseRoute) -> tuple[str, ...]:
    """The path segments a route's matches always begin with: those before its first parameter."""
    if isinstance(route, Route):
        path = route.path
    elif isinstance(route, Mount):
        path = route.path + "/"  # a mount matches its prefix and anything under it
    else:
        return ()  # a kind of route we do not know: tried for every path
    literal: list[str] = []
    for segment in path.split("/")[1:]:
        if "{" in segment:
            break
        literal.append(segment)
    if isinstance(route, Mount):
        literal = literal[:-1]  # the empty segment after the mount's slash may be anything
    return tuple(literal)


class _Node:
    __slots__ = ("children", "routes")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.routes: list[tuple[int, BaseRoute]] = []  # (position in the table, route) of this node and above


class RouteIndex:
    """The router's entry point (router.middleware_stack): the same answers, found by index."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.fallback = router.middleware_stack
        self._built_for: list[BaseRoute] | None = None
        self._built_count = -1
        self._root = _Node()

    def _build(self) -> None:
        routes = self.router.routes
        root = _Node()
        for position, route in enumerate(routes):
            node = root
            for segment in _literal_segments(route):
                node = node.children.setdefault(segment, _Node())
            node.routes.append((position, route))
        _inherit(root, [])
        self._root = root
        self._built_for = routes
        self._built_count = len(routes)

    def candidates(self, path: str) -> list[tuple[int, BaseRoute]]:
        routes = self.router.routes
        if routes is not self._built_for or len(routes) != self._built_count:
            self._build()  # routes added after startup (a test's, say): file them too
        node = self._root
        for segment in path.split("/")[1:]:
            child = node.children.get(segment)
            if child is None:
                break
            node = child
        return node.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.fallback(scope, receive, send)
            return
        path = get_route_path(scope)
        allowed: set[str] = set()
        for _position, route in self.candidates(path):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                await self._handle(route, child_scope, scope, receive, send)
                return
            if match is Match.PARTIAL:
                allowed |= getattr(route, "methods", None) or set()
        if allowed:
            # The path matches, not the method: a 405 naming every method of the path, which may be
            # served by several routes (GET and PATCH and DELETE /api/v1/comments/{id}); a route
            # left to itself would name only its own.
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})
        if self._redirects(scope, path) or getattr(self.router, "_low_priority_routes", None):
            await self.fallback(scope, receive, send)  # the router's walk finds the redirect
            return
        await self.router.default(scope, receive, send)  # nothing matches: the 404

    def route_of(self, scope: Scope) -> tuple[str, str] | None:
        """(method, route template) of the route that will answer this request, if one matches it
        fully: what the size limit of its body depends on (middleware.BODY_LIMITS)."""
        if scope["type"] != "http":
            return None
        for _position, route in self.candidates(get_route_path(scope)):
            if isinstance(route, Route) and route.matches(scope)[0] is Match.FULL:
                return scope["method"], route.path
        return None

    def _redirects(self, scope: Scope, path: str) -> bool:
        """Would the router answer with a redirect to the path with (or without) a trailing slash?"""
        if not self.router.redirect_slashes or path == "/":
            return False
        other = path.rstrip("/") if path.endswith("/") else path + "/"
        other_scope = {
            **scope,
            "path": scope["path"].rstrip("/") if path.endswith("/") else scope["path"] + "/",
        }
        return any(route.matches(other_scope)[0] is not Match.NONE for _p, route in self.candidates(other))

    async def _handle(
        self,
        route: BaseRoute,
        child_scope: Scope,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        # What the router does with the route it picks (less FastAPI's OpenTelemetry route name,
        # which is not configured here; the access log and metrics take tribune.route).
        scope.setdefault("router", self.router)
        scope.update(child_scope)
        if isinstance(route, Route):
            scope["tribune.route"] = route.path_format
        await route.handle(scope, receive, send)


def _inherit(node: _Node, above: list[tuple[int, BaseRoute]]) -> None:
    """Give each node the routes filed above it too, in table order."""
    node.routes = sorted([*above, *node.routes], key=lambda entry: entry[0])
    for child in node.children.values():
        _inherit(child, node.routes)


def install(router: APIRouter) -> RouteIndex:
    index = RouteIndex(router)
    router.middleware_stack = index
    return index

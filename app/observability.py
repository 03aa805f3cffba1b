"""Operations: request ids, JSON logs, and Prometheus metrics at /metrics (loopback or a token only).

Everything on the hot path is a dict update and a bisect in the event loop's thread; the
exposition text is built only when /metrics is scraped. Metrics are per process: with
`tribune serve --workers N`, each worker counts its own requests (the `pid` label tells them apart).
"""

from __future__ import annotations

import gc
import hmac
import ipaddress
import logging
import os
import re
import time
import uuid
from bisect import bisect_left
from collections import defaultdict
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.services.ratelimit import Network, client_address, parse_networks

REQUEST_ID_HEADER = b"x-request-id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
request_id_var: ContextVar[str | None] = ContextVar("tribune_request_id", default=None)
access_log = logging.getLogger("tribune.access")

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Writes worth counting on their own, by (method, route template); a status below 400 means done.
COMMENT_ROUTES = frozenset(
    {("POST", "/api/v1/articles/{slug}/comments"), ("POST", "/articles/{slug}/comments")}
)
VOTE_ROUTES = frozenset(
    {("PUT", "/api/v1/comments/{comment_id}/vote"), ("POST", "/comments/{comment_id}/vote")}
)


class GcPauses:
    """How long the cyclic garbage collector stopped this process, by generation (gc.callbacks: a
    clock read at the start and the end of each collection). Installed by serving processes only."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.longest = [0.0, 0.0, 0.0]
        self._started = 0.0
        self.installed = False

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = info["generation"]
        pause = time.perf_counter() - self._started
        self.collections[generation] += 1
        self.seconds[generation] += pause
        if pause > self.longest[generation]:
            self.longest[generation] = pause

    def install(self) -> None:
        if not self.installed:
            gc.callbacks.append(self)
            self.installed = True

    def exposition(self, pid: int) -> list[str]:
        if not self.installed:
            return []
        out: list[str] = []
        for name, kind, help_text, values in (
            ("collections_total", "counter", "Cyclic garbage collections", self.collections),
            ("pause_seconds_total", "counter", "Time the collector stopped the process", self.seconds),
            ("pause_longest_seconds", "gauge", "The longest single collection", self.longest),
        ):
            out += [
                f"# HELP tribune_gc_{name} {help_text}, by generation.",
                f"# TYPE tribune_gc_{name} {kind}",
            ]
            for g, value in enumerate(values):
                shown = value if isinstance(value, int) else f"{value:.6f}"
                out.append(f'tribune_gc_{name}{{generation="{g}",pid="{pid}"}} {shown}')
        return out


GC_PAUSES = GcPauses()


class Metrics:
    def __init__(self) -> None:
        self.requests: defaultdict[tuple[str, str, int], int] = defaultdict(int)
        self.latency: dict[tuple[str, str], list[float]] = {}
        self.comments_posted = 0
        self.votes = 0

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests[(method, route, status)] += 1
        series = self.latency.get((method, route))
        if series is None:
            # len(BUCKETS) bucket counts, then +Inf, then the sum.
            series = self.latency[(method, route)] = [0.0] * (len(BUCKETS) + 2)
        series[bisect_left(BUCKETS, seconds)] += 1
        series[-1] += seconds
        if status < 400:
            if (method, route) in COMMENT_ROUTES:
                self.comments_posted += 1
            elif (method, route) in VOTE_ROUTES:
                self.votes += 1

    def exposition(self, *, queues: dict[str, int], cache: Any = None) -> str:
        pid = os.getpid()
        out: list[str] = [
            "# HELP tribune_http_requests_total HTTP requests answered, by route template and status.",
            "# TYPE tribune_http_requests_total counter",
        ]
        for (method, route, status), count in sorted(self.requests.items()):
            out.append(
                f'tribune_http_requests_total{{method="{method}",route="{_esc(route)}",status="{status}",'
                f'pid="{pid}"}} {count}'
            )
        out += [
            "# HELP tribune_http_request_duration_seconds Time to answer, by route template.",
            "# TYPE tribune_http_request_duration_seconds histogram",
        ]
        for (method, route), series in sorted(self.latency.items()):
            labels = f'method="{method}",route="{_esc(route)}",pid="{pid}"'
            running = 0.0
            for bound, count in zip((*BUCKETS, float("inf")), series[:-1], strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                out.append(
                    f'tribune_http_request_duration_seconds_bucket{{{labels},le="{le}"}} {int(running)}'
                )
            out.append(f"tribune_http_request_duration_seconds_sum{{{labels}}} {series[-1]:.6f}")
            out.append(f"tribune_http_request_duration_seconds_count{{{labels}}} {int(running)}")
        out += [
            "# HELP tribune_comments_posted_total Comments and replies accepted (published or held).",
            "# TYPE tribune_comments_posted_total counter",
            f'tribune_comments_posted_total{{pid="{pid}"}} {self.comments_posted}',
            "# HELP tribune_votes_total Votes set, changed or withdrawn.",
            "# TYPE tribune_votes_total counter",
            f'tribune_votes_total{{pid="{pid}"}} {self.votes}',
            "# HELP tribune_moderation_queue_size Comments waiting in each moderation queue.",
            "# TYPE tribune_moderation_queue_size gauge",
        ]
        for queue, size in sorted(queues.items()):
            out.append(f'tribune_moderation_queue_size{{queue="{queue}"}} {size}')
        if cache is not None:
            out += [
                "# HELP tribune_render_cache_requests_total Shared renderings (pages, anonymous API bodies) "
                "found in the cache or built.",
                "# TYPE tribune_render_cache_requests_total counter",
                f'tribune_render_cache_requests_total{{result="hit",pid="{pid}"}} {cache.hits}',
                f'tribune_render_cache_requests_total{{result="miss",pid="{pid}"}} {cache.misses}',
            ]
        out += GC_PAUSES.exposition(pid)
        rss = resident_bytes()
        if rss:
            out += [
                "# HELP tribune_process_resident_memory_bytes Resident memory of this process.",
                "# TYPE tribune_process_resident_memory_bytes gauge",
                f'tribune_process_resident_memory_bytes{{pid="{pid}"}} {rss}',
            ]
        return "\n".join(out) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def resident_bytes(pid: int | str = "self") -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _route_template(scope: Scope) -> str:
    # The full template ("/api/v1/comments/{comment_id}/vote"): FastAPI keeps included routers
    # nested, so the route's own path lacks the prefixes.
    fastapi_scope = scope.get("fastapi")
    context = fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    for candidate in (
        scope.get("tribune.route"),
        getattr(context, "path_format", None),
        getattr(context, "path", None),
        getattr(scope.get("route"), "path", None),
    ):
        if isinstance(candidate, str) and candidate:
            return candidate
    return "/static" if scope.get("path", "").startswith("/static/") else "<unmatched>"


class ObservabilityMiddleware:
    """Gives every request an id (X-Request-ID in, or a new one; sent back out), times it, counts it
    by route template, and writes one JSON access-log line when that logger is enabled."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = None
        for name, value in scope.get("headers", ()):
            if name == REQUEST_ID_HEADER:
                candidate = value.decode("latin-1")
                request_id = candidate if _VALID_ID.match(candidate) else None
                break
        request_id = request_id or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())],
                }
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope)
            self.metrics.observe(scope["method"], route, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)


# JSON logs --------------------------------------------------------------------------------------

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served, if any."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            payload["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(payload, default=str).decode()


def lean_log_records() -> None:
    """Log records without what our JSON lines never show (the logging HOWTO's "Optimization"): the
    caller's file and line (a walk up the stack for every line), thread and process names. The access
    log writes a line per request, so this is paid per request."""
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def logging_config(level: str = "info", *, access: bool = True) -> dict[str, Any]:
    """A dictConfig for uvicorn and our loggers: JSON lines on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.observability.JsonFormatter"}},
        "handlers": {"json": handler},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": upper, "propagate": False},
            "uvicorn.error": {"handlers": ["json"], "level": upper, "propagate": False},
            # Our middleware writes the access log (with the request id and route); uvicorn's is off.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "tribune": {"handlers": ["json"], "level": upper, "propagate": False},
            "tribune.access": {
                "handlers": ["json"],
                "level": upper if access else "WARNING",
                "propagate": False,
            },
        },
    }


# /metrics ---------------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)


def queue_sizes(engine: sa.Engine) -> dict[str, int]:
    try:
        from app.services import moderation
    except ImportError:  # pragma: no cover - moderation not installed in this tree
        moderation = None  # type: ignore[assignment]
    from sqlmodel import Session

    with Session(engine) as session:
        if moderation is not None and hasattr(moderation, "queue_counts"):
            counts: dict[str, int] = moderation.queue_counts(session)
            return {k: int(v) for k, v in counts.items()}
        from app.models import Comment, CommentStatus

        pending = session.execute(
            sa.select(sa.func.count()).where(Comment.status == CommentStatus.pending)  # type: ignore[arg-type]
        ).scalar_one()
        return {"pending": int(pending)}


# Headers a proxy adds: a request that carries one came through a proxy, and its client may be anyone.
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _ip(value: str | None, *, unmap: bool = True) -> Address | None:
    try:
        address = ipaddress.ip_address(value or "")
    except ValueError:
        return None  # TestClient's "testclient", a Unix socket...: not an address we can vouch for
    if unmap and isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 from a dual-stack listener
    return address


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def metrics_refusal(request: Request) -> PlainTextResponse | None:
    """None when this request may read the metrics, else the answer to give it. With
    TRIBUNE_METRICS_TOKEN set, only that bearer token opens them. Without it, only a client in
    TRIBUNE_METRICS_NETWORKS (loopback by default), its address found as the abuse limits find it:
    forwarding headers count only from a trusted proxy, and a forwarded request from any other
    peer is refused (a proxy on this machine would otherwise make every visitor look local)."""
    settings = request.app.state.settings
    if settings.metrics_token:
        scheme, _sep, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), settings.metrics_token.encode()
        ):
            return None
        return PlainTextResponse(
            "Unauthorized\n", status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
        )
    trusted: tuple[Network, ...] = request.app.state.trusted_proxies
    peer = request.client.host if request.client else None
    peer_ip = _ip(peer, unmap=False)  # trusted as client_address trusts it, or its answer is not ours
    forwarded_for = request.headers.getlist("x-forwarded-for")
    if any(name in request.headers for name in FORWARDING_HEADERS) and (
        peer_ip is None or not forwarded_for or not any(peer_ip in net for net in trusted)
    ):
        return PlainTextResponse("Forbidden\n", status_code=403)
    address = _ip(client_address(peer, forwarded_for, trusted))
    allowed = _networks(tuple(settings.metrics_networks))
    if address is None or not any(address in net for net in allowed):
        return PlainTextResponse("Forbidden\n", status_code=403)
    return None


@router.get("/metrics", name="metrics")
def metrics(request: Request) -> PlainTextResponse:
    refusal = metrics_refusal(request)
    if refusal is not None:
        return refusal
    state = request.app.state
    try:
        queues = queue_sizes(state.engine)
    except sa.exc.SQLAlchemyError:
        queues = {}
    text = state.metrics.exposition(queues=queues, cache=getattr(state, "render_cache", None))
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")

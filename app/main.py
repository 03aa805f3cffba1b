"""Application factory: wiring only, no logic."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request
from starlette.middleware.gzip import GZipMiddleware

from app import dates, routing
from app.config import Settings
from app.db import Timeouts, is_sqlite, make_engine
from app.gates import ConnectionGate, SQLiteWriteGate
from app.handlers import exception_handlers
from app.middleware import TribuneMiddleware
from app.models import Role
from app.observability import Metrics, ObservabilityMiddleware
from app.oidc import OidcClient
from app.routing import include_flat
from app.services import comments
from app.services.accounts import SessionPolicy, is_staff
from app.services.cache import RenderCache
from app.services.events import make_broker
from app.services.health import HEALTH_TIMEOUT, HealthProbe
from app.services.mail import MailConfig
from app.services.ratelimit import Limit, Limits, make_limiter, parse_networks
from app.services.rules import Rules
from app.services.sso import TokenConfig
from app.static import STATIC_DIR, VersionedStaticFiles, favicon
from app.templating import make_environment
from app.web import mail as mail_web
from app.web import shared
from app.web import sso as sso_web

# gzip level 6: within 1 % of level 9's size on a debate page, for a fraction of its time.
GZIP_LEVEL = 6


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="Tribune",
        version="1",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs" if settings.api_docs else None,
        redoc_url=None,
        lifespan=mail_web.lifespan,  # the mail sender of this process
    )
    app.state.settings = settings
    dates.set_zone(settings.timezone)
    app.state.mail = MailConfig.of(settings)
    app.state.engine = make_engine(
        settings.effective_database_url,
        timeouts=Timeouts(
            connect=settings.db_connect_timeout,
            statement=settings.db_statement_timeout,
            ping=settings.db_ping_timeout,
            pool=settings.db_pool_timeout,
            keepalive=settings.db_keepalive_seconds,
        ),
        synchronous=settings.sqlite_synchronous,
    )
    app.state.inline_db = is_sqlite(settings.effective_database_url) and settings.inline_sqlite
    app.state.health = HealthProbe(app.state.engine, timeout=HEALTH_TIMEOUT)
    app.state.secret_key = settings.effective_secret_key
    app.state.rules = Rules(
        trust_threshold=settings.trust_threshold,
        report_threshold=settings.report_threshold,
        page_size=settings.page_size,
        edit_window=timedelta(minutes=settings.edit_window_minutes),
        require_verified_email=settings.require_verified_email,
    )
    app.state.session_policy = SessionPolicy(
        idle=timedelta(days=settings.session_idle_days),
        absolute=timedelta(days=settings.session_absolute_days),
    )
    app.state.limiter = make_limiter(
        secret=settings.effective_secret_key,
        redis_url=settings.redis_url,
        namespace=settings.redis_namespace,
        enabled=settings.rate_limits,
        limits=Limits(
            login_per_account=Limit("login-account", settings.login_failures_per_account, 15 * 60),
            login_per_address=Limit("login-address", settings.login_failures_per_address, 60 * 60),
            comment_burst=Limit("comment-burst", 1, settings.comment_interval_seconds),
            comment_sustained=Limit("comment-sustained", settings.comments_per_10_minutes, 10 * 60),
            duplicate_window=settings.duplicate_comment_seconds,
            reports_per_day=Limit("reports", settings.reports_per_day, 24 * 60 * 60),
        ),
    )
    app.state.trusted_proxies = parse_networks(settings.trusted_proxies)
    app.state.oidc = (
        OidcClient(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id or "",
            client_secret=settings.oidc_client_secret or "",
            redirect_uri=f"{settings.base_url}/sso/oidc/callback",
        )
        if settings.oidc_issuer
        else None
    )
    app.state.sso = TokenConfig.of(
        secret=settings.sso_secret,
        public_key=settings.sso_public_key,
        issuer=settings.sso_issuer,
        trust_roles=settings.sso_trust_roles,
    )
    app.state.render_cache = RenderCache()
    app.state.metrics = Metrics()
    app.state.broker = make_broker(
        settings.redis_url,
        settings.redis_namespace,
        backlog=settings.live_backlog,
        queue=settings.live_queue,
        heartbeat=settings.live_heartbeat_seconds,
    )
    app.state.jinja = make_environment()
    app.state.jinja.globals.update(part=shared.part, is_staff=is_staff, own_body=comments.own_body, Role=Role)
    app.state.jinja.globals.update(
        local_accounts=settings.local_accounts,
        newsroom_login=sso_web.newsroom_login(settings),
        embed_origins=settings.embed_origins,
    )
    app.state.template_globals = _template_globals

    from app import api, observability, web

    include_flat(app.router, api.router)
    include_flat(app.router, web.router)
    include_flat(app.router, observability.router)
    include_flat(app.router, mail_web.public_router)  # one-click unsubscribe: no CSRF token (RFC 8058)
    app.mount("/static", VersionedStaticFiles(directory=STATIC_DIR), name="static")
    app.add_route("/favicon.ico", favicon, include_in_schema=False)
    index = routing.install(app.router)
    for exc_class, handler in exception_handlers().items():
        app.add_exception_handler(exc_class, handler)
    app.add_middleware(ConnectionGate, timeout=settings.queue_timeout)
    if is_sqlite(settings.effective_database_url):
        # Outside the connection gate: a queued writer holds no slot.
        app.add_middleware(SQLiteWriteGate, timeout=settings.queue_timeout)
    app.add_middleware(
        TribuneMiddleware,
        https=settings.https,
        default_locale=settings.default_locale,
        route_of=index.route_of,
        embed_origins=settings.embed_origins,
    )
    # Pages, fragments, JSON and static text over 500 bytes go out compressed; the live event stream
    # (text/event-stream) is left alone by Starlette's GZipMiddleware, so never buffered.
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=GZIP_LEVEL)
    # Outermost: request ids, timing and counts cover every answer, 413s included.
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    return app


def _template_globals(request: Request) -> dict[str, Any]:
    from app.deps import csrf_token
    from app.web.labels import reason_label, reply_kind_choices, reply_kind_label

    return {
        "request": request,
        # The Identity read with the session (no ORM row: an error page is rendered after the
        # request's transaction has ended).
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": csrf_token(request),
        "locale": request.state.locale,
        "url_for": request.url_for,
        "reason_label": reason_label,
        "reply_kind_label": reply_kind_label,  # issue 20
        "reply_kind_choices": reply_kind_choices,
        "unread": getattr(request.state, "unread", 0),
    }

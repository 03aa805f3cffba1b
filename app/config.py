"""Settings: the only module that reads the environment."""

from __future__ import annotations

import ipaddress
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.dates import DEFAULT_ZONE, zone_named

DEFAULT_INSTANCE = Path("instance")
STAFF_ROLES = ("moderator", "editor", "admin")  # the roles a newsroom's group may give


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIBUNE_", extra="ignore")

    instance_path: Path = DEFAULT_INSTANCE
    # Empty means "SQLite in the instance folder".
    database_url: str = ""
    # No default for the secret: when unset, one is generated once and kept in the instance folder.
    secret_key: str | None = None
    redis_url: str | None = None
    # Prefix of every Redis key, so several sites (or test runs) can share one Redis.
    redis_namespace: str = "tribune"
    https: bool = False
    api_docs: bool = False
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # /metrics: with a token, it answers only `Authorization: Bearer <token>`; without one, only
    # clients whose address (through trusted proxies) is in these networks: loopback by default.
    metrics_token: str | None = None
    metrics_networks: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.0/8", "::1"])

    edit_window_minutes: int = 15
    trust_threshold: int = 1
    report_threshold: int = 3
    page_size: int = 20
    max_body_chars: int = 10_000
    session_idle_days: int = 7
    session_absolute_days: int = 30
    default_locale: str = "fr"
    # The newsroom's time zone (IANA name): every date a reader reads (pages, mails, the figures'
    # passage) and the end of a suspension "until" a day are in it. Stored times stay UTC.
    timezone: str = DEFAULT_ZONE
    # SQLite statements run in the event loop rather than in a pool thread (app/deps.py run_db); off
    # when several processes share one SQLite file (`tribune serve --workers N` turns it off).
    inline_sqlite: bool = True

    # Holding up (issue 19; app/db.py Timeouts, app/gates.py). A database that hangs answers 503
    # within about db_connect_timeout + db_ping_timeout seconds (a statement under way: at most
    # db_statement_timeout + 0.5 s), instead of holding every request for minutes.
    db_connect_timeout: int = Field(default=2, ge=2)  # PostgreSQL: opening a connection (libpq: 2 at least)
    db_statement_timeout: float = Field(default=3.0, gt=0)  # PostgreSQL's statement_timeout, seconds
    db_ping_timeout: float = Field(default=1.0, gt=0)  # the pool's check of an idle connection
    db_pool_timeout: float = Field(default=2.0, gt=0)  # waiting for a free pooled connection (then 503)
    db_keepalive_seconds: int = Field(default=10, ge=1)  # PostgreSQL: idle seconds before TCP keepalives
    # SQLite's durability: FULL syncs every commit to disk (survives a power cut); NORMAL syncs at
    # checkpoints only (a power cut may lose the last commits; a crash of the process loses nothing).
    # NORMAL by default: FULL cost 21 % of the post rate and 22 % of the vote rate (make bench-writes,
    # README "SQLite durability").
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "NORMAL"
    # Load shedding: a request that cannot start its work within this many seconds (every database
    # slot busy) is answered 503 with Retry-After; pages served from the shared rendering still come.
    queue_timeout: float = Field(default=2.0, gt=0)

    # Abuse limits (app/services/ratelimit.py); TRIBUNE_RATE_LIMITS=false turns them all off.
    rate_limits: bool = True
    login_failures_per_account: int = 10  # per 15 minutes
    login_failures_per_address: int = 30  # per hour
    comment_interval_seconds: int = 5  # one comment per this many seconds
    comments_per_10_minutes: int = 10
    duplicate_comment_seconds: int = 300  # the same body again within this is refused
    reports_per_day: int = 20

    # Live updates (app/services/events.py; issue 19). Each process keeps the last live_backlog events
    # (and the Redis stream as many) for the pages that connect or reconnect after their position; a
    # page that still has live_queue events not yet sent when more arrive is told to reload; an idle
    # stream gets a keep-alive every live_heartbeat_seconds.
    live_backlog: int = Field(default=10_000, ge=100)
    live_queue: int = Field(default=256, ge=1)
    live_heartbeat_seconds: float = Field(default=15.0, gt=0)

    # Mail (issue 16; app/services/mail/). Without an SMTP URL, messages are written as .eml files
    # under instance/outbox/ and their links logged. smtp://user:pass@host:587?starttls=true, or
    # smtps://… for TLS from the first byte.
    smtp_url: str | None = None
    mail_from: str = "Tribune <tribune@localhost>"
    # Links in messages start with this (no trailing slash).
    base_url: str = "http://127.0.0.1:8000"
    # Until the address is verified, reactions wait for a moderator.
    require_verified_email: bool = True
    mail_sender: bool = True  # the background sender in this process
    mail_poll_seconds: float = 2.0  # how often the sender looks for due mail (two indexed reads)
    mail_retry_seconds: float = 60.0  # first retry after an SMTP failure, doubling up to six hours
    mail_max_attempts: int = 10  # then the message is dead (an admin may retry it)
    # A claimed message a dead sender never sent is retried after this; longer than a batch can take
    # (20 messages at the 30 s SMTP timeout), so a slow sender is not overtaken.
    mail_lease_seconds: float = 900.0
    password_resets_per_address: int = 5  # per hour and client address
    password_resets_per_account: int = 3  # per hour and e-mail address
    # Issue 18: the licence of a closed debate's open data (/articles/{slug}/open-data.csv and .json).
    open_data_licence: str = "CC BY 4.0"
    open_data_licence_url: str = "https://creativecommons.org/licenses/by/4.0/"

    # Single sign-on and embedding (issue 17; app/services/sso.py, app/web/sso.py, app/web/embed.py).
    # Signed tokens: HS256 with sso_secret, or RS256 / EdDSA with sso_public_key (PEM text); when
    # sso_issuer is set, a token must name it in `iss`. A token's `user.role` is obeyed only with
    # sso_trust_roles. sso_login_url: the newsroom's sign-in page, where /login sends readers when
    # local accounts are off (it comes back to /sso?token=…&next=…).
    sso_secret: str | None = None
    sso_public_key: str | None = None
    sso_issuer: str | None = None
    sso_trust_roles: bool = False
    sso_login_url: str | None = None
    # OpenID Connect: the provider's issuer URL (its discovery document is read from it) and this
    # site's client; the redirect URI is {base_url}/sso/oidc/callback.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    # Roles from OpenID Connect, only with sso_trust_roles: the id_token claim that lists the reader's
    # groups at the provider, and which of those groups give which role ("group=role,…", roles
    # moderator, editor or admin). Only the groups named here count; a claim only ever raises a role.
    oidc_role_claim: str = "groups"
    oidc_roles: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    # False: no registration, no password sign-in; the newsroom's accounts are the only door.
    local_accounts: bool = True
    # The newsroom's sites that may frame /embed/* (scheme://host[:port], comma-separated).
    embed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The first view of an unknown slug from one of those sites' pages makes a draft article from the
    # page (canonical address, title, og:description), closed until an editor opens it.
    embed_autocreate: bool = False

    @field_validator("trusted_proxies", "metrics_networks", "embed_origins", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone_named(value)  # a typo fails at start, with the name it did not know
        return value

    @field_validator("oidc_roles", mode="before")
    @classmethod
    def _group_roles(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        roles: dict[str, str] = {}
        for pair in filter(None, (part.strip() for part in value.split(","))):
            group, equals, role = (text.strip() for text in pair.rpartition("="))
            if not equals or not group or role not in STAFF_ROLES:
                raise ValueError(
                    f"oidc_roles {pair!r}: expected group=role, role one of {', '.join(STAFF_ROLES)}"
                )
            roles[group] = role
        return roles

    @field_validator("metrics_networks")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # a typo fails at start, not at each scrape
        return value

    @field_validator("embed_origins")
    @classmethod
    def _valid_origins(cls, value: list[str]) -> list[str]:
        origins = []
        for origin in value:
            parts = urlsplit(origin.rstrip("/"))
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
                raise ValueError(f"embed origin {origin!r}: expected scheme://host[:port]")
            origins.append(f"{parts.scheme}://{parts.netloc.lower()}")
        return origins

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.instance_path / 'tribune.db').resolve()}"

    @cached_property
    def effective_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.instance_path / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.instance_path.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # Created with owner-only permissions so other local users cannot forge tokens.
        path.touch(mode=0o600)
        path.write_text(key)
        return key

"""Settings: the only module that reads the environment."""

from __future__ import annotations

import ipaddress
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_INSTANCE = Path("instance")


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
    # SQLite statements run in the event loop rather than in a pool thread (app/deps.py run_db); off
    # when several processes share one SQLite file (`tribune serve --workers N` turns it off).
    inline_sqlite: bool = True

    # Abuse limits (app/services/ratelimit.py); TRIBUNE_RATE_LIMITS=false turns them all off.
    rate_limits: bool = True
    login_failures_per_account: int = 10  # per 15 minutes
    login_failures_per_address: int = 30  # per hour
    comment_interval_seconds: int = 5  # one comment per this many seconds
    comments_per_10_minutes: int = 10
    duplicate_comment_seconds: int = 300  # the same body again within this is refused
    reports_per_day: int = 20

    @field_validator("trusted_proxies", "metrics_networks", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("metrics_networks")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # a typo fails at start, not at each scrape
        return value

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

"""Abuse limits: counters in Redis when configured (shared by every app process), in memory otherwise.

Every key is a keyed hash (HMAC with the secret key) of what it counts — an account, an address, a
body — and expires with its window, so no address or name is ever stored in the clear or for long.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from app.errors import Conflict, TooManyRequests
from app.i18n import _

log = logging.getLogger("tribune.ratelimit")

Clock = Callable[[], float]


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    window: int  # seconds


@dataclass(frozen=True)
class Limits:
    login_per_account: Limit = Limit("login-account", 10, 15 * 60)
    login_per_address: Limit = Limit("login-address", 30, 60 * 60)
    comment_burst: Limit = Limit("comment-burst", 1, 5)
    comment_sustained: Limit = Limit("comment-sustained", 10, 10 * 60)
    duplicate_window: int = 5 * 60
    reports_per_day: Limit = Limit("reports", 20, 24 * 60 * 60)


class Backend(Protocol):
    def incr(self, key: str, window: int) -> tuple[int, int]:
        """Add one to the counter (its window starts at the first hit); return (count, seconds left)."""

    def peek(self, key: str) -> tuple[int, int]:
        """Return (count, seconds left) without counting."""

    def add_once(self, key: str, window: int) -> int:
        """Set the key if absent; return 0 when set, else the seconds left on the existing key."""

    def delete(self, key: str) -> None: ...


class MemoryBackend:
    """One process's counters; expired entries are dropped as they are met and in periodic sweeps."""

    def __init__(self, clock: Clock = time.monotonic, max_keys: int = 100_000) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._data: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> tuple[int, float] | None:
        entry = self._data.get(key)
        if entry is not None and entry[1] <= now:
            del self._data[key]
            return None
        return entry

    def _sweep(self, now: float) -> None:
        if len(self._data) >= self.max_keys:
            for key in [k for k, (_c, expires) in self._data.items() if expires <= now]:
                del self._data[key]

    def incr(self, key: str, window: int) -> tuple[int, int]:
        with self._lock:
            now = self.clock()
            entry = self._live(key, now)
            if entry is None:
                self._sweep(now)
                entry = (0, now + window)
            count, expires = entry[0] + 1, entry[1]
            self._data[key] = (count, expires)
            return count, max(1, math.ceil(expires - now))

    def peek(self, key: str) -> tuple[int, int]:
        with self._lock:
            now = self.clock()
            entry = self._live(key, now)
            if entry is None:
                return 0, 0
            return entry[0], max(1, math.ceil(entry[1] - now))

    def add_once(self, key: str, window: int) -> int:
        with self._lock:
            now = self.clock()
            entry = self._live(key, now)
            if entry is not None:
                return max(1, math.ceil(entry[1] - now))
            self._sweep(now)
            self._data[key] = (1, now + window)
            return 0

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class RedisBackend:
    """Counters shared by every process that talks to the same Redis."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @classmethod
    def from_url(cls, url: str) -> RedisBackend:
        import redis

        return cls(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1))

    def incr(self, key: str, window: int) -> tuple[int, int]:
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, window, nx=True)
        pipe.ttl(key)
        count, _set, ttl = pipe.execute()
        return int(count), max(1, int(ttl))

    def peek(self, key: str) -> tuple[int, int]:
        pipe = self.client.pipeline()
        pipe.get(key)
        pipe.ttl(key)
        value, ttl = pipe.execute()
        if value is None:
            return 0, 0
        return int(value), max(1, int(ttl))

    def add_once(self, key: str, window: int) -> int:
        if self.client.set(key, 1, nx=True, ex=window):
            return 0
        return max(1, int(self.client.ttl(key)))

    def delete(self, key: str) -> None:
        self.client.delete(key)


def _wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if seconds < 60:
        return _("Réessayez dans {n} secondes.").format(n=seconds)
    return _("Réessayez dans {n} minutes.").format(n=minutes)


class Limiter:
    """The abuse limits of Tribune over one backend. Disabled, it lets everything through."""

    def __init__(
        self,
        backend: Backend,
        *,
        secret: str,
        limits: Limits | None = None,
        enabled: bool = True,
        prefix: str = "tribune:rl",
    ) -> None:
        self.backend = backend
        self.secret = secret.encode()
        self.limits = limits or Limits()
        self.enabled = enabled
        self.prefix = prefix

    def key(self, name: str, *parts: object) -> str:
        raw = "\x1f".join(str(p) for p in parts).encode()
        digest = hmac.new(self.secret, name.encode() + b"\x1e" + raw, hashlib.sha256).hexdigest()[:32]
        return f"{self.prefix}:{name}:{digest}"

    # The backend failing must not take the site down: the limit is skipped and the failure logged.
    def _call(self, fn: Callable[..., Any], *args: Any, default: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - any backend failure (Redis down) fails open
            log.warning("rate-limit backend unavailable: %s", exc)
            return default

    def _peek(self, key: str) -> tuple[int, int]:
        result: tuple[int, int] = self._call(self.backend.peek, key, default=(0, 0))
        return result

    def _incr(self, key: str, window: int) -> tuple[int, int]:
        result: tuple[int, int] = self._call(self.backend.incr, key, window, default=(0, 0))
        return result

    # Login ------------------------------------------------------------------------------------

    def _login_keys(self, account: str, address: str | None) -> list[tuple[Limit, str]]:
        keys = [(self.limits.login_per_account, self.key("login-account", account))]
        if address:
            keys.append((self.limits.login_per_address, self.key("login-address", address)))
        return keys

    def check_login(self, *, account: str, address: str | None) -> None:
        """Refuse a login attempt, before the password is even looked at, once failures pile up."""
        if not self.enabled:
            return
        waits = [
            left
            for limit, key in self._login_keys(account, address)
            for count, left in [self._peek(key)]
            if count >= limit.count
        ]
        if waits:
            wait = max(waits)
            raise TooManyRequests(
                _("Trop de tentatives de connexion. {wait}").format(wait=_wait_message(wait)),
                retry_after=wait,
            )

    def login_failed(self, *, account: str, address: str | None) -> None:
        if not self.enabled:
            return
        for limit, key in self._login_keys(account, address):
            self._incr(key, limit.window)

    def login_succeeded(self, *, account: str) -> None:
        if not self.enabled:
            return
        self._call(self.backend.delete, self.key("login-account", account), default=None)

    # Comments and reports -----------------------------------------------------------------------

    def hit_comment(self, *, user_id: int | None, body: str) -> None:
        """Count a comment about to be stored; refuse it when too quick, too many, or a repeat."""
        if not self.enabled:
            return
        for limit in (self.limits.comment_burst, self.limits.comment_sustained):
            count, left = self._incr(self.key(limit.name, user_id), limit.window)
            if count > limit.count:
                raise TooManyRequests(
                    _("Vous publiez trop vite. {wait}").format(wait=_wait_message(left)), retry_after=left
                )
        normalised = " ".join(body.split()).casefold()
        left = self._call(
            self.backend.add_once,
            self.key("comment-body", user_id, normalised),
            self.limits.duplicate_window,
            default=0,
        )
        if left:
            raise Conflict(_("Vous venez de publier ce même message."), field="body")

    def hit_report(self, *, user_id: int | None) -> None:
        if not self.enabled:
            return
        limit = self.limits.reports_per_day
        count, left = self._incr(self.key(limit.name, user_id), limit.window)
        if count > limit.count:
            raise TooManyRequests(
                _("Vous avez atteint la limite de {n} signalements par jour.").format(n=limit.count),
                retry_after=left,
            )

    def hit_limit(self, limit: Limit, *parts: object) -> None:
        """Count one request against `limit` for these parts (mail: password resets); refuse past it."""
        if not self.enabled:
            return
        count, left = self._incr(self.key(limit.name, *parts), limit.window)
        if count > limit.count:
            raise TooManyRequests(
                _("Trop de demandes. {wait}").format(wait=_wait_message(left)), retry_after=left
            )


def make_limiter(
    *,
    secret: str,
    redis_url: str | None,
    enabled: bool,
    limits: Limits | None = None,
    namespace: str = "tribune",
) -> Limiter:
    """The site's limiter; its keys start with `namespace` (TRIBUNE_REDIS_NAMESPACE), as every other
    Redis key of the site does, so that sites (or test runs) sharing one Redis never count together."""
    backend: Backend = RedisBackend.from_url(redis_url) if redis_url else MemoryBackend()
    return Limiter(backend, secret=secret, limits=limits, enabled=enabled, prefix=f"{namespace}:rl")


# Client address ---------------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str | None:
    """The client's address: the peer, unless the peer is a trusted proxy, in which case the
    right-most X-Forwarded-For entry that is not itself a trusted proxy. Headers from anyone else
    are ignored, so a client cannot pick the address its failures are counted under."""
    address = _address(peer) if peer else None
    if address is None:
        return peer
    if not trusted or not any(address in net for net in trusted):
        return str(address)
    hops = [part for header in forwarded_for for part in header.split(",")]
    for hop in reversed(hops):
        parsed = _address(hop)
        if parsed is None:
            break
        if not any(parsed in net for net in trusted):
            return str(parsed)
        address = parsed
    return str(address)

"""An in-process cache of the renderings of a debate: its pages, shared by their readers, and the
serialized debate.

Entries are keyed by the article's id and `version` (bumped in the same transaction as every change
that alters the debate: a post, an edit, a deletion, a vote, a stance, a moderation decision, a
commenter's new name: accounts.refresh_pages_of_author), plus everything else the bytes depend on
(sort, cursor, locale...). A request still reads the article row,
so each process sees a change committed by any other process on its next request: nothing is ever
invalidated by hand and several processes need no shared cache. A short time-to-live bounds what a
change that forgot to bump the version (an account erased, say) could leave stale.

The pages keep a rendering shared by every reader, into which each reader's own state (votes,
stance, token...) is put on the way out (web/shared.py); the JSON API keeps the anonymous bodies.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa

from app.models import Article
from app.services.sql import Db, Prepared

V = TypeVar("V")


def _size(value: object) -> int:
    """What a kept value weighs: a body's length, or a shared rendering's own count (web/shared.py)."""
    return len(value) if isinstance(value, bytes) else int(getattr(value, "size", 0))


@dataclass(frozen=True)
class Entry:
    value: object
    size: int
    expires: float


class Flight:
    """The requests building or awaiting one missing entry (RenderCache.single_flight)."""

    __slots__ = ("holders", "lock", "value")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.value: object | None = None  # set by put(..., flight=) once built


class RenderCache:
    """A small thread-safe LRU bounded in entries and in bytes (sync routes run in a thread pool)."""

    def __init__(
        self,
        *,
        max_entries: int = 512,
        max_bytes: int = 48 * 1024 * 1024,
        max_entry_bytes: int = 4 * 1024 * 1024,
        ttl: float = 60.0,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.ttl = ttl
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._building: dict[Hashable, Flight] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> object | None:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.expires < now:
                if entry is not None:
                    self._drop(key)
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
        return entry.value

    def put(self, key: Hashable, value: object, flight: Flight | None = None) -> None:
        """Keep value under key; with the flight that built it, also hand it to the requests waiting on
        that flight, even when it is too big to keep (see single_flight)."""
        if flight is not None:
            flight.value = value
        size = _size(value)
        if size > self.max_entry_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = Entry(value, size, time.monotonic() + self.ttl)
            self._size += size
            while self._entries and (len(self._entries) > self.max_entries or self._size > self.max_bytes):
                self._drop(next(iter(self._entries)))

    def serve(self, key: Hashable, build: Callable[[], V]) -> V:
        """The value kept under key, or else what build() gives, kept; a burst of misses for one key
        builds it once (single_flight)."""
        cached = self.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        with self.single_flight(key) as flight:
            cached = self.get(key) or flight.value
            if cached is not None:
                return cached  # type: ignore[return-value]
            value = build()
            self.put(key, value, flight=flight)
            return value

    @contextmanager
    def single_flight(self, key: Hashable) -> Iterator[Flight]:
        """Held by the one request that builds a missing entry; the others wanting the same key wait
        for it, then find the entry, instead of all building it at once (a burst of misses after
        each change would otherwise multiply both the work and the memory). A body too big to keep
        (the whole thread of a debate of 15,000 comments is 12 MB) is still shared with the requests
        that waited for it: `flight.value`."""
        with self._lock:
            flight = self._building.get(key)
            if flight is None:
                flight = self._building[key] = Flight()
            flight.holders += 1
        try:
            with flight.lock:
                yield flight
        finally:
            with self._lock:
                flight.holders -= 1
                if flight.holders == 0:
                    self._building.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key)
        self._size -= entry.size

    def __len__(self) -> int:
        return len(self._entries)


def get_cache(state: object) -> RenderCache | None:
    """The app's cache (kept on app.state by create_app), or None where there is none."""
    cache = getattr(state, "render_cache", None)
    return cache if isinstance(cache, RenderCache) else None


ARTICLE = Article.__table__  # type: ignore[attr-defined]
# What an anonymous view of a debate depends on besides the request: `version` moves with the
# debate, the rest with the article itself (an editor's change needs no version bump to show).
_STATE = sa.select(
    ARTICLE.c.id,
    ARTICLE.c.version,
    ARTICLE.c.updated_at,
    ARTICLE.c.published_at,
    ARTICLE.c.comments_open,
    ARTICLE.c.premoderation,
    ARTICLE.c.closed_at,
    ARTICLE.c.comment_count,
    ARTICLE.c.tally_for,
    ARTICLE.c.tally_against,
    ARTICLE.c.tally_nuanced,
)


_STATE_BY_SLUG = Prepared(_STATE.where(ARTICLE.c.slug == sa.bindparam("slug")))


def article_state(db: Db, slug: str) -> tuple[Hashable, ...] | None:
    """The article's state as a key part (its id first), or None when it is absent or unpublished
    (the route decides): one indexed read, before anything else is loaded."""
    if "\x00" in slug:  # no slug has one, and PostgreSQL would refuse to even compare it
        return None
    row = _STATE_BY_SLUG.first(db, {"slug": slug[:200]})
    if row is None or row.published_at is None:
        return None
    return tuple(row)


def page_key(
    state: tuple[Hashable, ...], *, sort: str, after: str | None, locale: str, fragment: bool
) -> Hashable:
    return ("page", state, sort, after or None, locale, fragment)


def comments_key(state: tuple[Hashable, ...], *, sort: str, cursor: str | None, limit: int) -> Hashable:
    return ("comments", state, sort, cursor or None, limit)


def thread_key(state: tuple[Hashable, ...], *, sort: str) -> Hashable:
    return ("thread", state, sort)


def permalink_key(state: tuple[Hashable, ...], *, comment_id: int, locale: str) -> Hashable:
    return ("permalink", state, comment_id, locale)

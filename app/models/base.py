"""Shared column helpers and enums."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on both SQLite (which stores naive text) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_type(enum: type[StrEnum], name: str) -> sa.Enum:
    # Stored as VARCHAR with a CHECK constraint: portable, and new members need no ALTER TYPE.
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def ts(**kwargs: Any) -> Any:
    """A timezone-aware timestamp column."""
    return sa.Column(UTCDateTime(), **kwargs)


class Role(StrEnum):
    reader = "reader"
    moderator = "moderator"
    editor = "editor"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANKS[self]

    def at_least(self, other: Role) -> bool:
        return _ROLE_RANKS[self] >= _ROLE_RANKS[other]


_ROLE_RANKS = {role: rank for rank, role in enumerate(Role)}  # asked on every card of a page


class UserStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    banned = "banned"


class Stance(StrEnum):
    for_ = "for"
    against = "against"
    nuanced = "nuanced"


class ReplyKind(StrEnum):
    """What a reply does to the message it answers (issue 20); a reply may also say nothing."""

    supports = "supports"
    rebuts = "rebuts"
    asks_source = "asks_source"
    brings_source = "brings_source"


class CommentStatus(StrEnum):
    pending = "pending"
    published = "published"
    rejected = "rejected"
    deleted = "deleted"


class Reason(StrEnum):
    spam = "spam"
    harassment = "harassment"
    hate = "hate"
    off_topic = "off_topic"
    misinformation = "misinformation"
    personal_data = "personal_data"
    illegal = "illegal"
    other = "other"


class WordEffect(StrEnum):
    block = "block"
    hold = "hold"

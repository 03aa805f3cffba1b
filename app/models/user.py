from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import Role, UserStatus, enum_type, ts, utcnow
from app.models.mail import MailPreference


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=sa.Column(sa.String(30), nullable=False))
    # Case-folded copy of the username: the unique constraint makes "Alice" and "alice" one name.
    username_key: str = Field(sa_column=sa.Column(sa.String(30), nullable=False, unique=True))
    email: str = Field(sa_column=sa.Column(sa.String(254), nullable=False, unique=True))
    password_hash: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    role: Role = Field(
        default=Role.reader,
        sa_column=sa.Column(enum_type(Role, "user_role"), nullable=False, server_default=Role.reader.value),
    )
    status: UserStatus = Field(
        default=UserStatus.active,
        sa_column=sa.Column(
            enum_type(UserStatus, "user_status"), nullable=False, server_default=UserStatus.active.value
        ),
    )
    suspended_until: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    status_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    approved_count: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    rejected_count: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    locale: str | None = Field(default=None, sa_column=sa.Column(sa.String(8), nullable=True))
    # Profile (issue 15): the name shown beside their comments, in any letters; the handle stays ASCII.
    display_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(60), nullable=True))
    bio: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    # Mail (issue 16): the address is proven by the link sent to it; until then reactions are held.
    email_verified_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))
    # Per kind of notification: immediate, daily (digest) or never.
    mail_reply: MailPreference = Field(
        default=MailPreference.daily,
        sa_column=sa.Column(
            enum_type(MailPreference, "user_mail_reply"),
            nullable=False,
            server_default=MailPreference.daily.value,
        ),
    )
    mail_featured: MailPreference = Field(
        default=MailPreference.immediate,
        sa_column=sa.Column(
            enum_type(MailPreference, "user_mail_featured"),
            nullable=False,
            server_default=MailPreference.immediate.value,
        ),
    )
    mail_decision: MailPreference = Field(
        default=MailPreference.immediate,
        sa_column=sa.Column(
            enum_type(MailPreference, "user_mail_decision"),
            nullable=False,
            server_default=MailPreference.immediate.value,
        ),
    )
    # Staff: the daily digest of the moderation queues (immediate counts as daily).
    mail_queues: MailPreference = Field(
        default=MailPreference.daily,
        sa_column=sa.Column(
            enum_type(MailPreference, "user_mail_queues"),
            nullable=False,
            server_default=MailPreference.daily.value,
        ),
    )
    # When the last daily digest went out (or the account was created): the next is due a day later.
    mail_digest_at: datetime | None = Field(default=None, sa_column=ts(nullable=True))

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def shown_name(self) -> str:
        """The name readers see: the display name when there is one, else the handle."""
        return self.display_name or self.username


class AuthSession(SQLModel, table=True):
    """A server-side login: deleting the row signs the browser out at once."""

    __tablename__ = "auth_session"

    # SHA-256 of the cookie's token: a leaked table does not hand out live sessions.
    id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    user_agent: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))

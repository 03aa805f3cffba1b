"""Single sign-on (issue 17): accounts linked to the newsroom's, and the signed tokens already used."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import ts, utcnow


class LinkedAccount(SQLModel, table=True):
    """A Tribune account that is the newsroom's account `subject` at `provider` ("token" for the signed
    tokens, "oidc" for OpenID Connect): one Tribune account per outside account."""

    __tablename__ = "linked_account"
    __table_args__ = (sa.UniqueConstraint("provider", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    subject: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    display_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))
    last_login_at: datetime = Field(default_factory=utcnow, sa_column=ts(nullable=False))


class UsedToken(SQLModel, table=True):
    """The `jti` of every signed token accepted, until it expires: the primary key refuses a replay,
    even from two requests at once."""

    __tablename__ = "sso_used_token"

    jti: str = Field(sa_column=sa.Column(sa.String(255), primary_key=True))
    expires_at: datetime = Field(sa_column=ts(nullable=False, index=True))

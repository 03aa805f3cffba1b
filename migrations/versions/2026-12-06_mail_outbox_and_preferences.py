"""Mail (issue 16): the outbox table, address verification and mail preferences on the account, and
the notification's mail state (the notification row is the outbox of its e-mail).

Accounts that exist before this revision count as verified (since their creation): they registered
when there was no verification to do, and holding their reactions now would punish them for it.
Existing notifications are marked as already dealt with, so upgrading sends no backlog of mail.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "dead",
                name="mail_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_mail_outbox_user_id_app_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_mail_outbox_message_id")),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_mail_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_outbox_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "mail_reply",
                sa.Enum(
                    "immediate",
                    "daily",
                    "never",
                    name="user_mail_reply",
                    native_enum=False,
                    create_constraint=True,
                    length=16,
                ),
                server_default="daily",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "mail_featured",
                sa.Enum(
                    "immediate",
                    "daily",
                    "never",
                    name="user_mail_featured",
                    native_enum=False,
                    create_constraint=True,
                    length=16,
                ),
                server_default="immediate",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "mail_decision",
                sa.Enum(
                    "immediate",
                    "daily",
                    "never",
                    name="user_mail_decision",
                    native_enum=False,
                    create_constraint=True,
                    length=16,
                ),
                server_default="immediate",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "mail_queues",
                sa.Enum(
                    "immediate",
                    "daily",
                    "never",
                    name="user_mail_queues",
                    native_enum=False,
                    create_constraint=True,
                    length=16,
                ),
                server_default="daily",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("mail_digest_at", UTCDateTime(), nullable=True))

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_state", sa.String(length=8), nullable=True))
        batch_op.create_index(
            "ix_notification_unmailed",
            ["id"],
            unique=False,
            postgresql_where=sa.text("mail_state IS NULL"),
            sqlite_where=sa.text("mail_state IS NULL"),
        )

    user = sa.table(
        "app_user", sa.column("email_verified_at", UTCDateTime()), sa.column("created_at", UTCDateTime())
    )
    op.execute(user.update().values(email_verified_at=user.c.created_at))
    notification = sa.table("notification", sa.column("mail_state", sa.String(8)))
    op.execute(notification.update().values(mail_state="skipped"))


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_notification_unmailed",
            postgresql_where=sa.text("mail_state IS NULL"),
            sqlite_where=sa.text("mail_state IS NULL"),
        )
        batch_op.drop_column("mail_state")

    with op.batch_alter_table("app_user", schema=None) as batch_op:
        for name in ("reply", "featured", "decision", "queues"):
            batch_op.drop_constraint(op.f(f"ck_app_user_user_mail_{name}"), type_="check")
        batch_op.drop_column("mail_digest_at")
        batch_op.drop_column("mail_queues")
        batch_op.drop_column("mail_decision")
        batch_op.drop_column("mail_featured")
        batch_op.drop_column("mail_reply")
        batch_op.drop_column("email_verified_at")

    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_outbox_user_id"))
        batch_op.drop_index("ix_mail_outbox_due")

    op.drop_table("mail_outbox")

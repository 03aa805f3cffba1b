"""Tables. The naming convention is set before any table is defined so constraint names are stable."""

from sqlmodel import SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from app.models.article import Article, StanceDaily, StanceVote  # noqa: E402
from app.models.base import (  # noqa: E402
    CommentStatus,
    Reason,
    ReplyKind,
    Role,
    Stance,
    UserStatus,
    WordEffect,
    utcnow,
)
from app.models.comment import Comment, CommentReport, CommentRevision, CommentVote  # noqa: E402
from app.models.dsa import (  # noqa: E402
    Appeal,
    AppealOutcome,
    Automation,
    Notice,
    NoticeCategory,
    NoticeOutcome,
    Restriction,
    Statement,
    TermsVersion,
)
from app.models.mail import MailPreference, MailStatus, OutboxMessage  # noqa: E402
from app.models.moderation import ModerationAction, Notification, WordRule  # noqa: E402
from app.models.sso import LinkedAccount, UsedToken  # noqa: E402
from app.models.user import AuthSession, User  # noqa: E402

__all__ = [
    "Appeal",
    "AppealOutcome",
    "Automation",
    "Notice",
    "NoticeCategory",
    "NoticeOutcome",
    "Restriction",
    "Statement",
    "TermsVersion",
    "Article",
    "AuthSession",
    "Comment",
    "MailPreference",
    "MailStatus",
    "ModerationAction",
    "Notification",
    "OutboxMessage",
    "CommentReport",
    "CommentRevision",
    "CommentStatus",
    "CommentVote",
    "LinkedAccount",
    "Reason",
    "ReplyKind",
    "Role",
    "Stance",
    "StanceDaily",
    "StanceVote",
    "UsedToken",
    "User",
    "UserStatus",
    "WordEffect",
    "WordRule",
    "utcnow",
]

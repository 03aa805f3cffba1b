"""Who sees a comment: the one home of the rule, as SQL for lists and as Python for one row. Lists,
permalinks, votes, reports and feeds all ask here."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.models import Comment, CommentStatus
from app.services.accounts import Principal, is_staff

COMMENT = Comment.__table__  # type: ignore[attr-defined]
# Statuses shown to everyone: a deleted comment is a "[supprimé]" placeholder, a rejected one a tombstone.
PUBLIC_STATUSES = (CommentStatus.published, CommentStatus.deleted, CommentStatus.rejected)


def is_public(status: CommentStatus, hidden_at: object) -> bool:
    """Shown to every reader (hidden_at: set when enough reports hide it until a decision)."""
    return status in PUBLIC_STATUSES and hidden_at is None


def is_live(status: CommentStatus, hidden_at: object) -> bool:
    """Published and shown: what readers vote on, what the feeds carry and editors feature (not a
    tombstone, a held comment or one hidden by reports)."""
    return status == CommentStatus.published and hidden_at is None


# is_live in SQL.
LIVE = sa.and_(COMMENT.c.status == CommentStatus.published, COMMENT.c.hidden_at.is_(None))


def is_visible(comment: Comment | sa.Row[Any], viewer: Principal | None) -> bool:
    """The author always sees their own comment, and the staff every comment."""
    if viewer is not None and (comment.author_id == viewer.id or is_staff(viewer)):
        return True
    return is_public(comment.status, comment.hidden_at)


def visible_clause(viewer: Principal | None, *, by_status: bool = True) -> sa.ColumnElement[bool]:
    """is_visible for lists (the staff read the queues, not the lists, for what others cannot see).

    by_status=False writes the status test as an expression no index matches: queries driven by the
    article, root or id indexes use those. Without statistics SQLite otherwise reads every published
    comment of every debate through ix_comment_status (190 ms for a page beside a 100,000 debate)."""
    status: Any = COMMENT.c.status if by_status else sa.type_coerce(COMMENT.c.status, sa.String).concat("")
    public = sa.and_(
        status.in_([s.value for s in PUBLIC_STATUSES]) if not by_status else status.in_(PUBLIC_STATUSES),
        COMMENT.c.hidden_at.is_(None),
    )
    if viewer is None:
        return public
    # The author always sees their own pending (or hidden) comment, marked as awaiting review.
    return sa.or_(public, COMMENT.c.author_id == viewer.id)

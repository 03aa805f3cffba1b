"""Up and down votes on comments. Tallies live on the comment row and move in the vote's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session

from app.errors import NotFound, PermissionDenied
from app.i18n import _
from app.models import Article, Comment, CommentStatus, CommentVote, User, utcnow
from app.services import events
from app.services.accounts import ensure_can_write
from app.services.comments import bump_version
from app.services.ranking import controversy, wilson_lower_bound
from app.services.sql import insert_ignore

VOTE = CommentVote.__table__  # type: ignore[attr-defined]
COMMENT = Comment.__table__  # type: ignore[attr-defined]
ARTICLE = Article.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class VoteResult:
    upvotes: int
    downvotes: int
    my_vote: int


def current_vote(session: Session, *, voter: User, comment: Comment) -> int:
    value = session.execute(
        sa.select(VOTE.c.value).where(VOTE.c.user_id == voter.id, VOTE.c.comment_id == comment.id)
    ).scalar()
    return int(value or 0)


def set_vote(
    session: Session, *, voter: User, comment: Comment, value: Literal[-1, 0, 1] | int
) -> VoteResult:
    """Set the voter's vote to value (0 withdraws). Idempotent, and exact under concurrency."""
    if value not in (-1, 0, 1):
        raise ValueError(value)
    ensure_can_write(voter)
    if comment.author_id == voter.id:
        raise PermissionDenied(_("On ne vote pas pour son propre message."))
    if comment.status != CommentStatus.published or comment.hidden_at is not None:
        raise NotFound(_("On ne peut voter que pour un message publié."))
    if not session.execute(
        sa.select(ARTICLE.c.comments_open).where(ARTICLE.c.id == comment.article_id)
    ).scalar():
        raise PermissionDenied(_("Ce débat est clos : les votes sont fermés."))

    old = _write_vote_row(session, voter=voter, comment=comment, value=value)
    d_up = int(value == 1) - int(old == 1)
    d_down = int(value == -1) - int(old == -1)
    if d_up or d_down:
        up, down = session.execute(
            sa.update(COMMENT)
            .where(COMMENT.c.id == comment.id)
            .values(upvotes=COMMENT.c.upvotes + d_up, downvotes=COMMENT.c.downvotes + d_down)
            .returning(COMMENT.c.upvotes, COMMENT.c.downvotes)
        ).one()
        # The row stays locked by the UPDATE above until commit, so these scores match its tallies.
        session.execute(
            sa.update(COMMENT)
            .where(COMMENT.c.id == comment.id)
            .values(score_best=wilson_lower_bound(up, down), score_controversy=controversy(up, down))
        )
        bump_version(session, comment.article_id)
    else:
        up, down = session.execute(
            sa.select(COMMENT.c.upvotes, COMMENT.c.downvotes).where(COMMENT.c.id == comment.id)
        ).one()
    session.expire(comment, ["upvotes", "downvotes", "score_best", "score_controversy"])
    if d_up or d_down:
        events.emit(
            session,
            events.article_channel(comment.article_id),
            "vote",
            {"id": comment.id, "upvotes": int(up), "downvotes": int(down)},
        )
    return VoteResult(upvotes=int(up), downvotes=int(down), my_vote=value)


def _write_vote_row(session: Session, *, voter: User, comment: Comment, value: int) -> int:
    """Store the vote and return the previous value. The unique (voter, comment) constraint settles a
    race on the insert; later changes lock the row (PostgreSQL) or run under BEGIN IMMEDIATE (SQLite)."""
    mine = sa.and_(VOTE.c.user_id == voter.id, VOTE.c.comment_id == comment.id)
    while True:
        if value != 0:
            inserted = session.execute(
                insert_ignore(session, VOTE)
                .values(user_id=voter.id, comment_id=comment.id, value=value, created_at=utcnow())
                .returning(VOTE.c.id)
            ).first()
            if inserted is not None:
                return 0
        previous = session.execute(sa.select(VOTE.c.value).where(mine).with_for_update()).scalar()
        if previous is None:
            if value == 0:
                return 0
            continue  # withdrawn by a concurrent request between our two statements: insert again
        if value == 0:
            session.execute(sa.delete(VOTE).where(mine))
        elif value != previous:
            session.execute(sa.update(VOTE).where(mine).values(value=value))
        return int(previous)


def toggle_vote(
    session: Session, *, voter: User, comment: Comment, direction: Literal[-1, 1] | int
) -> VoteResult:
    """The arrows of the page: the same arrow again withdraws the vote, the other one switches it."""
    if direction not in (-1, 1):
        raise ValueError(direction)
    old = current_vote(session, voter=voter, comment=comment)
    return set_vote(session, voter=voter, comment=comment, value=0 if old == direction else direction)

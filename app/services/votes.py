"""Up and down votes on comments. Tallies live on the comment row and move in the vote's transaction.

Voting is the busiest write of a debate, so its statements are built once, here, and run on the
session's connection: no ORM object is loaded or built (that costs several times the SQL itself)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from app.errors import DomainError, NotFound, PermissionDenied, Unauthorized
from app.i18n import _
from app.models import Article, Comment, CommentVote, utcnow
from app.services import events
from app.services.accounts import Principal, write_refusal
from app.services.comments import bump_version
from app.services.ranking import controversy, wilson_lower_bound
from app.services.sql import Db, Prepared, dialect_of, expire_loaded, insert_ignore
from app.services.visibility import is_live, is_visible

VOTE = CommentVote.__table__  # type: ignore[attr-defined]
COMMENT = Comment.__table__  # type: ignore[attr-defined]
ARTICLE = Article.__table__  # type: ignore[attr-defined]

# The comment a vote is for, and its tallies. On PostgreSQL its row is locked for the transaction
# (SQLite's writers are serialised by BEGIN IMMEDIATE): the tallies read here plus the vote's change
# are the new tallies, so one UPDATE writes them with their scores.
_TARGET = Prepared(
    sa.select(
        COMMENT.c.author_id,
        COMMENT.c.article_id,
        COMMENT.c.status,
        COMMENT.c.hidden_at,
        COMMENT.c.upvotes,
        COMMENT.c.downvotes,
        ARTICLE.c.comments_open,
    )
    .join(ARTICLE, ARTICLE.c.id == COMMENT.c.article_id)
    .where(COMMENT.c.id == sa.bindparam("comment_id"))
    .with_for_update(of=COMMENT)
)
# Bound as voter and target: an UPDATE or INSERT keeps the column names for its own parameters.
_MINE = sa.and_(VOTE.c.user_id == sa.bindparam("voter"), VOTE.c.comment_id == sa.bindparam("target"))
_CURRENT = Prepared(sa.select(VOTE.c.value).where(_MINE))
# Later changes lock the row (PostgreSQL) or run under BEGIN IMMEDIATE (SQLite).
_CURRENT_LOCKED = Prepared(sa.select(VOTE.c.value).where(_MINE).with_for_update())
_DELETE = Prepared(sa.delete(VOTE).where(_MINE))
_CHANGE = Prepared(sa.update(VOTE).where(_MINE).values(value=sa.bindparam("new_value")))
_TALLY = Prepared(
    sa.update(COMMENT)
    .where(COMMENT.c.id == sa.bindparam("comment_id"))
    .values(
        upvotes=sa.bindparam("up"),
        downvotes=sa.bindparam("down"),
        score_best=sa.bindparam("best"),
        score_controversy=sa.bindparam("controversy"),
    )
)
_INSERT: dict[str, Prepared] = {}  # per dialect: ON CONFLICT DO NOTHING is spelt by each


def _insert(session: Db) -> Prepared:
    name = dialect_of(session).name
    if name not in _INSERT:
        _INSERT[name] = Prepared(
            insert_ignore(session, VOTE)
            .values(
                user_id=sa.bindparam("voter"),
                comment_id=sa.bindparam("target"),
                value=sa.bindparam("new_value"),
                created_at=sa.bindparam("now"),
            )
            .returning(VOTE.c.id)
        )
    return _INSERT[name]


@dataclass(frozen=True)
class VoteResult:
    upvotes: int
    downvotes: int
    my_vote: int


def current_vote(session: Db, *, voter: Principal, comment_id: int) -> int:
    value = _CURRENT.scalar(session, {"voter": voter.id, "target": comment_id})
    return int(value or 0)


def refusal(
    voter: Principal | None, *, author_id: int | None, comments_open: bool, now: datetime | None = None
) -> DomainError | None:
    """Why this reader may not vote on a published comment, or None: the voting rights, written once
    for the service and for the pages that draw the arrows (can_vote)."""
    if voter is None:
        return Unauthorized(_("Connectez-vous pour voter."))
    refused = write_refusal(voter, now=now)
    if refused is not None:
        return refused
    if author_id == voter.id:
        return PermissionDenied(_("On ne vote pas pour son propre message."))
    if not comments_open:
        return PermissionDenied(_("Ce débat est clos : les votes sont fermés."))
    return None


def can_vote(voter: Principal | None, *, author_id: int | None, comments_open: bool) -> bool:
    return refusal(voter, author_id=author_id, comments_open=comments_open) is None


def set_vote(session: Db, *, voter: Principal, comment_id: int, value: Literal[-1, 0, 1] | int) -> VoteResult:
    """Set the voter's vote to value (0 withdraws). Idempotent, and exact under concurrency."""
    if value not in (-1, 0, 1):
        raise ValueError(value)
    return _vote(session, voter=voter, comment_id=comment_id, choose=lambda _old: value)


def toggle_vote(
    session: Db, *, voter: Principal, comment_id: int, direction: Literal[-1, 1] | int
) -> VoteResult:
    """The arrows of the page: the same arrow again withdraws the vote, the other one switches it."""
    if direction not in (-1, 1):
        raise ValueError(direction)
    return _vote(
        session, voter=voter, comment_id=comment_id, choose=lambda old: 0 if old == direction else direction
    )


def _vote(session: Db, *, voter: Principal, comment_id: int, choose: Callable[[int], int]) -> VoteResult:
    """The vote becomes choose(previous vote), in the guard chain's order: visible, allowed, published."""
    target = _TARGET.first(session, {"comment_id": comment_id})
    if target is None or not is_visible(target, voter):
        raise NotFound(_("Commentaire introuvable."))
    refused = refusal(voter, author_id=target.author_id, comments_open=True)
    if refused is not None:
        raise refused
    if not is_live(target.status, target.hidden_at):
        raise NotFound(_("On ne peut voter que pour un message publié."))
    if not target.comments_open:
        raise PermissionDenied(_("Ce débat est clos : les votes sont fermés."))

    old, value = _write_vote_row(session, voter_id=voter.id, comment_id=comment_id, choose=choose)
    up = target.upvotes + int(value == 1) - int(old == 1)
    down = target.downvotes + int(value == -1) - int(old == -1)
    if (up, down) != (target.upvotes, target.downvotes):
        _TALLY.run(
            session,
            {
                "comment_id": comment_id,
                "up": up,
                "down": down,
                "best": wilson_lower_bound(up, down),
                "controversy": controversy(up, down),
            },
        )
        bump_version(session, target.article_id)
        events.emit(
            session,
            events.article_channel(target.article_id),
            "vote",
            {"id": comment_id, "upvotes": up, "downvotes": down},
        )
    expire_loaded(session, Comment, comment_id, ["upvotes", "downvotes", "score_best", "score_controversy"])
    return VoteResult(upvotes=up, downvotes=down, my_vote=value)


def _write_vote_row(
    session: Db, *, voter_id: int | None, comment_id: int, choose: Callable[[int], int]
) -> tuple[int, int]:
    """Store the vote and return (previous value, new value). The unique (voter, comment) constraint
    settles a race on the insert; later changes lock the row (PostgreSQL) or run under BEGIN
    IMMEDIATE (SQLite). A first vote is one statement: the insert."""
    mine = {"voter": voter_id, "target": comment_id}
    while True:
        value = choose(0)
        if value != 0:
            inserted = _insert(session).first(session, {**mine, "new_value": value, "now": utcnow()})
            if inserted is not None:
                return 0, value
        previous = _CURRENT_LOCKED.scalar(session, mine)
        if previous is None:
            if value == 0:
                return 0, 0
            continue  # withdrawn by a concurrent request between our two statements: insert again
        value = choose(int(previous))
        if value == 0:
            _DELETE.run(session, mine)
        elif value != previous:
            _CHANGE.run(session, {**mine, "new_value": value})
        return int(previous), value

"""One reader on one debate: what they may do with each comment shown (the card's controls), and
what of theirs a page must show (their votes, their stance, their comments others cannot see).

The pages share one rendering of a debate between readers (web/shared.py) and put each reader's own
state into it; both that and the full rendering ask here, so the rules are written once."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.i18n import _
from app.models import Comment, CommentReport, CommentStatus, CommentVote, Role, Stance, StanceVote
from app.services import comments, votes
from app.services.accounts import Principal, can_write, is_staff
from app.services.rules import DEFAULT_RULES, Rules
from app.services.sql import Db, Prepared, dialect_of

COMMENT = Comment.__table__  # type: ignore[attr-defined]
VOTE = CommentVote.__table__  # type: ignore[attr-defined]
STANCE = StanceVote.__table__  # type: ignore[attr-defined]
REPORT = CommentReport.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Actions:
    """What one reader may do with one published comment."""

    my_vote: int = 0
    can_vote: bool = False
    can_report: bool = False
    can_edit: bool = False
    can_delete: bool = False
    can_feature: bool = False
    # Anonymous readers are offered the reply link (it leads to the login); suspended ones are not.
    can_reply: bool = True
    # Why the arrows cannot be used, said beside them ("Connectez-vous pour voter."), or "".
    vote_refusal: str = ""
    # They reported it already: the report link is not offered again.
    reported: bool = False


def actions(
    viewer: Principal | None,
    *,
    author_id: int | None,
    created_at: datetime,
    comments_open: bool,
    my_vote: int = 0,
    reported: bool = False,
    rules: Rules = DEFAULT_RULES,
    now: datetime | None = None,
) -> Actions:
    if viewer is None:
        return Actions(vote_refusal=_("Connectez-vous pour voter."))
    mine = author_id == viewer.id
    staff = is_staff(viewer)
    writes = can_write(viewer, now=now)
    refused = votes.refusal(viewer, author_id=author_id, comments_open=comments_open, now=now)
    return Actions(
        my_vote=my_vote,
        can_vote=refused is None,
        # A suspended reader is told why once, in the composer; beside each arrow, in short.
        vote_refusal=""
        if refused is None
        else (str(refused) if writes else _("Votre compte ne peut pas voter pour l’instant.")),
        can_reply=writes,
        reported=reported,
        can_report=not mine and comments_open and writes and not reported,
        can_edit=comments.may_edit(
            viewer,
            author_id=author_id,
            status=CommentStatus.published,  # the controls are drawn for published comments only
            created_at=created_at,
            rules=rules,
            now=now,
        ),
        can_delete=mine or staff,
        can_feature=is_staff(viewer, Role.editor),
    )


@dataclass
class Marks:
    """A reader's own state on one debate, read in one statement."""

    votes: dict[int, int] = field(default_factory=dict)
    # The comments shown that they reported.
    reported: set[int] = field(default_factory=set)
    stance: Stance | None = None
    # Some comment of theirs is listed for them alone (pending, hidden, or rejected with its reason):
    # the shared rendering, made for everyone, cannot show it.
    has_own_unlisted: bool = False


# (Written without IN: a prepared statement's parameters are fixed.)
_UNLISTED = sa.or_(
    COMMENT.c.status == CommentStatus.pending,
    COMMENT.c.status == CommentStatus.rejected,
    sa.and_(COMMENT.c.hidden_at.is_not(None), COMMENT.c.status != CommentStatus.deleted),
)


REPORTED = 2  # a vote is -1 or 1


def _marks_statement(ids: Callable[[sa.Column[Any]], sa.ColumnElement[Any]]) -> Prepared:
    return Prepared(
        sa.union_all(
            # Their votes on the comments shown: through the (user, comment) unique index.
            sa.select(VOTE.c.comment_id.label("ref"), VOTE.c.value.label("value")).where(
                VOTE.c.user_id == sa.bindparam("user_id"), ids(VOTE.c.comment_id)
            ),
            # Their reports on them (value REPORTED): through the (reporter, comment) unique index.
            sa.select(REPORT.c.comment_id.label("ref"), sa.literal(REPORTED).label("value")).where(
                REPORT.c.reporter_id == sa.bindparam("user_id"), ids(REPORT.c.comment_id)
            ),
            # Their answer to the question: 0 with 1, 2, 3 for the stances in Stance's order.
            sa.select(
                sa.literal(0).label("ref"),
                sa.case(
                    *((STANCE.c.stance == stance, index + 1) for index, stance in enumerate(Stance)),
                    else_=0,
                ).label("value"),
            ).where(
                STANCE.c.user_id == sa.bindparam("user_id"), STANCE.c.article_id == sa.bindparam("article_id")
            ),
            # -1 when a comment of theirs is listed for them alone.
            sa.select(sa.literal(-1).label("ref"), sa.literal(0).label("value")).where(
                sa.exists().where(
                    COMMENT.c.author_id == sa.bindparam("user_id"),
                    # Through the author's index (their few comments), never the article's: "+ 0"
                    # keeps SQLite, which has no statistics, from walking a 100,000-comment debate.
                    COMMENT.c.article_id + 0 == sa.bindparam("article_id"),
                    _UNLISTED,
                )
            ),
        )
    )


# The shown ids travel as one parameter (a prepared statement's parameters are fixed): a JSON array
# that SQLite's json_each reads, a PostgreSQL array.
_MARKS = {
    "sqlite": _marks_statement(
        lambda column: column.in_(
            sa.select(sa.column("value")).select_from(sa.func.json_each(sa.bindparam("ids")))
        )
    ),
    "postgresql": _marks_statement(
        lambda column: column == sa.func.any(sa.bindparam("ids", type_=postgresql.ARRAY(sa.Integer)))
    ),
}


def marks(db: Db, *, viewer: Principal | None, article_id: int, shown: Sequence[int]) -> Marks:
    """The reader's state on this debate, with their votes on the comments shown."""
    if viewer is None:
        return Marks()
    found = Marks()
    stances = list(Stance)
    dialect = dialect_of(db).name
    ids: object = json.dumps(list(shown)) if dialect == "sqlite" else list(shown)
    for ref, value in _MARKS[dialect].rows(db, {"user_id": viewer.id, "article_id": article_id, "ids": ids}):
        if ref > 0 and value == REPORTED:
            found.reported.add(ref)
        elif ref > 0:
            found.votes[ref] = int(value)
        elif ref == 0 and value:
            found.stance = stances[int(value) - 1]
        elif ref == -1:
            found.has_own_unlisted = True
    return found

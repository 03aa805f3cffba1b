"""How a reply answers (issue 20): the rule on its kind (only replies have one; a reply that brings a
source holds a link) and the debate view's strongest rebuttal under each argument. The counts of
supports and rebuttals live on the rows and move with the other counters (comments/counters.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.errors import Invalid
from app.i18n import _
from app.models import Comment, CommentStatus, ReplyKind

COMMENT = Comment.__table__  # type: ignore[attr-defined]
# A web address in the Markdown, bare or in a [link](…): what the renderer makes a link of.
LINK = re.compile(r"https?://[^\s<>()\[\]]+\.[^\s<>()\[\]]+", re.IGNORECASE)


def check_kind(kind: ReplyKind | None, *, is_reply: bool, body: str) -> None:
    """Refuse a kind on a top-level reaction, and a source brought without a link."""
    if kind is None:
        return
    if not is_reply:
        raise Invalid(
            _("Seule une réponse dit comment elle répond : une réaction principale prend position."),
            field="reply_kind",
        )
    if kind is ReplyKind.brings_source and not LINK.search(body):
        raise Invalid(
            _("Une réponse qui apporte une source doit contenir un lien (https://…) vers cette source."),
            field="reply_kind",
        )


def best_rebuttals(session: Session, parent_ids: Sequence[int]) -> dict[int, Comment]:
    """The most-voted live rebuttal answering each of these comments, in one query."""
    if not parent_ids:
        return {}
    ranked = (
        sa.select(
            COMMENT.c.id,
            sa.func.row_number()
            .over(partition_by=COMMENT.c.parent_id, order_by=[COMMENT.c.score_best.desc(), COMMENT.c.id])
            .label("rn"),
        )
        .where(
            COMMENT.c.parent_id.in_(list(parent_ids)),
            COMMENT.c.reply_kind == ReplyKind.rebuts,
            # Written so that no index matches the status: the query walks ix_comment_parent for
            # these parents, not every published comment through ix_comment_status.
            sa.type_coerce(COMMENT.c.status, sa.String).concat("") == CommentStatus.published.value,
            COMMENT.c.hidden_at.is_(None),
        )
        .subquery()
    )
    rows = session.exec(select(Comment).join(ranked, ranked.c.id == col(Comment.id)).where(ranked.c.rn == 1))
    return {c.parent_id: c for c in rows.all() if c.parent_id is not None}

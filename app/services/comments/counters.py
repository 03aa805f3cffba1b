"""The counts kept on rows (an article's reactions, a comment's replies) and the article's version: moved
by atomic UPDATEs, so posting, editing, deleting and moderation never read-modify-write them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from app.models import Article, Comment, ReplyKind
from app.services.sql import Db, Prepared, expire_loaded

COMMENT = Comment.__table__  # type: ignore[attr-defined]
ARTICLE = Article.__table__  # type: ignore[attr-defined]

_REPLY_COUNT = Prepared(
    sa.update(COMMENT)
    .where(COMMENT.c.id == sa.bindparam("parent"))
    .values(
        reply_count=COMMENT.c.reply_count + sa.bindparam("d_replies"),
        support_count=COMMENT.c.support_count + sa.bindparam("d_supports"),
        rebuttal_count=COMMENT.c.rebuttal_count + sa.bindparam("d_rebuts"),
    )
)
_ARTICLE_COUNTS = Prepared(
    sa.update(ARTICLE)
    .where(ARTICLE.c.id == sa.bindparam("target_article"))
    .values(
        comment_count=ARTICLE.c.comment_count + sa.bindparam("d_published"),
        top_level_count=ARTICLE.c.top_level_count + sa.bindparam("d_top"),
        version=ARTICLE.c.version + 1,
    )
)


def move_counters(
    session: Session, *, comment: Comment, published: int = 0, public: int = 0, top_level: int = 0
) -> None:
    """Move the counters kept on rows with atomic UPDATEs (no read-modify-write race).
    Comment rows are always locked before the article row, in every service, so no two
    transactions wait on each other in a cycle."""
    # A supporting or rebutting reply counts on its parent while it is published (issue 20).
    d_supports = published if comment.reply_kind == ReplyKind.supports else 0
    d_rebuts = published if comment.reply_kind == ReplyKind.rebuts else 0
    moves_parent = comment.parent_id is not None and bool(public or d_supports or d_rebuts)
    if moves_parent:
        _REPLY_COUNT.run(
            session,
            {
                "parent": comment.parent_id,
                "d_replies": public,
                "d_supports": d_supports,
                "d_rebuts": d_rebuts,
            },
        )
    _ARTICLE_COUNTS.run(
        session, {"target_article": comment.article_id, "d_published": published, "d_top": top_level}
    )
    expire_loaded(session, Article, comment.article_id, ["comment_count", "top_level_count", "version"])
    if moves_parent and comment.parent_id is not None:
        expire_loaded(session, Comment, comment.parent_id, ["reply_count", "support_count", "rebuttal_count"])


def count_removal(session: Session, *, comment: Comment) -> None:
    """A published comment taken down by moderation: its tombstone keeps its place among the replies,
    but it no longer counts as a published reaction."""
    move_counters(session, comment=comment, published=-1, top_level=-int(comment.parent_id is None))


_BUMP = Prepared(
    sa.update(ARTICLE).where(ARTICLE.c.id == sa.bindparam("article_id")).values(version=ARTICLE.c.version + 1)
)


def bump_version(session: Db, article_id: int) -> None:
    """Every change a page shows moves the article's version: cached renders of it are then stale."""
    _BUMP.run(session, {"article_id": article_id})
    expire_loaded(session, Article, article_id, ["version"])

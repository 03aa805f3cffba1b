"""The debate as open data (issue 18): every published reaction of an article with its id, parent,
stance, time, vote tallies and featured flag, its author as a keyed-hash pseudonym (HMAC with the
site's secret: stable, never the handle nor the id), under the licence the site sets. What is not
published to everyone (removed, hidden after reports, pending, deleted, erased) never appears."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.models import Article, Comment, CommentStatus, ReplyKind, Stance
from app.security import sign

COMMENT = Comment.__table__  # type: ignore[attr-defined]
COLUMNS = [
    "id",
    "parent_id",
    "stance",
    "reply_kind",
    "created_at",
    "upvotes",
    "downvotes",
    "featured",
    "author",
]
COLUMNS.append("body")  # the reaction's text as its author wrote it (Markdown), last: the longest field


@dataclass(frozen=True)
class Licence:
    name: str
    url: str


def pseudonym(secret: str, author_id: int | None) -> str | None:
    """A stable pseudonym: the same reader has the same one in every debate; without the key, it
    cannot be turned back into an account. An erased account's kept reactions have none."""
    if author_id is None:
        return None
    return sign(secret, "open-data-author", str(author_id))[:16]


def reactions(session: Session, *, article: Article, secret: str) -> list[dict[str, Any]]:
    """One indexed read of the debate (ix_comment_article_latest), published and visible rows only."""
    rows = session.execute(
        sa.select(
            COMMENT.c.id,
            COMMENT.c.parent_id,
            COMMENT.c.stance,
            COMMENT.c.reply_kind,
            COMMENT.c.created_at,
            COMMENT.c.upvotes,
            COMMENT.c.downvotes,
            COMMENT.c.featured_at,
            COMMENT.c.author_id,
            COMMENT.c.body_markdown,
        )
        .where(
            COMMENT.c.article_id == article.id,
            COMMENT.c.status == CommentStatus.published,
            COMMENT.c.hidden_at.is_(None),
        )
        .order_by(COMMENT.c.id)
    ).all()
    return [
        {
            "id": r.id,
            "parent_id": r.parent_id,
            "stance": Stance(r.stance).value if r.stance is not None else None,
            "reply_kind": ReplyKind(r.reply_kind).value if r.reply_kind is not None else None,
            "created_at": r.created_at.isoformat(),
            "upvotes": r.upvotes,
            "downvotes": r.downvotes,
            "featured": r.featured_at is not None,
            "author": pseudonym(secret, r.author_id),
            "body": r.body_markdown,
        }
        for r in rows
    ]


def as_json(article: Article, items: list[dict[str, Any]], licence: Licence, source: str) -> dict[str, Any]:
    return {
        "article": {"slug": article.slug, "title": article.title, "url": source},
        "licence": {"name": licence.name, "url": licence.url},
        "fields": COLUMNS,
        "reactions": items,
    }


def as_csv(items: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        writer.writerow({**item, "featured": "true" if item["featured"] else "false"})
    return out.getvalue()

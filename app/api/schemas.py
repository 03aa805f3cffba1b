"""Response shapes (documentation in the OpenAPI) and the functions that build them fast."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

from app.models import Article, Comment, CommentStatus
from app.services.accounts import Principal
from app.services.comments import Node, own_body


class UserOut(BaseModel):
    username: str
    role: str
    created_at: datetime
    # The name the reader chose to show, in any letters (issue 15); null when they kept the username.
    display_name: str | None = None


class FeaturedOut(BaseModel):
    note: str | None
    rank: int | None
    by: str | None
    at: datetime


class CommentOut(BaseModel):
    id: int
    article_slug: str
    parent_id: int | None
    author: UserOut | None
    stance: Literal["for", "against", "nuanced"] | None
    body_html: str
    body_markdown: str | None = None
    status: Literal["published", "pending", "rejected", "deleted"]
    rejection_reason: str | None
    created_at: datetime
    edited_at: datetime | None
    upvotes: int
    downvotes: int
    my_vote: Literal[-1, 0, 1]
    reply_count: int
    featured: FeaturedOut | None
    replies: list[CommentOut]
    more_replies: int
    # How a reply answers (issue 20), and the published replies that support or rebut this comment.
    reply_kind: Literal["supports", "rebuts", "asks_source", "brings_source"] | None = None
    support_count: int = 0
    rebuttal_count: int = 0
    # Search results only: the passage that matched, escaped, the words in <mark>.
    snippet: str | None = None


class CommentPage(BaseModel):
    items: list[CommentOut]
    next_cursor: str | None


class CommentList(BaseModel):
    items: list[CommentOut]


class ThreadOut(BaseModel):
    items: list[CommentOut]
    count: int


class ArticleOut(BaseModel):
    slug: str
    title: str
    lede: str
    question: str
    stances: dict[str, str]
    comments_open: bool
    premoderation: bool
    comment_count: int
    published_at: datetime | None
    tally: dict[str, int]
    my_stance: Literal["for", "against", "nuanced"] | None


class ArticlePage(BaseModel):
    items: list[ArticleOut]
    next_cursor: str | None


class SessionOut(BaseModel):
    user: UserOut | None
    csrf_token: str


class LoginOut(BaseModel):
    user: UserOut
    csrf_token: str


class VoteOut(BaseModel):
    upvotes: int
    downvotes: int
    my_vote: Literal[-1, 0, 1]


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def user_out(user: Principal | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "username": user.username,
        "role": user.role.value if user.role else "reader",
        "created_at": iso(user.created_at),
        "display_name": user.display_name,
    }


def article_out(article: Article, my_stance: str | None = None) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "lede": article.lede,
        "question": article.question,
        "stances": {
            "for": article.label_for,
            "against": article.label_against,
            "nuanced": article.label_nuanced,
        },
        "comments_open": article.comments_open,
        "premoderation": article.premoderation,
        "comment_count": article.comment_count,
        "published_at": iso(article.published_at),
        "tally": article.tally,
        "my_stance": my_stance,
    }


def comment_out(node: Node, *, slug: str, viewer: Principal | None) -> dict[str, Any]:
    c: Comment = node.comment
    status = c.status.value if hasattr(c.status, "value") else str(c.status)
    show_body = c.status == CommentStatus.published or (
        c.status in (CommentStatus.pending, CommentStatus.rejected) and own_body(c, viewer)
    )
    if c.hidden_at is not None and not own_body(c, viewer):
        show_body = False
    featured = None
    if c.featured_at is not None:
        by = node.featured_by
        featured = {
            "note": c.featured_note,
            "rank": c.featured_rank,
            "by": by.username if by else None,
            "at": iso(c.featured_at),
        }
    out: dict[str, Any] = {
        "id": c.id,
        "article_slug": slug,
        "parent_id": c.parent_id,
        "author": user_out(node.author) if c.status != CommentStatus.deleted else None,
        "stance": c.stance.value if c.stance else None,
        "body_html": c.body_html if show_body else "",
        "status": status,
        "rejection_reason": c.rejection_reason.value if c.rejection_reason else None,
        "created_at": iso(c.created_at),
        "edited_at": iso(c.edited_at),
        "upvotes": c.upvotes,
        "downvotes": c.downvotes,
        "my_vote": node.my_vote,
        "reply_count": node.visible_replies or c.reply_count,
        "featured": featured,
        "replies": [comment_out(r, slug=slug, viewer=viewer) for r in node.replies],
        "more_replies": node.more_replies,
        "reply_kind": str(c.reply_kind) if c.reply_kind else None,
        "support_count": c.support_count,
        "rebuttal_count": c.rebuttal_count,
    }
    if viewer is not None and own_body(c, viewer):
        out["body_markdown"] = c.body_markdown
    return out

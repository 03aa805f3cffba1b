"""Posting a reaction or a reply: the screening that sets its first status, one prepared INSERT, the
counters, the announcement to open pages and the reply's notification; and moderation's publish."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.errors import Invalid, PermissionDenied
from app.i18n import _
from app.models import Article, Comment, CommentStatus, User, utcnow
from app.models.schemas import CommentCreate
from app.services import events, notifications, screening
from app.services.accounts import Principal, ensure_can_write
from app.services.comments.counters import move_counters
from app.services.ratelimit import Limiter
from app.services.rendering import render_comment
from app.services.replykinds import check_kind
from app.services.rules import DEFAULT_RULES, Rules
from app.services.sql import Prepared, persistent
from app.services.visibility import PUBLIC_STATUSES, is_visible
from app.text import MAX_ID

COMMENT = Comment.__table__  # type: ignore[attr-defined]


def initial_status(
    session: Session, *, author: Principal, article: Article, body: str, rules: Rules
) -> CommentStatus:
    """Held (pending) when the article is pre-moderated, the author is not yet trusted, or a hold word
    matches; a block word refuses the comment outright."""
    held = screening.screen(session, author=author, article=article, body=body, rules=rules)
    return CommentStatus.pending if held else CommentStatus.published


# What posting a reply needs of its parent, read without loading the row through the ORM.
_PARENT = Prepared(
    sa.select(
        COMMENT.c.id,
        COMMENT.c.article_id,
        COMMENT.c.root_id,
        COMMENT.c.depth,
        COMMENT.c.author_id,
        COMMENT.c.status,
        COMMENT.c.hidden_at,
    ).where(COMMENT.c.id == sa.bindparam("parent"))
)


_COLUMNS = [column.key for column in COMMENT.columns if column.key != "id"]
_INSERT = Prepared(
    sa.insert(COMMENT).values({key: sa.bindparam(key) for key in _COLUMNS}).returning(COMMENT.c.id)
)
# What a new comment holds unless posting says otherwise: the model's defaults (plain values; the one
# default made by a function, created_at's, posting always sets).
_DEFAULTS = {
    key: field.default
    for key, field in Comment.model_fields.items()
    if key in _COLUMNS and not field.is_required() and field.default_factory is None
}


def _insert(session: Session, values: dict[str, Any]) -> Comment:
    """INSERT the new comment as one prepared statement, and give the session the row it now holds:
    the ORM's flush of one new object cost more than the rest of posting."""
    row = {**_DEFAULTS, **values}
    row["id"] = _INSERT.scalar(session, row)
    return persistent(session, Comment, row)


def stance_refusal(*, parent_id: int | None, stance: object) -> Invalid | None:
    """A reaction takes a stance, a reply does not. Asked before anything else is known too, so that
    an empty form lists every missing field at once."""
    if parent_id is not None and stance is not None:
        return Invalid(
            _("Une réponse ne prend pas position : seule une réaction principale a une position."),
            field="stance",
        )
    if parent_id is None and stance is None:
        return Invalid(
            _("Choisissez votre position sur la question avant de publier votre réaction."),
            field="stance",
        )
    return None


def post_comment(
    session: Session,
    *,
    author: Principal,
    article: Article,
    data: CommentCreate,
    rules: Rules = DEFAULT_RULES,
    now: datetime | None = None,
    limiter: Limiter | None = None,
) -> Comment:
    ensure_can_write(author, now=now)
    if not article.comments_open:
        raise PermissionDenied(_("Ce débat est clos : on ne peut plus y réagir."))
    parent: Any = None
    if data.parent_id is not None:
        if not 1 <= data.parent_id <= MAX_ID:
            raise Invalid(_("Le message auquel vous répondez n’existe pas."), field="parent_id")
        parent = _PARENT.first(session, {"parent": data.parent_id})
        if parent is None or not is_visible(parent, author):
            raise Invalid(_("Le message auquel vous répondez n’existe pas."), field="parent_id")
        if parent.article_id != article.id:
            raise Invalid(
                _("Le message auquel vous répondez appartient à un autre article."),
                field="parent_id",
            )
        if parent.status != CommentStatus.published:
            raise Invalid(_("On ne peut répondre qu’à un message publié."), field="parent_id")
    refusal = stance_refusal(parent_id=data.parent_id, stance=data.stance)
    if refusal is not None:
        raise refusal
    check_kind(data.reply_kind, is_reply=parent is not None, body=data.body)
    status = initial_status(session, author=author, article=article, body=data.body, rules=rules)
    if limiter is not None:
        # Counted only once the comment is known to be acceptable: a form sent back for a fix is free.
        limiter.hit_comment(user_id=author.id, body=data.body)
    comment = _insert(
        session,
        {
            "article_id": article.id,
            "parent_id": parent.id if parent else None,
            "root_id": (parent.root_id or parent.id) if parent else None,
            "depth": parent.depth + 1 if parent else 0,
            "author_id": author.id,
            "body_markdown": data.body,
            "body_html": render_comment(data.body),
            "stance": data.stance,
            "reply_kind": data.reply_kind,
            "status": status,
            "created_at": now or utcnow(),
        },
    )
    if status == CommentStatus.published:
        move_counters(session, comment=comment, published=1, public=1, top_level=int(parent is None))
        announce(session, comment)
        if parent is not None:
            notifications.notify(
                session, user_id=parent.author_id, kind="reply", comment=comment, actor=author
            )
    return comment


def publish(session: Session, *, comment: Comment) -> None:
    """Make a held comment public (moderation's approve) and count it."""
    was_public = comment.status in PUBLIC_STATUSES
    comment.status = CommentStatus.published
    session.flush()
    if not was_public:
        move_counters(
            session, comment=comment, published=1, public=1, top_level=int(comment.parent_id is None)
        )
        announce(session, comment)
        if comment.parent_id is not None:
            _notify_held_reply(session, comment)


def _notify_held_reply(session: Session, comment: Comment) -> None:
    """A held reply reaches the reader it answers when it is published, as a trusted one does: once
    (a reply held again after an edit, or restored on appeal, was already told of), and only under a
    comment still published, the only kind one may reply to."""
    parent = session.get(Comment, comment.parent_id)
    author = session.get(User, comment.author_id) if comment.author_id else None
    if parent is None or author is None or parent.status != CommentStatus.published:
        return
    if notifications.was_notified(session, comment_id=comment.id, kind="reply"):
        return
    notifications.notify(session, user_id=parent.author_id, kind="reply", comment=comment, actor=author)


def announce(session: Session, comment: Comment) -> None:
    """Tell open pages of the article that a comment is now published (never a pending one)."""
    events.emit(
        session,
        events.article_channel(comment.article_id),
        "comment",
        {"id": comment.id, "parent_id": comment.parent_id, "depth": comment.depth},
    )

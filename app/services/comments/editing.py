"""Editing and deleting a comment: who may edit it and until when (can_edit), the revision kept of each
earlier body, a held word sending it back to moderation, and the soft or hard delete."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.errors import PermissionDenied
from app.i18n import _
from app.models import Comment, CommentRevision, CommentStatus, WordEffect, utcnow
from app.models.schemas import CommentUpdate
from app.services import screening
from app.services.accounts import Principal, ensure_can_write, is_staff
from app.services.comments.counters import bump_version, move_counters
from app.services.rendering import render_comment
from app.services.replykinds import check_kind
from app.services.rules import DEFAULT_RULES, Rules
from app.services.visibility import PUBLIC_STATUSES


def can_edit(
    comment: Comment, user: Principal | None, *, rules: Rules = DEFAULT_RULES, now: datetime | None = None
) -> bool:
    return may_edit(
        user,
        author_id=comment.author_id,
        status=comment.status,
        created_at=comment.created_at,
        rules=rules,
        now=now,
    )


def may_edit(
    user: Principal | None,
    *,
    author_id: int | None,
    status: CommentStatus,
    created_at: datetime,
    rules: Rules = DEFAULT_RULES,
    now: datetime | None = None,
) -> bool:
    """The edit rule: the staff always, the author within the edit window; never a removed comment.
    (can_edit for a loaded comment; the pages' shared renderings ask with the values they keep.)"""
    if user is None or status in (CommentStatus.deleted, CommentStatus.rejected):
        return False
    if is_staff(user):
        return True
    return author_id == user.id and (now or utcnow()) - created_at <= rules.edit_window


def edit_comment(
    session: Session,
    *,
    user: Principal,
    comment: Comment,
    data: CommentUpdate,
    rules: Rules = DEFAULT_RULES,
    now: datetime | None = None,
) -> Comment:
    now = now or utcnow()
    if comment.author_id != user.id and not is_staff(user):
        raise PermissionDenied(_("Vous ne pouvez modifier que vos propres messages."))
    if comment.author_id == user.id:
        ensure_can_write(user, now=now)
    if comment.status in (CommentStatus.deleted, CommentStatus.rejected):
        raise PermissionDenied(_("Ce message ne peut plus être modifié."))
    if not can_edit(comment, user, rules=rules, now=now):
        minutes = int(rules.edit_window.total_seconds() // 60)
        raise PermissionDenied(
            _("Le délai de modification ({minutes} minutes) est dépassé.").format(minutes=minutes)
        )
    if data.body == comment.body_markdown:
        return comment
    check_kind(comment.reply_kind, is_reply=comment.parent_id is not None, body=data.body)
    found = screening.match_words(session, data.body)
    if found is not None and found.effect == WordEffect.block:
        raise screening.blocked(found.phrase)
    if found is not None and comment.status == CommentStatus.published and not is_staff(user):
        # An edit cannot slip a held word past moderation: the comment goes back to the queue.
        comment.status = CommentStatus.pending
        move_counters(
            session, comment=comment, published=-1, public=-1, top_level=-int(comment.parent_id is None)
        )
    session.add(CommentRevision(comment_id=comment.id, body_markdown=comment.body_markdown, created_at=now))
    comment.body_markdown = data.body
    comment.body_html = render_comment(data.body)
    comment.edited_at = now
    bump_version(session, comment.article_id)
    session.flush()
    return comment


def ensure_can_delete(user: Principal, comment: Comment) -> None:
    """Its author or the staff: asked before the confirmation too, so nobody is asked for nothing."""
    if comment.author_id != user.id and not is_staff(user):
        raise PermissionDenied(_("Vous ne pouvez supprimer que vos propres messages."))


def delete_comment(
    session: Session, *, user: Principal, comment: Comment, now: datetime | None = None
) -> bool:
    """Delete a comment. Returns True when the row is gone, False when a placeholder stays for its replies."""
    ensure_can_delete(user, comment)
    if comment.status == CommentStatus.deleted:
        return False
    was_published = comment.status == CommentStatus.published
    was_public = comment.status in PUBLIC_STATUSES
    has_replies = session.exec(select(Comment.id).where(Comment.parent_id == comment.id).limit(1)).first()
    if has_replies is not None:
        # Soft delete: replies still point at this row, so a "[supprimé]" placeholder keeps their place.
        comment.status = CommentStatus.deleted
        comment.body_markdown = ""
        comment.body_html = ""
        comment.deleted_at = now or utcnow()
        session.flush()
        move_counters(session, comment=comment, published=-int(was_published), top_level=0)
        return False
    session.delete(comment)
    session.flush()
    move_counters(
        session,
        comment=comment,
        published=-int(was_published),
        public=-int(was_public),
        top_level=-int(was_published and comment.parent_id is None),
    )
    return True

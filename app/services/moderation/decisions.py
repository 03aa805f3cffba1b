"""A moderator's decision on a comment, approve or reject with a reason, and what its author is told."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.errors import Conflict, Invalid
from app.i18n import _
from app.models import Comment, CommentReport, CommentStatus, Reason, User, utcnow
from app.services import audit, comments, notifications
from app.services.accounts import Principal
from app.services.sql import expire_loaded


def _count_decision(session: Session, author_id: int | None, column: str) -> None:
    """Move the author's approved or rejected count atomically, and refresh a loaded copy."""
    if author_id is None:
        return
    table = User.__table__  # type: ignore[attr-defined]
    session.execute(sa.update(table).where(table.c.id == author_id).values({column: table.c[column] + 1}))
    expire_loaded(session, User, author_id, [column])


def _resolve_reports(session: Session, comment: Comment, now: datetime) -> None:
    session.execute(
        sa.update(CommentReport)
        .where(col(CommentReport.comment_id) == comment.id, col(CommentReport.resolved_at).is_(None))
        .values(resolved_at=now)
    )
    comment.report_count = 0


def approve(session: Session, *, moderator: Principal, comment: Comment, note: str | None = None) -> Comment:
    now = utcnow()
    was_pending = comment.status == CommentStatus.pending
    if comment.status not in (CommentStatus.pending, CommentStatus.published):
        raise Conflict(_("Ce message ne peut pas être approuvé dans son état actuel."))
    if was_pending:
        comments.publish(session, comment=comment)
        _count_decision(session, comment.author_id, "approved_count")
    comment.hidden_at = None
    comment.rejection_reason = None
    comment.rejection_note = None
    comment.decided_at = now
    _resolve_reports(session, comment, now)
    session.flush()
    comments.bump_version(session, comment.article_id)
    audit.record(
        session,
        actor=moderator,
        action="approve",
        target_type="comment",
        target_id=comment.id,
        target_label=audit.excerpt(comment.body_markdown),
        note=note,
    )
    if was_pending:
        notifications.notify(
            session, user_id=comment.author_id, kind="approved", comment=comment, actor=moderator
        )
    return comment


def reject(
    session: Session,
    *,
    moderator: Principal,
    comment: Comment,
    reason: Reason | None,
    note: str | None = None,
) -> Comment:
    if reason is None:
        raise Invalid(_("Choisissez la raison du refus : l’auteur la verra."), field="reason")
    if comment.status not in (CommentStatus.pending, CommentStatus.published):
        raise Conflict(_("Ce message ne peut pas être refusé dans son état actuel."))
    now = utcnow()
    was_published = comment.status == CommentStatus.published
    comment.status = CommentStatus.rejected
    comment.rejection_reason = reason
    comment.rejection_note = (note or "").strip()[:1000] or None
    comment.decided_at = now
    # A published comment leaves a tombstone where it stood; one nobody saw stays out of sight.
    comment.hidden_at = None if was_published else now
    _resolve_reports(session, comment, now)
    session.flush()
    if was_published:
        comments.count_removal(session, comment=comment)
    else:
        comments.bump_version(session, comment.article_id)
    _count_decision(session, comment.author_id, "rejected_count")
    audit.record(
        session,
        actor=moderator,
        action="reject",
        target_type="comment",
        target_id=comment.id,
        target_label=audit.excerpt(comment.body_markdown),
        reason=reason.value,
        note=comment.rejection_note,
    )
    notifications.notify(
        session,
        user_id=comment.author_id,
        kind="rejected",
        comment=comment,
        actor=moderator,
        reason=reason.value,
        message=comment.rejection_note,
    )
    return comment


def decide(
    session: Session,
    *,
    moderator: Principal,
    comment: Comment,
    action: str,
    reason: Reason | None = None,
    note: str | None = None,
) -> Comment:
    if action == "approve":
        return approve(session, moderator=moderator, comment=comment, note=note)
    if action == "reject":
        return reject(session, moderator=moderator, comment=comment, reason=reason, note=note)
    raise Invalid(_("Décision inconnue : approve ou reject."), field="action")


def decide_many(
    session: Session,
    *,
    moderator: Principal,
    ids: list[int],
    action: str,
    reason: Reason | None = None,
    note: str | None = None,
) -> int:
    """Apply one decision to several comments; returns how many were decided."""
    if not ids:
        raise Invalid(_("Sélectionnez au moins un message."), field="ids")
    done = 0
    for comment in session.exec(
        select(Comment).where(col(Comment.id).in_(ids[:100])).order_by(col(Comment.id))
    ):
        decide(session, moderator=moderator, comment=comment, action=action, reason=reason, note=note)
        done += 1
    return done

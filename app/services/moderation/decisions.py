"""A moderator's decision on a comment, approve or reject with a reason, and what its author is told."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.errors import Conflict, Invalid
from app.i18n import _
from app.models import Comment, CommentReport, CommentStatus, Reason, Restriction, Statement, User, utcnow
from app.services import audit, comments, notifications, terms
from app.services.accounts import Principal
from app.services.comments.counters import move_counters
from app.services.moderation import statements
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
    ground: str | None = None,
    notice_id: int | None = None,
) -> Statement:
    """Take a comment down and send its author the statement of reasons (returned)."""
    if reason is None:
        raise Invalid(_("Choisissez la raison du refus : l’auteur la verra."), field="reason")
    if comment.status not in (CommentStatus.pending, CommentStatus.published):
        raise Conflict(_("Ce message ne peut pas être refusé dans son état actuel."))
    cited = statements.resolve_ground(session, ground=ground, default_rule=terms.REASON_RULE[reason])
    now = utcnow()
    was_published = comment.status == CommentStatus.published
    automation = statements.automation_of(session, comment=comment, was_pending=not was_published)
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
    return statements.issue(
        session,
        user_id=comment.author_id,
        restriction=Restriction.removed,
        facts=statements.comment_facts(comment, comment.rejection_note),
        ground=cited,
        automation=automation,
        moderator=moderator,
        comment=comment,
        reason=reason.value,
        notice_id=notice_id,
        message=comment.rejection_note,
    )


def restore(session: Session, *, moderator: Principal, comment: Comment, note: str | None = None) -> Comment:
    """Undo a removal (an appeal reversed it): the comment is published again at once."""
    if comment.status != CommentStatus.rejected:
        if comment.status == CommentStatus.published and comment.hidden_at is not None:
            return approve(session, moderator=moderator, comment=comment, note=note)  # an auto-hide
        return comment
    never_seen = comment.hidden_at is not None
    comment.hidden_at = None
    comment.rejection_reason = None
    comment.rejection_note = None
    comment.decided_at = utcnow()
    if never_seen:
        comment.status = CommentStatus.pending
        comments.publish(session, comment=comment)
    else:
        comment.status = CommentStatus.published
        session.flush()
        move_counters(session, comment=comment, published=1, top_level=int(comment.parent_id is None))
    comments.bump_version(session, comment.article_id)
    audit.record(
        session,
        actor=moderator,
        action="restore",
        target_type="comment",
        target_id=comment.id,
        target_label=audit.excerpt(comment.body_markdown),
        note=note,
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
    ground: str | None = None,
) -> Comment:
    if action == "approve":
        return approve(session, moderator=moderator, comment=comment, note=note)
    if action == "reject":
        reject(session, moderator=moderator, comment=comment, reason=reason, note=note, ground=ground)
        return comment
    raise Invalid(_("Décision inconnue : approve ou reject."), field="action")


def decide_many(
    session: Session,
    *,
    moderator: Principal,
    ids: list[int],
    action: str,
    reason: Reason | None = None,
    note: str | None = None,
    ground: str | None = None,
) -> int:
    """Apply one decision to several comments; returns how many were decided."""
    if not ids:
        raise Invalid(_("Sélectionnez au moins un message."), field="ids")
    done = 0
    for comment in session.exec(
        select(Comment).where(col(Comment.id).in_(ids[:100])).order_by(col(Comment.id))
    ):
        decide(
            session,
            moderator=moderator,
            comment=comment,
            action=action,
            reason=reason,
            note=note,
            ground=ground,
        )
        done += 1
    return done

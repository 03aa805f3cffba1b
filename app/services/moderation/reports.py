"""A reader reports a published comment; enough distinct reporters hide it until a moderator decides."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session

from app.errors import Conflict, NotFound, PermissionDenied
from app.i18n import _
from app.models import Article, Automation, Comment, CommentReport, CommentStatus, Reason, Restriction, utcnow
from app.services import comments, terms
from app.services.accounts import Principal, ensure_can_write
from app.services.moderation import statements
from app.services.ratelimit import Limiter
from app.services.rules import DEFAULT_RULES, Rules
from app.services.sql import insert_ignore

COMMENT = Comment.__table__  # type: ignore[attr-defined]
REPORT = CommentReport.__table__  # type: ignore[attr-defined]
_REPORT_COLUMNS = [column.key for column in REPORT.columns if column.key != "id"]


def has_reported(session: Session, *, reporter: Principal, comment_id: int) -> bool:
    """Whether this reader reported this comment already (through the (reporter, comment) index)."""
    found = session.execute(
        sa.select(REPORT.c.id).where(REPORT.c.reporter_id == reporter.id, REPORT.c.comment_id == comment_id)
    ).first()
    return found is not None


def report(
    session: Session,
    *,
    reporter: Principal,
    comment: Comment,
    reason: Reason,
    note: str | None = None,
    rules: Rules = DEFAULT_RULES,
    limiter: Limiter | None = None,
) -> CommentReport:
    ensure_can_write(reporter)
    if comment.author_id == reporter.id:
        raise PermissionDenied(_("Vous ne pouvez pas signaler votre propre message."))
    if comment.status != CommentStatus.published:
        raise NotFound(_("On ne peut signaler qu’un message publié."))
    open_ = session.execute(sa.select(Article.comments_open).where(Article.id == comment.article_id)).scalar()
    if not open_:
        raise PermissionDenied(_("Ce débat est clos : les signalements sont fermés."))
    if limiter is not None:
        limiter.hit_report(user_id=reporter.id)
    entry = CommentReport(
        reporter_id=reporter.id,
        comment_id=comment.id,
        reason=reason,
        note=(note or "").strip()[:1000] or None,
    )
    # The unique (reporter, comment) constraint settles a second report, or a race between two: no
    # prior SELECT, and no savepoint to roll back to.
    entry.id = session.execute(
        insert_ignore(session, REPORT)
        .values({key: getattr(entry, key) for key in _REPORT_COLUMNS})
        .returning(REPORT.c.id)
    ).scalar()
    if entry.id is None:
        raise Conflict(_("Vous avez déjà signalé ce message."))
    make_transient_to_detached(entry)
    entry = session.merge(entry, load=False)
    count = session.execute(
        sa.update(COMMENT)
        .where(COMMENT.c.id == comment.id)
        .values(report_count=COMMENT.c.report_count + 1)
        .returning(COMMENT.c.report_count)
    ).scalar_one()
    if count >= rules.report_threshold:
        # Enough distinct readers: hidden until a moderator decides.
        hidden = session.execute(
            sa.update(COMMENT)
            .where(COMMENT.c.id == comment.id, COMMENT.c.hidden_at.is_(None))
            .values(hidden_at=utcnow())
        ).rowcount  # type: ignore[attr-defined]
        comments.bump_version(session, comment.article_id)
        session.refresh(comment)
        if hidden:
            # An automated restriction: its author gets a statement of reasons too (DSA Art. 17).
            statements.issue(
                session,
                user_id=comment.author_id,
                restriction=Restriction.hidden,
                facts=statements.comment_facts(comment, None),
                ground=statements.resolve_ground(
                    session, ground=None, default_rule=terms.REASON_RULE[reason]
                ),
                automation=Automation.auto_hide,
                moderator=None,
                comment=comment,
                reason=reason.value,
            )
        return entry
    session.refresh(comment)
    return entry

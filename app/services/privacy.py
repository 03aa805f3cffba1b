"""A reader's data rights: everything stored about them as JSON, and erasing the account."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.errors import PermissionDenied
from app.i18n import _
from app.models import (
    Appeal,
    Article,
    AuthSession,
    Comment,
    CommentReport,
    CommentRevision,
    CommentVote,
    LinkedAccount,
    ModerationAction,
    Notice,
    Notification,
    OutboxMessage,
    Stance,
    StanceVote,
    Statement,
    User,
    utcnow,
)
from app.security import NO_PASSWORD, verify_password
from app.services import comments as comment_service
from app.services.accounts import Principal, end_all_sessions
from app.services.ranking import controversy, wilson_lower_bound

COMMENT = Comment.__table__  # type: ignore[attr-defined]
ARTICLE = Article.__table__  # type: ignore[attr-defined]
TALLY = {Stance.for_: "tally_for", Stance.against: "tally_against", Stance.nuanced: "tally_nuanced"}


class CommentFate(StrEnum):
    keep = "keep"  # comments stay, signed "compte supprimé"
    remove = "remove"  # comments go ("[supprimé]" placeholders where they have replies)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _value(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


# Export -----------------------------------------------------------------------------------------


def export_data(session: Session, *, user: User, now: datetime | None = None) -> dict[str, Any]:
    """Everything Tribune stores about this reader, as plain JSON-ready data."""
    slugs = dict(session.execute(sa.select(ARTICLE.c.id, ARTICLE.c.slug)).all())
    own = list(session.exec(select(Comment).where(Comment.author_id == user.id).order_by(col(Comment.id))))
    own_ids = [c.id for c in own]
    revisions: dict[int, list[dict[str, Any]]] = {}
    if own_ids:
        for rev in session.exec(
            select(CommentRevision)
            .where(col(CommentRevision.comment_id).in_(own_ids))
            .order_by(col(CommentRevision.id))
        ):
            revisions.setdefault(rev.comment_id, []).append(
                {"body_markdown": rev.body_markdown, "created_at": _iso(rev.created_at)}
            )
    about_me = sa.or_(
        sa.and_(col(ModerationAction.target_type) == "user", col(ModerationAction.target_id) == user.id),
        sa.and_(
            col(ModerationAction.target_type) == "comment",
            col(ModerationAction.target_id).in_(own_ids or [-1]),
        ),
    )
    return {
        "exported_at": _iso(now or utcnow()),
        "profile": {
            "username": user.username,
            # Profile (issue 15)
            "display_name": user.display_name,
            "bio": user.bio,
            "email": user.email,
            "role": _value(user.role),
            "status": _value(user.status),
            "suspended_until": _iso(user.suspended_until),
            "status_reason": user.status_reason,
            "locale": user.locale,
            "approved_count": user.approved_count,
            "rejected_count": user.rejected_count,
            "created_at": _iso(user.created_at),
            # Mail (issue 16)
            "email_verified_at": _iso(user.email_verified_at),
            "mail_preferences": {
                "reply": _value(user.mail_reply),
                "featured": _value(user.mail_featured),
                "decision": _value(user.mail_decision),
                "queues": _value(user.mail_queues),
            },
            "mail_digest_at": _iso(user.mail_digest_at),
        },
        "mail": [
            {
                "kind": m.kind,
                "to": m.recipient,
                "subject": m.subject,
                "status": _value(m.status),
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in session.exec(
                select(OutboxMessage).where(OutboxMessage.user_id == user.id).order_by(col(OutboxMessage.id))
            )
        ],
        # Single sign-on (issue 17): the newsroom's accounts this one is linked to.
        "linked_accounts": [
            {
                "provider": link.provider,
                "subject": link.subject,
                "display_name": link.display_name,
                "created_at": _iso(link.created_at),
                "last_login_at": _iso(link.last_login_at),
            }
            for link in session.exec(
                select(LinkedAccount).where(LinkedAccount.user_id == user.id).order_by(col(LinkedAccount.id))
            )
        ],
        "sessions": [
            {
                "created_at": _iso(s.created_at),
                "last_seen_at": _iso(s.last_seen_at),
                "user_agent": s.user_agent,
            }
            for s in session.exec(
                select(AuthSession)
                .where(AuthSession.user_id == user.id)
                .order_by(col(AuthSession.created_at))
            )
        ],
        "comments": [
            {
                "id": c.id,
                "article": slugs.get(c.article_id),
                "parent_id": c.parent_id,
                "stance": _value(c.stance),
                "reply_kind": _value(c.reply_kind),
                "status": _value(c.status),
                "body_markdown": c.body_markdown,
                "created_at": _iso(c.created_at),
                "edited_at": _iso(c.edited_at),
                "deleted_at": _iso(c.deleted_at),
                "upvotes": c.upvotes,
                "downvotes": c.downvotes,
                "rejection_reason": _value(c.rejection_reason),
                "rejection_note": c.rejection_note,
                "revisions": revisions.get(c.id or 0, []),
            }
            for c in own
        ],
        "votes": [
            {"comment_id": v.comment_id, "value": v.value, "created_at": _iso(v.created_at)}
            for v in session.exec(
                select(CommentVote).where(CommentVote.user_id == user.id).order_by(col(CommentVote.id))
            )
        ],
        "stance_votes": [
            {
                "article": slugs.get(v.article_id),
                "stance": _value(v.stance),  # null once withdrawn
                "first_stance": _value(v.first_stance or v.stance),
                "changed_at": _iso(v.changed_at),
                "created_at": _iso(v.created_at),
                "updated_at": _iso(v.updated_at),
            }
            for v in session.exec(
                select(StanceVote).where(StanceVote.user_id == user.id).order_by(col(StanceVote.id))
            )
        ],
        "reports": [
            {
                "comment_id": r.comment_id,
                "reason": _value(r.reason),
                "note": r.note,
                "created_at": _iso(r.created_at),
                "resolved_at": _iso(r.resolved_at),
            }
            for r in session.exec(
                select(CommentReport)
                .where(CommentReport.reporter_id == user.id)
                .order_by(col(CommentReport.id))
            )
        ],
        "notifications": [
            {
                "kind": n.kind,
                "comment_id": n.comment_id,
                "reason": n.reason,
                "message": n.message,
                "created_at": _iso(n.created_at),
                "read_at": _iso(n.read_at),
            }
            for n in session.exec(
                select(Notification).where(Notification.user_id == user.id).order_by(col(Notification.id))
            )
        ],
        "moderation": [
            {
                "action": a.action,
                "target_type": a.target_type,
                "target_id": a.target_id,
                "reason": a.reason,
                "note": a.note,
                "at": _iso(a.created_at),
            }
            for a in session.exec(select(ModerationAction).where(about_me).order_by(col(ModerationAction.id)))
        ],
        # Issue 18: the statements of reasons sent to this reader, and their appeals.
        "statements": _statements(session, user),
        "notices": [
            {
                "reference": n.reference,
                "url": n.url,
                "category": _value(n.category),
                "explanation": n.explanation,
                "created_at": _iso(n.created_at),
                "outcome": _value(n.outcome),
                "decided_at": _iso(n.decided_at),
            }
            for n in session.exec(
                select(Notice).where(Notice.notifier_id == user.id).order_by(col(Notice.id))
            )
        ],
    }


def _statements(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Statement).where(Statement.user_id == user.id).order_by(col(Statement.id))
    ).all()
    appeals = {
        a.statement_id: a
        for a in session.exec(
            select(Appeal).where(col(Appeal.statement_id).in_([s.id for s in rows] or [-1]))
        )
    }
    out = []
    for s in rows:
        appeal = appeals.get(s.id)
        out.append(
            {
                "id": s.id,
                "restriction": _value(s.restriction),
                "comment_id": s.comment_id,
                "until": _iso(s.until),
                "facts": s.facts,
                "reason": s.reason,
                "ground_rule": s.ground_rule,
                "terms_version": s.terms_version,
                "ground_law": s.ground_law,
                "automation": _value(s.automation),
                "created_at": _iso(s.created_at),
                "reversed_at": _iso(s.reversed_at),
                "appeal": None
                if appeal is None
                else {
                    "explanation": appeal.explanation,
                    "created_at": _iso(appeal.created_at),
                    "outcome": _value(appeal.outcome),
                    "outcome_reasons": appeal.outcome_reasons,
                    "decided_at": _iso(appeal.decided_at),
                },
            }
        )
    return out


# Erasure ----------------------------------------------------------------------------------------


def _withdraw_votes(session: Session, user: User) -> None:
    """Take back every up/down vote and move the tallies and scores of the comments they were on."""
    rows = session.execute(
        sa.select(CommentVote.comment_id, CommentVote.value)  # type: ignore[call-overload]
        .where(CommentVote.user_id == user.id)
        .order_by(CommentVote.comment_id)
    ).all()
    articles: set[int] = set()
    # Comment rows first, in id order, then articles: the lock order every service keeps.
    for comment_id, value in rows:
        up, down, article_id = session.execute(
            sa.update(COMMENT)
            .where(COMMENT.c.id == comment_id)
            .values(
                upvotes=COMMENT.c.upvotes - int(value == 1),
                downvotes=COMMENT.c.downvotes - int(value == -1),
            )
            .returning(COMMENT.c.upvotes, COMMENT.c.downvotes, COMMENT.c.article_id)
        ).one()
        session.execute(
            sa.update(COMMENT)
            .where(COMMENT.c.id == comment_id)
            .values(score_best=wilson_lower_bound(up, down), score_controversy=controversy(up, down))
        )
        articles.add(article_id)
    session.execute(sa.delete(CommentVote).where(col(CommentVote.user_id) == user.id))
    for article_id in sorted(articles):
        comment_service.bump_version(session, article_id)


def _withdraw_stances(session: Session, user: User) -> None:
    rows = session.execute(
        sa.select(StanceVote.article_id, StanceVote.stance, StanceVote.first_stance)  # type: ignore[call-overload]
        .where(StanceVote.user_id == user.id, col(StanceVote.stance).is_not(None))
        .order_by(StanceVote.article_id)
    ).all()
    for article_id, stance, first in rows:
        column = ARTICLE.c[TALLY[Stance(stance)]]
        values: dict[Any, Any] = {
            column: sa.case((column > 0, column - 1), else_=0),
            "version": ARTICLE.c.version + 1,
        }
        if first is not None and first != stance:
            # They were counted among the readers who changed their answer (issue 20).
            changed = ARTICLE.c.changed_count
            values[changed] = sa.case((changed > 0, changed - 1), else_=0)
        session.execute(sa.update(ARTICLE).where(ARTICLE.c.id == article_id).values(values))
    session.execute(sa.delete(StanceVote).where(col(StanceVote.user_id) == user.id))


def _withdraw_reports(session: Session, user: User) -> None:
    """Reports go with the account; the open ones no longer count against their comment."""
    open_reports = Counter(
        session.execute(
            sa.select(CommentReport.comment_id).where(  # type: ignore[call-overload]
                CommentReport.reporter_id == user.id, col(CommentReport.resolved_at).is_(None)
            )
        ).scalars()
    )
    for comment_id in sorted(open_reports):
        n = open_reports[comment_id]
        session.execute(
            sa.update(COMMENT)
            .where(COMMENT.c.id == comment_id)
            .values(report_count=sa.case((COMMENT.c.report_count > n, COMMENT.c.report_count - n), else_=0))
        )
    session.execute(sa.delete(CommentReport).where(col(CommentReport.reporter_id) == user.id))


def _remove_comments(session: Session, user: User) -> None:
    # Deepest first, so a reply is gone before its parent is looked at, and a parent left without
    # replies is deleted outright rather than kept as a placeholder.
    own = session.exec(
        select(Comment)
        .where(Comment.author_id == user.id)
        .order_by(col(Comment.depth).desc(), col(Comment.id))
    ).all()
    for comment in own:
        comment_service.delete_comment(session, user=user, comment=comment)
    # What stays (placeholders kept for others' replies) keeps no trace of the text.
    session.execute(
        sa.delete(CommentRevision).where(
            col(CommentRevision.comment_id).in_(select(Comment.id).where(Comment.author_id == user.id))
        )
    )


def erase_account(
    session: Session, *, user: Principal, password: str, comments: CommentFate = CommentFate.keep
) -> None:
    """Erase the account: sessions end, votes are withdrawn with their tallies corrected, comments are
    kept as "compte supprimé" or removed, and the user row goes with everything else that was theirs."""
    # An account that signs in only through the newsroom has no password to type: its session (and,
    # on the page, the confirmation box) is the proof.
    if user.password_hash != NO_PASSWORD:
        valid, _unused = verify_password(password, user.password_hash)
        if not valid:
            raise PermissionDenied(_("Mot de passe incorrect : le compte n’a pas été supprimé."))
    end_all_sessions(session, user=user)
    # The links to the newsroom's accounts go with it (the foreign key would do it too).
    session.execute(sa.delete(LinkedAccount).where(col(LinkedAccount.user_id) == user.id))
    # Mail to or about the account goes with it, sent or not (it holds the address and the text).
    session.execute(sa.delete(OutboxMessage).where(col(OutboxMessage.user_id) == user.id))
    _withdraw_votes(session, user)
    _withdraw_stances(session, user)
    _withdraw_reports(session, user)
    if comments is CommentFate.remove:
        _remove_comments(session, user)
    # Kept comments lose their author here (the foreign key would do it too; this does not rely on it).
    session.execute(sa.update(COMMENT).where(COMMENT.c.author_id == user.id).values(author_id=None))
    session.delete(user)
    session.flush()
    # Loaded comments and votes still hold the old values; reload them on next access.
    session.expire_all()

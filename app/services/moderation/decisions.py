"""Moderation: word rules, pre-moderation, reports, queues, decisions and sanctions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, func, select

from app.errors import BadRequest, Conflict, Invalid, NotFound, PermissionDenied
from app.i18n import _
from app.models import (
    Article,
    Comment,
    CommentReport,
    CommentStatus,
    ModerationAction,
    Reason,
    Role,
    User,
    UserStatus,
    WordEffect,
    WordRule,
    utcnow,
)
from app.services import audit, comments, notifications
from app.services.accounts import Principal, end_all_sessions, ensure_can_write
from app.services.ratelimit import Limiter
from app.services.rules import DEFAULT_RULES, Rules
from app.services.screening import fold
from app.services.sql import expire_loaded, insert_ignore

COMMENT = Comment.__table__  # type: ignore[attr-defined]
REPORT = CommentReport.__table__  # type: ignore[attr-defined]
_REPORT_COLUMNS = [column.key for column in REPORT.columns if column.key != "id"]


def reason_label(reason: Reason | str | None) -> str:
    labels = {
        Reason.spam: _("Spam"),
        Reason.harassment: _("Harcèlement"),
        Reason.hate: _("Propos haineux"),
        Reason.off_topic: _("Hors sujet"),
        Reason.misinformation: _("Désinformation"),
        Reason.personal_data: _("Données personnelles"),
        Reason.illegal: _("Contenu illégal"),
        Reason.other: _("Autre"),
    }
    if reason is None:
        return ""
    try:
        return labels[Reason(reason)]
    except ValueError:
        return str(reason)


# Labels for the codes the staff pages show: the log, the queues and a reader's record store codes
# (approve, suspended, moderator...); a page shows the reader's words. An unknown code shows as itself.

LOG_ACTIONS = (
    "approve",
    "reject",
    "feature",
    "unfeature",
    "suspend",
    "ban",
    "lift",
    "role_change",
    "article_create",
    "article_update",
    "article_publish",
    "article_unpublish",
    "article_close",
    "article_open",
    "word_add",
    "word_remove",
)


def action_label(action: str) -> str:
    labels = {
        "approve": _("Approbation"),
        "reject": _("Refus"),
        "feature": _("Mise en avant"),
        "unfeature": _("Fin de mise en avant"),
        "suspend": _("Suspension"),
        "ban": _("Bannissement"),
        "lift": _("Levée de sanction"),
        "role_change": _("Changement de rôle"),
        "article_create": _("Création d’article"),
        "article_update": _("Modification d’article"),
        "article_publish": _("Publication d’article"),
        "article_unpublish": _("Dépublication d’article"),
        "article_close": _("Fermeture du débat"),
        "article_open": _("Ouverture du débat"),
        "word_add": _("Ajout à la liste de mots"),
        "word_remove": _("Retrait de la liste de mots"),
    }
    return labels.get(action, action)


def _label(kind: type[StrEnum], value: StrEnum | str, labels: dict[StrEnum, str]) -> str:
    """The reader's-language label of a stored code; an unknown code is shown as it is."""
    try:
        return labels[kind(value)]
    except ValueError:
        return str(value)


def role_label(role: Role | str) -> str:
    return _label(
        Role,
        role,
        {
            Role.reader: _("Lecteur"),
            Role.moderator: _("Modérateur"),
            Role.editor: _("Rédacteur"),
            Role.admin: _("Administrateur"),
        },
    )


def user_status_label(status: UserStatus | str) -> str:
    return _label(
        UserStatus,
        status,
        {
            UserStatus.active: _("Actif"),
            UserStatus.suspended: _("Suspendu"),
            UserStatus.banned: _("Banni"),
        },
    )


def comment_status_label(status: CommentStatus | str) -> str:
    return _label(
        CommentStatus,
        status,
        {
            CommentStatus.pending: _("En attente"),
            CommentStatus.published: _("Publié"),
            CommentStatus.rejected: _("Refusé"),
            CommentStatus.deleted: _("Supprimé"),
        },
    )


def queue_label(queue: Queue | str) -> str:
    labels = {
        Queue.pending: _("En attente"),
        Queue.reported: _("Signalés"),
        Queue.rejected: _("Refusés"),
        Queue.approved: _("Approuvés"),
    }
    try:
        return labels[Queue(queue)]
    except ValueError:
        return str(queue)


def log_note(entry: ModerationAction, when: Callable[[datetime], str] = datetime.isoformat) -> str:
    """The note of a log entry, told for a reader: a role change's "reader → moderator" with the roles'
    names, a suspension's end (stored as ISO 8601, "… (→ 2026-12-01T09:00:00+00:00)") through when."""
    note = entry.note or ""
    if entry.action == "role_change":
        old, arrow, new = note.partition(" → ")
        roles = {r.value for r in Role}
        if arrow and old in roles and new in roles:
            return f"{role_label(old)} → {role_label(new)}"
    if entry.action == "suspend":
        reason, arrow, end = note.rpartition(" (→ ")
        try:
            until = datetime.fromisoformat(end.removesuffix(")")) if arrow and end.endswith(")") else None
        except ValueError:
            until = None
        if until is not None:
            return _("{reason} (jusqu’au {until})").format(reason=reason, until=when(until))
    return note


# Word rules ------------------------------------------------------------------------------------


def list_words(session: Session) -> list[WordRule]:
    return list(session.exec(select(WordRule).order_by(col(WordRule.phrase_key))).all())


def add_word(session: Session, *, actor: Principal, phrase: str, effect: WordEffect) -> WordRule:
    phrase = " ".join(phrase.split())
    if not phrase or len(phrase) > 200:
        raise Invalid(_("L’expression doit compter de 1 à 200 caractères."), fields={"phrase": "length"})
    key = fold(phrase)
    if session.exec(select(WordRule.id).where(WordRule.phrase_key == key)).first() is not None:
        raise Conflict(_("Cette expression est déjà dans la liste."), fields={"phrase": "duplicate"})
    rule = WordRule(phrase=phrase, phrase_key=key, effect=effect, created_by_id=actor.id)
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="word_add",
        target_type="word",
        target_id=rule.id,
        target_label=phrase,
        note=effect.value,
    )
    return rule


def remove_word(session: Session, *, actor: Principal, rule_id: int) -> None:
    rule = session.get(WordRule, rule_id) if 0 < rule_id < 2**31 else None
    if rule is None:
        raise NotFound(_("Règle introuvable."))
    audit.record(
        session,
        actor=actor,
        action="word_remove",
        target_type="word",
        target_id=rule.id,
        target_label=rule.phrase,
        note=rule.effect.value,
    )
    session.delete(rule)
    session.flush()


# Reports -----------------------------------------------------------------------------------------


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
        session.execute(
            sa.update(COMMENT)
            .where(COMMENT.c.id == comment.id, COMMENT.c.hidden_at.is_(None))
            .values(hidden_at=utcnow())
        )
        comments.bump_version(session, comment.article_id)
    session.refresh(comment)
    return entry


# Queues ------------------------------------------------------------------------------------------


class Queue(StrEnum):
    pending = "pending"
    reported = "reported"
    rejected = "rejected"
    approved = "approved"


def parse_queue(value: str) -> Queue:
    try:
        return Queue(value)
    except ValueError as exc:
        raise NotFound(_("File de modération inconnue.")) from exc


def _queue_filter(queue: Queue) -> sa.ColumnElement[bool]:
    if queue is Queue.pending:
        return COMMENT.c.status == CommentStatus.pending
    if queue is Queue.reported:
        # Written as the partial indexes' own predicates, so both databases pick those indexes.
        return sa.and_(sa.text("comment.report_count > 0"), COMMENT.c.status == CommentStatus.published)
    if queue is Queue.rejected:
        return COMMENT.c.status == CommentStatus.rejected
    return sa.and_(sa.text("comment.decided_at IS NOT NULL"), COMMENT.c.status == CommentStatus.published)


def queue_counts(session: Session) -> dict[str, int]:
    return {
        q.value: int(session.execute(sa.select(func.count()).where(_queue_filter(q))).scalar_one())
        for q in Queue
    }


@dataclass
class AuthorRecord:
    user: Principal | None
    approved: int = 0
    rejected: int = 0
    sanctions: list[ModerationAction] = field(default_factory=list)


@dataclass
class Card:
    comment: Comment
    article: Article
    parent: Comment | None
    parent_author: User | None
    author: AuthorRecord
    reports: list[CommentReport]
    reporters: int


@dataclass
class QueuePage:
    cards: list[Card]
    next_cursor: str | None


def list_queue(session: Session, *, queue: Queue, cursor: str | None = None, limit: int = 20) -> QueuePage:
    """A page of a queue, oldest first for work to do, newest first for history. Keyset on id, so
    the first page costs the same for 10 or 10,000 waiting comments."""
    limit = max(1, min(limit, 100))
    newest_first = queue in (Queue.rejected, Queue.approved)
    query = select(Comment).where(_queue_filter(queue))
    if cursor:
        if not cursor.isdigit() or len(cursor) > 10:
            raise BadRequest(_("Curseur de pagination invalide."), fields={"cursor": "invalid"})
        query = query.where(col(Comment.id) < int(cursor) if newest_first else col(Comment.id) > int(cursor))
    query = query.order_by(col(Comment.id).desc() if newest_first else col(Comment.id)).limit(limit + 1)
    rows = list(session.exec(query).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(cards=_cards(session, rows), next_cursor=str(rows[-1].id) if more and rows else None)


def _cards(session: Session, rows: list[Comment]) -> list[Card]:
    if not rows:
        return []
    ids = [c.id for c in rows]
    parent_ids = {c.parent_id for c in rows if c.parent_id}
    parents = {p.id: p for p in session.exec(select(Comment).where(col(Comment.id).in_(parent_ids))).all()}
    article_ids = {c.article_id for c in rows}
    articles = {a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(article_ids))).all()}
    user_ids = {c.author_id for c in rows} | {p.author_id for p in parents.values()}
    people = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids - {None}))).all()}
    reports: dict[int, list[CommentReport]] = defaultdict(list)
    for r in session.exec(
        select(CommentReport)
        .where(col(CommentReport.comment_id).in_(ids), col(CommentReport.resolved_at).is_(None))
        .order_by(col(CommentReport.id))
    ).all():
        reports[r.comment_id].append(r)
    sanctions: dict[int, list[ModerationAction]] = defaultdict(list)
    author_ids = [i for i in {c.author_id for c in rows} if i is not None]
    for action in session.exec(
        select(ModerationAction)
        .where(
            ModerationAction.target_type == "user",
            col(ModerationAction.target_id).in_(author_ids),
            col(ModerationAction.action).in_(("suspend", "ban", "lift")),
        )
        .order_by(col(ModerationAction.id).desc())
    ).all():
        if action.target_id is not None:
            sanctions[action.target_id].append(action)
    cards = []
    for c in rows:
        author = people.get(c.author_id) if c.author_id else None
        parent = parents.get(c.parent_id) if c.parent_id else None
        cards.append(
            Card(
                comment=c,
                article=articles[c.article_id],
                parent=parent,
                parent_author=people.get(parent.author_id) if parent and parent.author_id else None,
                author=AuthorRecord(
                    user=author,
                    approved=author.approved_count if author else 0,
                    rejected=author.rejected_count if author else 0,
                    sanctions=sanctions.get(c.author_id or 0, [])[:5],
                ),
                reports=reports.get(c.id or 0, []),
                reporters=len(reports.get(c.id or 0, [])),
            )
        )
    return cards


# Decisions ----------------------------------------------------------------------------------------


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
        raise Invalid(_("Choisissez la raison du refus : l’auteur la verra."), fields={"reason": "required"})
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
    raise Invalid(_("Décision inconnue : approve ou reject."), fields={"action": "unknown"})


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
        raise Invalid(_("Sélectionnez au moins un message."), fields={"ids": "empty"})
    done = 0
    for comment in session.exec(
        select(Comment).where(col(Comment.id).in_(ids[:100])).order_by(col(Comment.id))
    ):
        decide(session, moderator=moderator, comment=comment, action=action, reason=reason, note=note)
        done += 1
    return done


# Sanctions ----------------------------------------------------------------------------------------

SUSPENSIONS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}


def sanction(
    session: Session,
    *,
    moderator: Principal,
    user: User,
    action: str,
    reason: str,
    until: datetime | None = None,
    now: datetime | None = None,
) -> User:
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(
            _("Donnez la raison de la sanction : le lecteur la verra."), fields={"reason": "required"}
        )
    if user.id == moderator.id:
        raise PermissionDenied(_("Vous ne pouvez pas vous sanctionner vous-même."))
    if user.role.at_least(moderator.role) or (
        user.role.at_least(Role.moderator) and moderator.role != Role.admin
    ):
        raise PermissionDenied(_("Seul un administrateur peut sanctionner un membre de l’équipe."))
    if action == "suspend":
        if until is None or until <= now:
            raise Invalid(_("Choisissez une fin de suspension dans le futur."), fields={"until": "past"})
        user.status = UserStatus.suspended
        user.suspended_until = until
    elif action == "ban":
        user.status = UserStatus.banned
        user.suspended_until = None
        end_all_sessions(session, user=user)
    elif action == "lift":
        user.status = UserStatus.active
        user.suspended_until = None
    else:
        raise Invalid(_("Sanction inconnue : suspend, ban ou lift."), fields={"action": "unknown"})
    user.status_reason = reason[:500] if action != "lift" else None
    session.flush()
    audit.record(
        session,
        actor=moderator,
        action=action,
        target_type="user",
        target_id=user.id,
        target_label=user.username,
        reason=None,
        note=reason + (f" (→ {until.isoformat()})" if until else ""),
    )
    return user


# Audit log -----------------------------------------------------------------------------------------


def list_log(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[ModerationAction], str | None]:
    limit = max(1, min(limit, 100))
    query = select(ModerationAction)
    if actor:
        query = query.where(func.lower(ModerationAction.actor_name) == actor.strip().casefold())
    if action:
        query = query.where(ModerationAction.action == action.strip())
    if cursor:
        if not cursor.isdigit() or len(cursor) > 10:
            raise BadRequest(_("Curseur de pagination invalide."), fields={"cursor": "invalid"})
        query = query.where(col(ModerationAction.id) < int(cursor))
    rows = list(session.exec(query.order_by(col(ModerationAction.id).desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].id) if more and rows else None)


def user_record(session: Session, *, user: Principal) -> tuple[list[ModerationAction], list[Comment]]:
    actions = list(
        session.exec(
            select(ModerationAction)
            .where(ModerationAction.target_type == "user", ModerationAction.target_id == user.id)
            .order_by(col(ModerationAction.id).desc())
            .limit(50)
        ).all()
    )
    recent = list(
        session.exec(
            select(Comment).where(Comment.author_id == user.id).order_by(col(Comment.id).desc()).limit(20)
        ).all()
    )
    return actions, recent

"""Appeals (DSA Art. 20): for six months, the author of a decision (and the notifier of a notice not
acted upon) can contest it once. A person decides, never the moderator who took the decision (the
database refuses it too); a reversal restores the comment or lifts the sanction at once, and the
appellant is told the outcome with its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.i18n import _
from app.models import (
    Appeal,
    AppealOutcome,
    Comment,
    Notice,
    Restriction,
    Statement,
    User,
    UserStatus,
    utcnow,
)
from app.services import audit, notifications
from app.services.accounts import Principal
from app.services.mail import MailConfig
from app.services.moderation import decisions, notices, sanctions, statements
from app.services.moderation.queues import parse_cursor
from app.services.sql import insert_ignore
from app.text import MAX_ID

APPEAL = Appeal.__table__  # type: ignore[attr-defined]


def _explanation(text: str) -> str:
    text = (text or "").strip()
    if not 10 <= len(text) <= 5000:
        raise Invalid(
            _("Expliquez en 10 à 5 000 caractères pourquoi la décision devrait être revue."),
            field="explanation",
        )
    return text


def _insert_once(session: Session, values: dict[str, object]) -> Appeal:
    """The unique constraint settles a second appeal, or two at once: no prior SELECT."""
    new_id = session.execute(insert_ignore(session, APPEAL).values(values).returning(APPEAL.c.id)).scalar()
    if new_id is None:
        raise Conflict(_("Cette décision a déjà été contestée : on ne peut la contester qu’une fois."))
    appeal = session.get(Appeal, new_id)
    assert appeal is not None
    return appeal


def file_appeal(
    session: Session,
    *,
    statement: Statement,
    appellant: Principal | None,
    explanation: str,
    now: datetime | None = None,
) -> Appeal:
    """The author contests a statement (signed in, or with the link of the statement's mail)."""
    now = now or utcnow()
    text = _explanation(explanation)
    if statement.reversed_at is not None:
        raise Conflict(_("Cette décision a déjà été annulée."))
    if now >= statements.appeal_deadline(statement):
        raise PermissionDenied(_("Le délai de six mois pour contester cette décision est passé."))
    appeal = _insert_once(
        session,
        {
            "statement_id": statement.id,
            "appellant_id": statement.user_id,
            "explanation": text,
            "decision_moderator_id": statement.moderator_id,
            "created_at": now,
        },
    )
    _log_filed(session, appellant, appeal, f"statement #{statement.id}")
    return appeal


def file_notice_appeal(
    session: Session, *, notice: Notice, explanation: str, now: datetime | None = None
) -> Appeal:
    """The notifier contests a notice that was not acted upon (with the link of the decision mail)."""
    now = now or utcnow()
    text = _explanation(explanation)
    if notice.decided_at is None or notice.outcome is None or notice.outcome.value != "dismissed":
        raise Conflict(_("Seul un signalement non suivi d’effet peut être contesté."))
    if now >= notice.decided_at + statements.APPEAL_WINDOW:
        raise PermissionDenied(_("Le délai de six mois pour contester cette décision est passé."))
    appeal = _insert_once(
        session,
        {
            "notice_id": notice.id,
            "appellant_id": notice.notifier_id,
            "explanation": text,
            "decision_moderator_id": notice.decided_by_id,
            "created_at": now,
        },
    )
    _log_filed(session, None, appeal, f"notice {notice.reference}")
    return appeal


@dataclass(frozen=True)
class _System:
    """The audit log's actor for what an anonymous person does (a notifier's appeal)."""

    id: int | None = None
    username: str = "—"


def _log_filed(session: Session, appellant: Principal | None, appeal: Appeal, label: str) -> None:
    audit.record(
        session,
        actor=appellant or _System(),  # type: ignore[arg-type]
        action="appeal_filed",
        target_type="appeal",
        target_id=appeal.id,
        target_label=label,
    )


def get_appeal(session: Session, appeal_id: int) -> Appeal:
    appeal = session.get(Appeal, appeal_id) if 0 < appeal_id <= MAX_ID else None
    if appeal is None:
        raise NotFound(_("Recours introuvable."))
    return appeal


def appeal_of(session: Session, *, statement: Statement) -> Appeal | None:
    return session.exec(select(Appeal).where(Appeal.statement_id == statement.id)).first()


def list_open(
    session: Session, *, cursor: str | None = None, limit: int = 20
) -> tuple[list[Appeal], str | None]:
    """The appeals queue: undecided, oldest first."""
    limit = max(1, min(limit, 100))
    query = select(Appeal).where(col(Appeal.decided_at).is_(None))
    after = parse_cursor(cursor)
    if after is not None:
        query = query.where(col(Appeal.id) > after)
    rows = list(session.exec(query.order_by(col(Appeal.id)).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].id) if more and rows else None)


def count_open(session: Session) -> int:
    return int(session.execute(sa.select(sa.func.count()).where(APPEAL.c.decided_at.is_(None))).scalar_one())


def may_decide(moderator: Principal, appeal: Appeal) -> bool:
    return appeal.decision_moderator_id is None or appeal.decision_moderator_id != moderator.id


def decide_appeal(
    session: Session,
    *,
    moderator: Principal,
    appeal: Appeal,
    outcome: AppealOutcome | str,
    reasons: str,
    now: datetime | None = None,
    config: MailConfig | None = None,
) -> Appeal:
    """Uphold or reverse an appeal. `config` mails a notifier (who has no account) the outcome."""
    now = now or utcnow()
    try:
        outcome = AppealOutcome(outcome)
    except ValueError as exc:
        raise Invalid(_("Issue inconnue : upheld ou reversed."), field="outcome") from exc
    reasons = (reasons or "").strip()
    if not reasons:
        raise Invalid(
            _("Motivez la décision sur le recours : la personne qui l’a formé la lira."),
            field="reasons",
        )
    if not may_decide(moderator, appeal):
        raise PermissionDenied(
            _("Vous avez pris la décision contestée : un autre membre de l’équipe doit examiner ce recours.")
        )
    if appeal.decided_at is not None:
        raise Conflict(_("Ce recours a déjà été tranché."))
    appeal.decided_at = now
    appeal.decided_by_id = moderator.id
    appeal.outcome = outcome
    appeal.outcome_reasons = reasons[:5000]
    session.flush()
    statement = session.get(Statement, appeal.statement_id) if appeal.statement_id else None
    notice = session.get(Notice, appeal.notice_id) if appeal.notice_id else None
    if outcome is AppealOutcome.reversed:
        if statement is not None:
            _reverse(session, moderator=moderator, statement=statement, now=now)
        # A notice's reversal is a new decision on it: the notice goes back to its queue.
        if notice is not None:
            notice.decided_at = None
            notice.outcome = None
            notice.decided_by_id = None
            session.flush()
    audit.record(
        session,
        actor=moderator,
        action=f"appeal_{outcome.value}",
        target_type="appeal",
        target_id=appeal.id,
        target_label=f"statement #{statement.id}"
        if statement
        else f"notice {notice.reference if notice else ''}",
        note=appeal.outcome_reasons,
    )
    if notice is not None and config is not None:
        notices.tell_appeal_outcome(
            session, config, notice=notice, outcome=outcome.value, reasons=appeal.outcome_reasons
        )
    if statement is not None:
        notifications.notify(
            session,
            user_id=statement.user_id,
            kind="appeal",
            comment=session.get(Comment, statement.comment_id) if statement.comment_id else None,
            actor=moderator,
            reason=outcome.value,
            message=appeal.outcome_reasons[:1000],
            statement_id=statement.id,
        )
    return appeal


def _reverse(session: Session, *, moderator: Principal, statement: Statement, now: datetime) -> None:
    statement.reversed_at = now
    session.flush()
    note = _("Décision annulée en appel")
    if statement.restriction in (Restriction.removed, Restriction.hidden):
        comment = session.get(Comment, statement.comment_id) if statement.comment_id else None
        if comment is not None:
            decisions.restore(session, moderator=moderator, comment=comment, note=note)
        return
    user = session.get(User, statement.user_id) if statement.user_id else None
    if user is not None and user.status != UserStatus.active:
        sanctions.sanction(session, moderator=moderator, user=user, action="lift", reason=note, now=now)

"""Statements of reasons (DSA Art. 17): every decision that removes or hides a comment, or suspends or
bans an account, records one — what was restricted and for how long, the facts, the ground (a
numbered rule of the published terms or a law), whether automated means were involved — and sends
it to the author, who can contest it for six months (appeals.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.errors import Invalid, NotFound, PermissionDenied
from app.i18n import _
from app.models import Automation, Comment, Restriction, Role, Statement, utcnow
from app.security import same, sign
from app.services import audit, notifications, screening, terms
from app.services.accounts import Principal
from app.text import MAX_ID

APPEAL_WINDOW = timedelta(days=183)  # six months
# Which notification tells the author of each restriction.
NOTIFICATION_KIND = {
    Restriction.removed: "rejected",
    Restriction.hidden: "hidden",
    Restriction.suspended: "suspended",
    Restriction.banned: "banned",
}


@dataclass(frozen=True)
class Ground:
    rule: int | None = None
    version: int | None = None
    law: str | None = None


def resolve_ground(session: Session, *, ground: str | None, default_rule: int) -> Ground:
    """What a decision cites: "law:<text>" for a law, a rule number ("3" or "rule:3") of the terms in
    force, or, given nothing, the rule that goes with the reason."""
    value = " ".join((ground or "").split())
    if value.casefold().startswith("law:"):
        law = value[4:].strip()
        if not law or len(law) > 300:
            raise Invalid(_("Nommez la loi invoquée (300 caractères au plus)."), field="ground")
        return Ground(law=law)
    current = terms.in_force(session)
    count = len(current.rule_list)
    if not value:
        return Ground(rule=min(default_rule, count), version=current.version)
    number_text = value[5:] if value.casefold().startswith("rule:") else value
    if not number_text.strip().isdigit():
        raise Invalid(
            _("Fondement invalide : un numéro de règle, ou « law: » suivi de la loi."),
            field="ground",
        )
    number = int(number_text.strip()[:6])
    if not 1 <= number <= count:
        raise Invalid(
            _("La règle n° {number} n’existe pas dans les conditions en vigueur.").format(number=number),
            field="ground",
        )
    return Ground(rule=number, version=current.version)


def automation_of(session: Session, *, comment: Comment, was_pending: bool) -> Automation:
    """Whether automated means had a part: a hold by the word list, or the auto-hide after K reports."""
    if not was_pending and comment.hidden_at is not None:
        return Automation.auto_hide
    if was_pending:
        found = screening.match_words(session, comment.body_markdown)
        if found is not None:
            return Automation.word_list
    return Automation.none


def comment_facts(comment: Comment, note: str | None) -> str:
    facts = f"« {audit.excerpt(comment.body_markdown, 280)} »"
    return facts + (f"\n{note}" if note else "")


def issue(
    session: Session,
    *,
    user_id: int | None,
    restriction: Restriction,
    facts: str,
    ground: Ground,
    automation: Automation,
    moderator: Principal | None,
    comment: Comment | None = None,
    reason: str | None = None,
    until: datetime | None = None,
    notice_id: int | None = None,
    message: str | None = None,
) -> Statement:
    """Record the statement and tell its author (in-app; the notification row is also its mail)."""
    statement = Statement(
        user_id=user_id,
        comment_id=comment.id if comment is not None else None,
        notice_id=notice_id,
        restriction=restriction,
        until=until,
        facts=facts[:5000],
        reason=reason,
        ground_rule=ground.rule,
        terms_version=ground.version,
        ground_law=ground.law,
        automation=automation,
        moderator_id=moderator.id if moderator is not None else None,
    )
    session.add(statement)
    session.flush()
    notifications.notify(
        session,
        user_id=user_id,
        kind=NOTIFICATION_KIND[restriction],
        comment=comment,
        actor=moderator,
        reason=reason,
        message=message,
        statement_id=statement.id,
    )
    return statement


def token(secret: str, statement_id: int) -> str:
    """The link's key for an author who cannot sign in (a banned account): carried in the mail."""
    return sign(secret, "statement", str(statement_id))[:32]


def get_for(
    session: Session, *, statement_id: int, viewer: Principal | None, secret: str, key: str | None = None
) -> Statement:
    """A statement, for its author (signed in, or holding the mailed link), or for staff."""
    statement = session.get(Statement, statement_id) if 0 < statement_id <= MAX_ID else None
    if statement is None:
        raise NotFound(_("Décision introuvable."))
    if viewer is not None and (viewer.id == statement.user_id or viewer.role.at_least(Role.moderator)):
        return statement
    if same(key, token(secret, statement_id)):
        return statement
    raise PermissionDenied(_("Seul l’auteur concerné peut consulter cette décision."))


def appeal_deadline(statement: Statement) -> datetime:
    return statement.created_at + APPEAL_WINDOW


def for_user(session: Session, *, user_id: int | None) -> list[Statement]:
    return list(
        session.exec(select(Statement).where(Statement.user_id == user_id).order_by(col(Statement.id))).all()
    )


def is_open(statement: Statement, now: datetime | None = None) -> bool:
    return statement.reversed_at is None and (now or utcnow()) < appeal_deadline(statement)

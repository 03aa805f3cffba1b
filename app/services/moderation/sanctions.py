"""Sanctions on a reader: suspend until a time, ban, or lift; staff only by an administrator."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from app.errors import Invalid, PermissionDenied
from app.i18n import _
from app.models import Automation, Restriction, Role, User, UserStatus, utcnow
from app.services import audit, notifications, terms
from app.services.accounts import Principal, end_all_sessions
from app.services.moderation import statements

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
    ground: str | None = None,
    notice_id: int | None = None,
) -> User:
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Donnez la raison de la sanction : le lecteur la verra."), field="reason")
    if user.id == moderator.id:
        raise PermissionDenied(_("Vous ne pouvez pas vous sanctionner vous-même."))
    if user.role.at_least(moderator.role) or (
        user.role.at_least(Role.moderator) and moderator.role != Role.admin
    ):
        raise PermissionDenied(_("Seul un administrateur peut sanctionner un membre de l’équipe."))
    cited = None
    if action in ("suspend", "ban"):
        cited = statements.resolve_ground(session, ground=ground, default_rule=terms.SANCTION_RULE)
    if action == "suspend":
        if until is None or until <= now:
            raise Invalid(_("Choisissez une fin de suspension dans le futur."), field="until")
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
        raise Invalid(_("Sanction inconnue : suspend, ban ou lift."), field="action")
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
    if cited is not None:  # a statement of reasons (DSA Art. 17), sent to the reader, banned or not
        statements.issue(
            session,
            user_id=user.id,
            restriction=Restriction.suspended if action == "suspend" else Restriction.banned,
            facts=reason[:500],
            ground=cited,
            automation=Automation.none,
            moderator=moderator,
            until=until if action == "suspend" else None,
            notice_id=notice_id,
            message=user.status_reason,
        )
    elif action == "lift":
        notifications.notify(
            session, user_id=user.id, kind="lifted", actor=moderator, message=user.status_reason
        )
    return user

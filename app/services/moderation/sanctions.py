"""Sanctions on a reader: suspend until a time, ban, or lift; staff only by an administrator."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from app.errors import Invalid, PermissionDenied
from app.i18n import _
from app.models import Role, User, UserStatus, utcnow
from app.services import audit, notifications
from app.services.accounts import Principal, end_all_sessions

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
        raise Invalid(_("Donnez la raison de la sanction : le lecteur la verra."), field="reason")
    if user.id == moderator.id:
        raise PermissionDenied(_("Vous ne pouvez pas vous sanctionner vous-même."))
    if user.role.at_least(moderator.role) or (
        user.role.at_least(Role.moderator) and moderator.role != Role.admin
    ):
        raise PermissionDenied(_("Seul un administrateur peut sanctionner un membre de l’équipe."))
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
    if action in ("suspend", "lift"):  # the reader is told (a banned one is not: nothing goes to them)
        kind = "suspended" if action == "suspend" else "lifted"
        notifications.notify(session, user_id=user.id, kind=kind, actor=moderator, message=user.status_reason)
    return user

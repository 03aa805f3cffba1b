"""The audit log: every moderator, editor and admin action, written in the action's transaction.
The app offers no way to edit or delete an entry."""

from __future__ import annotations

from sqlmodel import Session

from app.models import ModerationAction, Role, User
from app.services.accounts import Principal


def record(
    session: Session,
    *,
    actor: Principal,
    action: str,
    target_type: str,
    target_id: int | None = None,
    target_label: str = "",
    reason: str | None = None,
    note: str | None = None,
) -> ModerationAction:
    """action: approve, reject, feature, unfeature, suspend, ban, lift, role_change, role_from_newsroom,
    article_close, article_open, article_create, article_update, word_add, word_remove, …"""
    entry = ModerationAction(
        actor_id=actor.id,
        actor_name=actor.username,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label[:300],
        reason=reason,
        note=note,
    )
    session.add(entry)
    session.flush()
    return entry


def excerpt(text: str, limit: int = 120) -> str:
    """A one-line start of a comment, to name it in the log."""
    flat = " ".join(text.split())
    return flat[:limit] + ("…" if len(flat) > limit else "")


def role_changed(
    session: Session, *, actor: Principal, user: User, old: Role, new: Role, action: str = "role_change"
) -> ModerationAction:
    """A role given, by an admin ("role_change") or by the newsroom's sign-on ("role_from_newsroom"):
    the note "reader → moderator" is what the log turns into the roles' names (web/labels.log_note)."""
    return record(
        session,
        actor=actor,
        action=action,
        target_type="user",
        target_id=user.id,
        target_label=user.username,
        note=f"{old.value} → {new.value}",
    )

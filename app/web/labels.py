"""The reader's words for the codes that services and the database keep: a report's reason, a log
entry's action, a role, a status, a queue. Pages show these; the JSON API sends the codes. An
unknown code shows as itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from app.i18n import _
from app.models import CommentStatus, ModerationAction, Reason, ReplyKind, Role, UserStatus
from app.services.moderation import Queue
from app.templating import format_dt


def _label(kind: type[StrEnum], value: StrEnum | str, labels: dict[StrEnum, str]) -> str:
    try:
        return labels[kind(value)]
    except ValueError:
        return str(value)


def reason_label(reason: Reason | str | None) -> str:
    if reason is None:
        return ""
    return _label(
        Reason,
        reason,
        {
            Reason.spam: _("Spam"),
            Reason.harassment: _("Harcèlement"),
            Reason.hate: _("Propos haineux"),
            Reason.off_topic: _("Hors sujet"),
            Reason.misinformation: _("Désinformation"),
            Reason.personal_data: _("Données personnelles"),
            Reason.illegal: _("Contenu illégal"),
            Reason.other: _("Autre"),
        },
    )


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
    return _label(
        Queue,
        queue,
        {
            Queue.pending: _("En attente"),
            Queue.reported: _("Signalés"),
            Queue.rejected: _("Refusés"),
            Queue.approved: _("Approuvés"),
        },
    )


# The actions the audit log's filter offers, in the order it lists them.
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


def log_note(entry: ModerationAction, when: Callable[[datetime], str] = format_dt) -> str:
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


def reply_kind_label(kind: ReplyKind | str | None) -> str:
    """The label on a reply that says how it answers (issue 20)."""
    if kind is None:
        return ""
    return _label(
        ReplyKind,
        kind,
        {
            ReplyKind.supports: _("appuie"),
            ReplyKind.rebuts: _("conteste"),
            ReplyKind.asks_source: _("demande une source"),
            ReplyKind.brings_source: _("apporte une source"),
        },
    )


def reply_kind_choices() -> list[tuple[str, str]]:
    """The reply form's choices: (code, label)."""
    return [(k.value, reply_kind_label(k)) for k in ReplyKind]

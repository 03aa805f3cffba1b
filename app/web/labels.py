"""The reader's words for the codes that services and the database keep: a report's reason, a log
entry's action, a role, a status, a queue. Pages show these; the JSON API sends the codes. An
unknown code shows as itself."""

from __future__ import annotations

import re
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
    "role_from_newsroom",
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
        "role_from_newsroom": _("Rôle reçu du journal"),
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
    if entry.action in ("role_change", "role_from_newsroom"):
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
    if entry.action in ("word_add", "word_remove") and note in ("hold", "block"):
        return _("retenir pour relecture") if note == "hold" else _("refuser le message")
    if entry.action == "article_update" and note:
        return ", ".join(_field_label(name) for name in note.split(", "))
    return note


def _field_label(name: str) -> str:
    """An article field as the editor's form names it ("stance.for" is the label of "for")."""
    names = {
        "slug": _("Slug (adresse)"),
        "title": _("Titre"),
        "lede": _("Chapeau"),
        "question": _("Question du débat"),
        "body": _("Texte (Markdown)"),
        "stance.for": _("Libellé « pour »"),
        "stance.against": _("Libellé « contre »"),
        "stance.nuanced": _("Libellé « nuancé »"),
        "premoderation": _("Pré-modérer les réactions"),
    }
    return names.get(name, name)


_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_MARKS = re.compile(r"(^|\s)[>#]+\s*|[*_`~]+")


def log_target(entry: ModerationAction) -> str:
    """What the action was about, as read on the page: a comment's excerpt without its Markdown marks."""
    label = entry.target_label or ""
    if entry.target_type == "comment":
        label = _MARKDOWN_MARKS.sub(lambda m: m.group(1) or "", _MARKDOWN_LINK.sub(r"\1", label))
        return " ".join(label.split())
    return label


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

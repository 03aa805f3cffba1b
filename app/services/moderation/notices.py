"""Notices from anyone (DSA Art. 16): a person, signed in or not, reports a comment they think illegal,
with its exact link, a category from the published list, an explanation, their name and address
(optional for child sexual abuse material) and a statement of good faith. They get a reference number
(on screen, and by mail through the outbox), the notice waits in its own queue (by category, then age),
and they are told the decision and how to contest it. Acting on a notice is the moderators' usual
removal, which sends its author a statement of reasons."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.models import Comment, CommentStatus, Notice, NoticeCategory, NoticeOutcome, Reason, utcnow
from app.security import same, sign
from app.services import audit
from app.services.accounts import Principal
from app.services.mail import MailConfig
from app.services.mail.flows import normalise_email
from app.services.mail.outbox import enqueue
from app.services.moderation import decisions
from app.services.moderation.queues import parse_cursor
from app.services.ratelimit import Limit, Limiter
from app.text import MAX_ID, clean_text

NOTICE = Notice.__table__  # type: ignore[attr-defined]
# Abuse limits: per address (hashed by the limiter, never stored) and per notifier's e-mail.
NOTICES_PER_ADDRESS = Limit("notices-address", 10, 60 * 60)
NOTICES_PER_EMAIL = Limit("notices-email", 20, 24 * 60 * 60)
# Where the law lets the notifier stay anonymous (DSA Art. 16(2)(c)).
ANONYMOUS_CATEGORIES = (NoticeCategory.child_abuse,)
# The reason a removal on a notice records, by category.
CATEGORY_REASON = {
    NoticeCategory.hate: Reason.hate,
    NoticeCategory.privacy: Reason.personal_data,
    NoticeCategory.fraud: Reason.spam,
}


def parse_category(value: str) -> NoticeCategory:
    try:
        return NoticeCategory(value)
    except ValueError as exc:
        raise Invalid(_("Choisissez une catégorie dans la liste."), field="category") from exc


def comment_from_link(session: Session, link: str, *, base_url: str) -> Comment:
    """The comment an exact link names: this site's /comments/<id> (absolute or not), or an article's
    address ending in #comment-<id>."""
    invalid = Invalid(
        _("Lien invalide : copiez le lien exact du message (bouton « Lien », en /comments/…)."),
        field="url",
    )
    link = link.strip()
    if not link or len(link) > 500:
        raise invalid
    parts = urlsplit(link)
    if parts.scheme or parts.netloc:
        site = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != site.netloc.lower():
            raise invalid
    number: str | None = None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) == 2 and segments[0] == "comments":
        number = segments[1]
    elif len(segments) == 2 and segments[0] == "articles" and parts.fragment.startswith("comment-"):
        number = parts.fragment.removeprefix("comment-")
    if number is None or not number.isascii() or not number.isdigit() or not 0 < int(number[:12]) <= MAX_ID:
        raise invalid
    comment = session.get(Comment, int(number))
    if comment is None or comment.status != CommentStatus.published:
        raise Invalid(_("Ce lien ne mène à aucun message publié."), field="url")
    return comment


def _reference() -> str:
    return "N-" + secrets.token_hex(5).upper()


def key(secret: str, reference: str) -> str:
    """The key of the notifier's links (their notice's decision, its appeal): they have no account."""
    return sign(secret, "notice", reference)[:32]


def submit(
    session: Session,
    config: MailConfig,
    *,
    url: str,
    category: str,
    explanation: str,
    name: str = "",
    email: str = "",
    good_faith: bool,
    notifier: Principal | None = None,
    limiter: Limiter | None = None,
    address: str | None = None,
    locale: str | None = None,
) -> Notice:
    chosen = parse_category(category)
    comment = comment_from_link(session, url, base_url=config.base_url)
    text = clean_text(explanation or "").strip()
    if not 10 <= len(text) <= 5000:
        raise Invalid(
            _("Expliquez en 10 à 5 000 caractères pourquoi ce contenu vous semble illicite."),
            field="explanation",
        )
    name = " ".join(clean_text(name or "").split())[:120]
    address_given = (email or "").strip()
    mail = normalise_email(address_given) if address_given else None
    if chosen not in ANONYMOUS_CATEGORIES and (not name or mail is None):
        raise Invalid(
            _("Donnez votre nom et votre adresse e-mail : la loi les demande pour cette catégorie."),
            field="name",
        )
    if not good_faith:
        raise Invalid(
            _("Cochez la déclaration de bonne foi : votre signalement ne peut être traité sans elle."),
            field="good_faith",
        )
    if limiter is not None:
        limiter.hit_limit(NOTICES_PER_ADDRESS, address or "unknown")
        if mail:
            limiter.hit_limit(NOTICES_PER_EMAIL, mail)
    notice = Notice(
        reference=_reference(),
        comment_id=comment.id,
        url=url.strip()[:500],
        category=chosen,
        explanation=text,
        name=name or None,
        email=mail,
        good_faith=True,
        notifier_id=notifier.id if notifier is not None else None,
    )
    session.add(notice)
    session.flush()
    _mail(session, config, notice, "received", locale=locale)
    return notice


def _mail(
    session: Session,
    config: MailConfig,
    notice: Notice,
    stage: str,
    *,
    locale: str | None = None,
    **extra: Any,
) -> None:
    if not notice.email:
        return
    enqueue(
        session,
        config,
        kind="notice",
        to=notice.email,
        template="notice",
        locale=locale,
        user_id=notice.notifier_id,
        context={
            "notice": notice,
            "stage": stage,
            "appeal_url": config.url(
                f"/notices/{notice.reference}?key={key(config.secret, notice.reference)}"
            ),
            **extra,
        },
    )


def get_by_reference(session: Session, reference: str) -> Notice:
    found = session.exec(select(Notice).where(Notice.reference == reference[:20])).first()
    if found is None:
        raise NotFound(_("Signalement introuvable."))
    return found


def for_notifier(session: Session, *, reference: str, given_key: str | None, secret: str) -> Notice:
    notice = get_by_reference(session, reference)
    if not same(given_key, key(secret, notice.reference)):
        raise NotFound(_("Signalement introuvable."))
    return notice


def get_notice(session: Session, notice_id: int) -> Notice:
    notice = session.get(Notice, notice_id) if 0 < notice_id <= MAX_ID else None
    if notice is None:
        raise NotFound(_("Signalement introuvable."))
    return notice


def list_open(
    session: Session, *, cursor: str | None = None, limit: int = 20
) -> tuple[list[Notice], str | None]:
    """The notices queue: undecided, by category, then oldest first (keyset on the category's rank)."""
    limit = max(1, min(limit, 100))
    query = select(Notice).where(col(Notice.decided_at).is_(None))
    # The cursor is the offset into this short queue; the partial index keeps it cheap.
    offset = parse_cursor(cursor) or 0
    rows = list(
        session.exec(
            query.order_by(col(Notice.category), col(Notice.id)).offset(offset).limit(limit + 1)
        ).all()
    )
    more = len(rows) > limit
    return rows[:limit], (str(offset + limit) if more else None)


def count_open(session: Session) -> int:
    return int(session.execute(sa.select(sa.func.count()).where(NOTICE.c.decided_at.is_(None))).scalar_one())


def decide(
    session: Session,
    config: MailConfig,
    *,
    moderator: Principal,
    notice: Notice,
    action: str,
    reason: Reason | None = None,
    note: str | None = None,
    ground: str | None = None,
    now: datetime | None = None,
) -> Notice:
    """Act on a notice (remove the comment, with a statement to its author) or dismiss it with reasons;
    the notifier is told either way, and how to contest."""
    if notice.decided_at is not None:
        raise Conflict(_("Ce signalement a déjà été traité."))
    note = (note or "").strip()[:1000] or None
    comment = session.get(Comment, notice.comment_id) if notice.comment_id else None
    if action == "act":
        if comment is None or comment.status not in (CommentStatus.published, CommentStatus.pending):
            raise Conflict(_("Le message visé n’est plus en ligne : classez le signalement."))
        decisions.reject(
            session,
            moderator=moderator,
            comment=comment,
            reason=reason or CATEGORY_REASON.get(notice.category, Reason.illegal),
            note=note,
            ground=ground,
            notice_id=notice.id,
        )
        outcome = NoticeOutcome.acted
    elif action == "dismiss":
        if not note:
            raise Invalid(_("Motivez le classement : la personne qui a signalé le lira."), field="note")
        outcome = NoticeOutcome.dismissed
    else:
        raise Invalid(_("Décision inconnue : act ou dismiss."), field="action")
    notice.decided_at = now or utcnow()
    notice.outcome = outcome
    notice.decided_by_id = moderator.id
    notice.decision_note = note
    session.flush()
    audit.record(
        session,
        actor=moderator,
        action=f"notice_{outcome.value}",
        target_type="notice",
        target_id=notice.id,
        target_label=f"{notice.reference} ({notice.category.value})",
        reason=notice.category.value,
        note=note,
    )
    _mail(session, config, notice, outcome.value)
    return notice


def tell_appeal_outcome(
    session: Session, config: MailConfig, *, notice: Notice, outcome: str, reasons: str
) -> None:
    _mail(session, config, notice, f"appeal_{outcome}", reasons=reasons)

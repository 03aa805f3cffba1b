"""The account journeys that go through mail: password reset, address verification, change of address,
mail preferences and one-click unsubscribe."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from app.errors import BadRequest, Conflict, Invalid, NotFound, PermissionDenied
from app.i18n import _
from app.models import MailPreference, User, UserStatus, utcnow
from app.models.schemas import EMAIL_RE, MAX_PASSWORD, MIN_PASSWORD
from app.security import hash_password, verify_password
from app.services.accounts import end_all_sessions
from app.services.mail import MailConfig, links
from app.services.mail.outbox import enqueue
from app.services.ratelimit import Limit, Limiter
from app.text import clean_text

# The kinds a reader chooses for, and the column that keeps the choice.
PREFERENCES = {
    "reply": "mail_reply",
    "featured": "mail_featured",
    "decision": "mail_decision",
    "queues": "mail_queues",
}
DIGEST = "digest"


def normalise_email(value: str) -> str:
    value = clean_text(value).strip().lower()
    if not EMAIL_RE.fullmatch(value) or len(value) > 254:
        raise Invalid(_("Adresse e-mail invalide."), field="email")
    return value


def _check_password(value: str) -> None:
    if not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise Invalid(_("Le mot de passe doit compter de 8 à 256 caractères."), field="password")


# Password reset -----------------------------------------------------------------------------------


def request_password_reset(
    session: Session,
    config: MailConfig,
    *,
    email: str,
    limiter: Limiter | None = None,
    address: str | None = None,
    resets_per_address: int = 5,
    resets_per_account: int = 3,
    now: datetime | None = None,
) -> None:
    """Send a reset link if the address belongs to an account that may sign in. The caller answers
    the same whether or not it does; the limits count the typed address, known or not, so that
    their answer reveals nothing either."""
    email = normalise_email(email)
    if limiter is not None:
        limiter.hit_limit(Limit("reset-address", resets_per_address, 3600), address or "unknown")
        limiter.hit_limit(Limit("reset-account", resets_per_account, 3600), email)
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None or user.status == UserStatus.banned or user.id is None:
        return
    token = links.reset_token(config.secret, user_id=user.id, password_hash=user.password_hash, now=now)
    enqueue(
        session,
        config,
        kind="reset",
        to=user.email,
        template="reset",
        locale=user.locale,
        user_id=user.id,
        context={"user": user, "url": config.url(f"/password/reset/{token}"), "hours": 1},
        now=now,
    )


def reset_target(
    session: Session, config: MailConfig, *, token: str, now: datetime | None = None, lock: bool = False
) -> User:
    """The account a reset link is for, while the link is valid (unused and less than an hour old).
    Locked to use it: a second use of the same link waits, then finds the hash it signed gone."""
    invalid = BadRequest(_("Ce lien de réinitialisation n’est plus valide : demandez-en un nouveau."))
    user_id = links.token_user(token)
    user = session.get(User, user_id, with_for_update=lock, populate_existing=lock) if user_id else None
    if user is None or user.status == UserStatus.banned:
        raise invalid
    if not links.check_token(config.secret, "reset", token, state=user.password_hash, now=now):
        raise invalid
    return user


def reset_password(
    session: Session, config: MailConfig, *, token: str, password: str, now: datetime | None = None
) -> User:
    """Set the new password; every session of the account ends (the caller starts this browser's).
    The link is spent: it signed the old password hash."""
    user = reset_target(session, config, token=token, now=now, lock=True)
    _check_password(password)
    user.password_hash = hash_password(password)
    # Whoever could read the mailbox could follow the link: the address is proven too.
    user.email_verified_at = user.email_verified_at or now or utcnow()
    end_all_sessions(session, user=user)
    session.flush()
    return user


def set_password(session: Session, *, user: User, password: str) -> None:
    """The `tribune reset-password` command: a new password, every session ended."""
    _check_password(password)
    user.password_hash = hash_password(password)
    end_all_sessions(session, user=user)
    session.flush()


# Address verification -----------------------------------------------------------------------------


def send_verification(
    session: Session, config: MailConfig, *, user: User, now: datetime | None = None
) -> None:
    if user.id is None or user.email_verified_at is not None or user.status == UserStatus.banned:
        return
    token = links.verify_token(config.secret, user_id=user.id, email=user.email, now=now)
    enqueue(
        session,
        config,
        kind="verify",
        to=user.email,
        template="verify",
        locale=user.locale,
        user_id=user.id,
        context={"user": user, "url": config.url(f"/verify/{token}")},
        now=now,
    )


def verify_target(session: Session, config: MailConfig, *, token: str, now: datetime | None = None) -> User:
    """The account a verification link is for, while it is valid (signed for its current address)."""
    invalid = BadRequest(
        _("Ce lien de vérification n’est plus valide : demandez-en un nouveau depuis votre compte.")
    )
    user_id = links.token_user(token)
    user = session.get(User, user_id) if user_id else None
    if user is None or not links.check_token(config.secret, "verify", token, state=user.email, now=now):
        raise invalid
    return user


def verify_email(session: Session, config: MailConfig, *, token: str, now: datetime | None = None) -> User:
    user = verify_target(session, config, token=token, now=now)
    if user.email_verified_at is None:
        user.email_verified_at = now or utcnow()
        session.flush()
    return user


def change_email(
    session: Session,
    config: MailConfig,
    *,
    user: User,
    password: str,
    email: str,
    now: datetime | None = None,
) -> None:
    """A new address must be verified again; the old one is told, so a stolen session cannot take the
    account over quietly."""
    valid, _unused = verify_password(password, user.password_hash)
    if not valid:
        raise PermissionDenied(_("Mot de passe incorrect."))
    email = normalise_email(email)
    if email == user.email:
        return
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise Conflict(_("Un compte existe déjà avec cette adresse."), field="email")
    old = user.email
    user.email = email
    user.email_verified_at = None
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError as exc:
        raise Conflict(_("Un compte existe déjà avec cette adresse."), field="email") from exc
    enqueue(
        session,
        config,
        kind="address",
        to=old,
        template="address_changed",
        locale=user.locale,
        user_id=user.id,
        context={"user": user, "new_email": email, "url": config.url("/password/forgot")},
        now=now,
    )
    send_verification(session, config, user=user, now=now)


# Preferences and unsubscribe ------------------------------------------------------------------------


def set_preferences(session: Session, *, user: User, choices: dict[str, str]) -> None:
    for kind, value in choices.items():
        if kind not in PREFERENCES:
            raise Invalid(_("Type de message inconnu."), field=kind)
        try:
            preference = MailPreference(value)
        except ValueError as exc:
            raise Invalid(
                _("Choix inconnu : immédiatement, résumé quotidien ou jamais."), field=kind
            ) from exc
        setattr(user, PREFERENCES[kind], preference)
    session.flush()


def unsubscribe_url(config: MailConfig, *, user_id: int, kind: str) -> str:
    return config.url(
        f"/mail/unsubscribe/{links.unsubscribe_token(config.secret, user_id=user_id, kind=kind)}"
    )


def unsubscribe_target(session: Session, config: MailConfig, *, token: str) -> tuple[User, str]:
    found = links.check_unsubscribe(config.secret, token)
    if found is None or (found[1] not in PREFERENCES and found[1] != DIGEST):
        raise NotFound(_("Lien de désinscription invalide."))
    user = session.get(User, found[0])
    if user is None:
        raise NotFound(_("Lien de désinscription invalide."))
    return user, found[1]


def unsubscribe(session: Session, config: MailConfig, *, token: str) -> tuple[User, str]:
    """RFC 8058 one-click: the signed link is the authority, no sign-in needed."""
    user, kind = unsubscribe_target(session, config, token=token)
    if kind == DIGEST:  # the digest's link: nothing more by the day
        for column in PREFERENCES.values():
            if getattr(user, column) == MailPreference.daily:
                setattr(user, column, MailPreference.never)
    else:
        setattr(user, PREFERENCES[kind], MailPreference.never)
    session.flush()
    return user, kind

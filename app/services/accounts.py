"""Accounts and server-side sessions."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.dates import format_dt
from app.errors import Conflict, Invalid, PermissionDenied, Unauthorized
from app.i18n import _
from app.models import Article, AuthSession, Comment, Role, User, UserStatus, utcnow
from app.models.schemas import MAX_PASSWORD, MIN_PASSWORD, UserCreate
from app.security import hash_password, new_token, token_digest, verify_password
from app.services.ratelimit import Limiter
from app.services.sql import Db, Prepared, expire_loaded


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(days=7)
    absolute: timedelta = timedelta(days=30)
    # last_seen_at is written at most this often, so reading pages does not write on every request.
    touch_every: timedelta = timedelta(hours=1)


def username_key(name: str) -> str:
    return name.casefold()


def get_by_username(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.username_key == username_key(name.strip()))).first()


def register(session: Session, *, data: UserCreate, role: Role = Role.reader) -> User:
    key = username_key(data.username)
    taken = session.exec(
        select(User.username_key, User.email).where(
            sa.or_(col(User.username_key) == key, col(User.email) == data.email)
        )
    ).all()
    fields: dict[str, str] = {}
    for taken_key, taken_email in taken:
        if taken_key == key:
            fields["username"] = _("Ce nom est déjà pris.")
        if taken_email == data.email:
            fields["email"] = _("Un compte existe déjà avec cette adresse.")
    if fields:
        raise Conflict(next(iter(fields.values())), fields=fields)
    user = User(
        username=data.username,
        username_key=key,
        email=data.email,
        password_hash=hash_password(data.password),
        role=role,
    )
    session.add(user)
    try:
        # A concurrent registration of the same name loses here, on the unique constraint.
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError as exc:
        raise Conflict(_("Ce nom ou cette adresse est déjà pris.")) from exc
    return user


class Principal(Protocol):
    """Who is asking: the ORM User, or the Identity read with a request's session. Every rule about
    the person acting (standing, staff, voting rights) takes this."""

    @property
    def id(self) -> int | None: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def status(self) -> UserStatus: ...
    @property
    def suspended_until(self) -> datetime | None: ...
    @property
    def status_reason(self) -> str | None: ...
    @property
    def approved_count(self) -> int: ...
    @property
    def email_verified(self) -> bool: ...
    @property
    def created_at(self) -> datetime: ...


def standing(person: Principal, *, now: datetime | None = None) -> tuple[UserStatus, datetime | None]:
    """The status in force and its end: a suspension that has run out counts as lifted."""
    until = person.suspended_until
    if person.status == UserStatus.suspended and until is not None and until <= (now or utcnow()):
        return UserStatus.active, None
    return person.status, until


def is_staff(person: Principal | None, role: Role = Role.moderator) -> bool:
    return person is not None and person.role.at_least(role)


def refresh_status(user: User, *, now: datetime | None = None) -> None:
    """Store the lifting of a suspension that has run out, when the account is next looked at."""
    user.status, user.suspended_until = standing(user, now=now)


def authenticate(
    session: Session,
    *,
    login: str,
    password: str,
    limiter: Limiter | None = None,
    address: str | None = None,
) -> User:
    login = login.strip()
    user = session.exec(
        select(User).where(
            sa.or_(col(User.username_key) == username_key(login), col(User.email) == login.lower())
        )
    ).first()
    # Failures count against the account (by id, so name and e-mail share one count; an unknown
    # name counts as itself, so it answers exactly like a known one) and against the address.
    account = f"user:{user.id}" if user is not None else f"name:{username_key(login)}"
    if limiter is not None:
        limiter.check_login(account=account, address=address)
    valid, new_hash = verify_password(password, user.password_hash if user else None)
    if user is None or not valid:
        if limiter is not None:
            limiter.login_failed(account=account, address=address)
        # The same answer for an unknown name and a wrong password.
        raise Unauthorized(_("Nom d’utilisateur ou mot de passe incorrect."))
    if limiter is not None:
        limiter.login_succeeded(account=account)
    if new_hash:
        user.password_hash = new_hash
    if user.status == UserStatus.banned:
        reason = user.status_reason or _("aucune raison donnée")
        raise PermissionDenied(_("Ce compte est banni : {reason}").format(reason=reason))
    return user


def start_session(session: Session, *, user: User, user_agent: str | None = None) -> str:
    """Create a server-side session; the returned token goes in the cookie and nowhere else."""
    token = new_token()
    session.add(AuthSession(id=token_digest(token), user_id=user.id, user_agent=(user_agent or "")[:200]))
    session.flush()
    return token


def end_session(session: Session, *, token: str) -> None:
    session.exec(sa.delete(AuthSession).where(col(AuthSession.id) == token_digest(token)))  # type: ignore[call-overload]


def end_all_sessions(session: Session, *, user: User) -> None:
    session.exec(sa.delete(AuthSession).where(col(AuthSession.user_id) == user.id))  # type: ignore[call-overload]


def _alive(created_at: datetime, last_seen_at: datetime, *, now: datetime, policy: SessionPolicy) -> bool:
    return now - created_at <= policy.absolute and now - last_seen_at <= policy.idle


@dataclass(frozen=True)
class Identity:
    """The signed-in reader as a request knows them (a Principal): read with their session in one
    statement without the ORM, which costs ten times more. Routes that change the account itself load
    the User (load_account)."""

    id: int
    username: str
    role: Role
    status: UserStatus
    suspended_until: datetime | None
    status_reason: str | None
    approved_count: int
    locale: str | None
    created_at: datetime
    session_id: str
    needs_touch: bool = False
    # Mail (issue 16): until the address is verified, reactions wait for a moderator.
    email_verified: bool = True
    display_name: str | None = None

    @property
    def shown_name(self) -> str:
        """As User.shown_name: the card of a reaction just posted is drawn with its author's Identity."""
        return self.display_name or self.username

    @classmethod
    def of(cls, user: User, *, session_id: str) -> Identity:
        """The identity of a user who has just signed in."""
        assert user.id is not None
        status, until = standing(user)
        return cls(
            id=user.id,
            username=user.username,
            role=user.role,
            status=status,
            suspended_until=until,
            status_reason=user.status_reason,
            approved_count=user.approved_count,
            locale=user.locale,
            created_at=user.created_at,
            session_id=session_id,
            email_verified=user.email_verified,
            display_name=user.display_name,
        )


def load_account(session: Session, person: Principal) -> User:
    """The User row of the person asking, for the routes that change the account itself."""
    user = session.get(User, person.id) if isinstance(person, Identity) else person
    if not isinstance(user, User):
        raise Unauthorized(_("Connectez-vous pour continuer."))
    refresh_status(user)
    return user


USER = User.__table__  # type: ignore[attr-defined]
AUTH = AuthSession.__table__  # type: ignore[attr-defined]
_ACTOR = Prepared(
    sa.select(
        AUTH.c.id.label("session_id"),
        AUTH.c.created_at,
        AUTH.c.last_seen_at,
        USER.c.id,
        USER.c.username,
        USER.c.role,
        USER.c.status,
        USER.c.suspended_until,
        USER.c.status_reason,
        USER.c.approved_count,
        USER.c.locale,
        USER.c.created_at.label("user_created_at"),
        USER.c.email_verified_at,
        USER.c.display_name,
    )
    .join(USER, USER.c.id == AUTH.c.user_id)
    .where(AUTH.c.id == sa.bindparam("digest"))
)


def resolve_identity(
    session: Db, *, token: str, policy: SessionPolicy, now: datetime | None = None
) -> Identity | None:
    """Who holds this session token, if the session is alive and the account not banned."""
    now = now or utcnow()
    row = _ACTOR.first(session, {"digest": token_digest(token)})
    if row is None or not _alive(row.created_at, row.last_seen_at, now=now, policy=policy):
        return None
    if row.status == UserStatus.banned:
        return None
    return Identity(
        id=row.id,
        username=row.username,
        role=row.role,
        status=row.status,
        suspended_until=row.suspended_until,
        status_reason=row.status_reason,
        approved_count=row.approved_count,
        locale=row.locale,
        created_at=row.user_created_at,
        session_id=row.session_id,
        needs_touch=now - row.last_seen_at > policy.touch_every,
        email_verified=row.email_verified_at is not None,
        display_name=row.display_name,
    )


_TOUCH = sa.update(AUTH).where(AUTH.c.id == sa.bindparam("sid")).values(last_seen_at=sa.bindparam("seen_at"))
_PREPARED_TOUCH = Prepared(_TOUCH)


def touch_session(session: Db, *, session_id: str, now: datetime | None = None) -> None:
    _PREPARED_TOUCH.run(session, {"sid": session_id, "seen_at": now or utcnow()})


def touch_session_if_free(engine: sa.Engine, *, session_id: str) -> None:
    """touch_session in a transaction of its own, given up at once if another writer holds SQLite's
    lock: reading a page never waits for a write (nor blocks the event loop, see deps.run_db); the
    next visit touches it instead."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
        try:
            conn.execute(_TOUCH, {"sid": session_id, "seen_at": utcnow()})
            conn.commit()
        except sa.exc.OperationalError:
            conn.rollback()  # busy: not this time
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA busy_timeout=30000")
                conn.commit()


def purge_expired_sessions(session: Session, *, policy: SessionPolicy, now: datetime | None = None) -> int:
    now = now or utcnow()
    result = session.exec(
        sa.delete(AuthSession).where(  # type: ignore[call-overload]
            sa.or_(
                col(AuthSession.created_at) < now - policy.absolute,
                col(AuthSession.last_seen_at) < now - policy.idle,
            )
        )
    )
    return int(result.rowcount or 0)


def write_refusal(person: Principal, *, now: datetime | None = None) -> PermissionDenied | None:
    """Why this person may not write (suspended or banned: they may still read), or None."""
    status, until = standing(person, now=now)
    if status == UserStatus.banned:
        return PermissionDenied(_("Votre compte est banni."))
    if status == UserStatus.suspended:
        when = format_dt(until) if until else "?"
        return PermissionDenied(
            _("Votre compte est suspendu jusqu’au {until} : {reason}").format(
                until=when, reason=person.status_reason or _("aucune raison donnée")
            )
        )
    return None


def can_write(person: Principal | None, *, now: datetime | None = None) -> bool:
    return person is not None and write_refusal(person, now=now) is None


def ensure_can_write(person: Principal, *, now: datetime | None = None) -> None:
    """Suspended and banned readers may read, never write."""
    refusal = write_refusal(person, now=now)
    if refusal is not None:
        raise refusal


def set_locale(session: Session, *, person: Principal, locale: str) -> None:
    """Keep the reader's language on the account: it wins on a new browser at the next sign-in."""
    load_account(session, person).locale = locale
    session.flush()


def set_role(session: Session, *, user: User, role: Role) -> User:
    if user.role == role:
        return user
    user.role = role
    session.flush()
    return user


def change_password(session: Session, *, user: User, current: str, new: str) -> None:
    valid, _unused = verify_password(current, user.password_hash)
    if not valid:
        raise PermissionDenied(_("Mot de passe actuel incorrect."))
    if not MIN_PASSWORD <= len(new) <= MAX_PASSWORD:
        raise Invalid(_("Le mot de passe doit compter de 8 à 256 caractères."), field="password")
    user.password_hash = hash_password(new)
    end_all_sessions(session, user=user)
    session.flush()


MAX_DISPLAY_NAME = 60
MAX_BIO = 500


def valid_display_name(name: str) -> bool:
    """Letters of any script with their accents, and what joins names: spaces, hyphens, apostrophes."""
    if not name or not name[0].isalpha():
        return False
    for ch in name:
        if ch.isalpha() or ch in " '’.-" or unicodedata.category(ch).startswith("M"):
            continue
        return False
    return "  " not in name


def update_profile(session: Session, *, user: User, display_name: str, bio: str) -> User:
    """The name shown beside their comments (letters of any language: "Hélène", "Océane", "Zoë
    Dubois-Lefèvre") and a short bio. Empty clears them: the handle is shown instead."""
    name = unicodedata.normalize("NFC", " ".join(display_name.split()))
    text = unicodedata.normalize("NFC", bio.replace("\r\n", "\n")).strip()
    if len(name) > MAX_DISPLAY_NAME:
        raise Invalid(_("Nom affiché : 60 caractères au plus."), field="display_name")
    if name and not valid_display_name(name):
        raise Invalid(
            _("Nom affiché : des lettres (accents compris), espaces, tirets, apostrophes ou points."),
            field="display_name",
        )
    if len(text) > MAX_BIO:
        raise Invalid(_("Présentation : 500 caractères au plus."), field="bio")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise Invalid(_("Présentation : caractères de contrôle refusés."), field="bio")
    shown_before = user.display_name
    user.display_name = name or None
    user.bio = text or None  # shown on the profile only, which is not cached: nothing to refresh
    session.add(user)
    session.flush()
    if user.display_name != shown_before:
        refresh_pages_of_author(session, user)
    return user


ARTICLE = Article.__table__  # type: ignore[attr-defined]
COMMENT = Comment.__table__  # type: ignore[attr-defined]


def refresh_pages_of_author(session: Session, user: User) -> None:
    """The name beside a reader's comments changed: bump the version of every article they commented
    on, in this transaction, so that every cached rendering of those debates (pages, fragments, the
    debate view, permalinks, the JSON: app/services/cache.py) is stale at once.

    Why the version and not a generation in the key: every request already reads the article's row
    (its version is part of each key), so the hot read path costs nothing more, and every process,
    each with its own cache, sees the change on its next request (the row is in the shared database;
    nothing is invalidated by message: Redis, where processes share one, carries the live events and
    the abuse limits, not this cache). A global or per-author generation would add a read to every
    request, or empty the cache of all debates for one name. A name changes rarely; it costs one
    UPDATE per article the reader commented on (the author index finds them), in article id order,
    the order in which every service locks articles (no deadlock with another such change)."""
    articles = session.execute(
        sa.select(COMMENT.c.article_id)
        .where(COMMENT.c.author_id == user.id)
        .distinct()
        .order_by(COMMENT.c.article_id)
    ).scalars()
    for article_id in list(articles):
        session.execute(
            sa.update(ARTICLE).where(ARTICLE.c.id == article_id).values(version=ARTICLE.c.version + 1)
        )
        expire_loaded(session, Article, article_id, ["version"])

"""Single sign-on (issue 17): the newsroom's signed tokens, and the accounts linked to the newsroom's.

A token (JWT, checked with PyJWT) says who the reader is at the newsroom: `user.id` (the subject of
the link), `user.email`, `user.username`, optionally `user.display_name` and `user.role`. It is good
once (`jti`, kept until it expires) and for at most MAX_LIFETIME. The account it names is created or
brought up to date (link_account, shared with OpenID Connect), and the caller starts the session the
usual way (deps.begin_session).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.errors import Conflict, DomainError, PermissionDenied
from app.i18n import _
from app.models import LinkedAccount, Role, UsedToken, User, UserStatus, utcnow
from app.models.schemas import UserCreate
from app.security import NO_PASSWORD
from app.services import accounts, audit
from app.services.accounts import username_key

TOKEN_PROVIDER = "token"
OIDC_PROVIDER = "oidc"
MAX_LIFETIME = timedelta(minutes=10)
# Clocks differ a little between the newsroom's servers and ours.
LEEWAY = timedelta(seconds=30)
MAX_TOKEN_CHARS = 8000


class BadToken(DomainError):
    """A token refused: str(exc) says why. Not an Unauthorized, which sends a page to the login form:
    the reader is shown the reason instead."""

    status_code = 401


@dataclass(frozen=True)
class TokenConfig:
    """How tokens are checked: the key of each accepted algorithm, and the issuer to expect."""

    keys: dict[str, Any]
    issuer: str | None = None
    trust_roles: bool = False

    @classmethod
    def of(
        cls,
        *,
        secret: str | None,
        public_key: str | None,
        issuer: str | None = None,
        trust_roles: bool = False,
    ) -> TokenConfig:
        keys: dict[str, Any] = {}
        if secret:
            keys["HS256"] = secret
        if public_key:
            key = load_pem_public_key(public_key.encode())
            if isinstance(key, RSAPublicKey):
                keys["RS256"] = key
            elif isinstance(key, Ed25519PublicKey):
                keys["EdDSA"] = key
            else:
                raise ValueError("TRIBUNE_SSO_PUBLIC_KEY: an RSA or Ed25519 public key (PEM) is expected")
        return cls(keys=keys, issuer=issuer or None, trust_roles=trust_roles)

    @property
    def enabled(self) -> bool:
        return bool(self.keys)


@dataclass(frozen=True)
class Person:
    """Who the newsroom says the reader is."""

    provider: str
    subject: str
    email: str
    username: str
    display_name: str | None = None
    role: Role | None = None
    # OpenID Connect's groups only ever raise a role: losing a group at the provider, or a role an
    # admin gave here above the group's, is the site's business.
    raises_only: bool = False


def _timestamp(claims: dict[str, Any], name: str) -> datetime:
    value = claims.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise BadToken(_("Jeton refusé : la date « {claim} » est absente ou illisible.").format(claim=name))
    return datetime.fromtimestamp(value, UTC)


def verify_token(
    token: str, config: TokenConfig, *, now: datetime | None = None
) -> tuple[Person, str, datetime]:
    """The person a token names, its jti and its expiry; BadToken (or PermissionDenied for a role that
    is not trusted) with the reason otherwise."""
    now = now or utcnow()
    if not config.enabled:
        raise PermissionDenied(_("La connexion par jeton n’est pas configurée sur ce site."))
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise BadToken(_("Jeton refusé : il est vide ou trop long."))
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise BadToken(_("Jeton refusé : il est illisible.")) from exc
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise BadToken(_("Jeton refusé : un jeton non signé (« none ») n’est jamais accepté."))
    if alg not in config.keys:
        # The HS/RS confusion lands here: a token "signed" with HS256 and the public key as its
        # secret, when only the public key is configured.
        raise BadToken(
            _("Jeton refusé : l’algorithme {alg} n’est pas accepté (acceptés : {accepted}).").format(
                alg=alg, accepted=", ".join(sorted(config.keys))
            )
        )
    try:
        claims = jwt.decode(
            token,
            config.keys[alg],
            algorithms=[alg],
            # Dates are checked below, against `now`; the issuer too, with its own message.
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_iss": False},
        )
    except jwt.InvalidSignatureError as exc:
        raise BadToken(_("Jeton refusé : la signature ne correspond pas.")) from exc
    except jwt.InvalidAudienceError as exc:
        # A token meant for another service of the newsroom (Tribune's tokens name no audience).
        raise BadToken(_("Jeton refusé : il est destiné à un autre service (« aud »).")) from exc
    except jwt.InvalidTokenError as exc:
        raise BadToken(_("Jeton refusé : il est illisible.")) from exc
    if config.issuer is not None and claims.get("iss") != config.issuer:
        issuer = str(claims.get("iss") or "—")[:100]
        raise BadToken(_("Jeton refusé : émetteur inconnu ({issuer}).").format(issuer=issuer))
    issued, expires = _timestamp(claims, "iat"), _timestamp(claims, "exp")
    if expires <= now - LEEWAY:
        raise BadToken(_("Jeton refusé : il a expiré. Rechargez la page du journal."))
    if issued > now + LEEWAY:
        raise BadToken(_("Jeton refusé : il est daté du futur."))
    if expires > now + MAX_LIFETIME + LEEWAY or expires - issued > MAX_LIFETIME:
        raise BadToken(_("Jeton refusé : il vaut plus de 10 minutes."))
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 1 <= len(jti) <= 255:
        raise BadToken(_("Jeton refusé : son identifiant « jti » est absent."))
    user = claims.get("user")
    if not isinstance(user, dict):
        raise BadToken(_("Jeton refusé : la personne « user » est absente."))
    return person_of(user, provider=TOKEN_PROVIDER, trust_roles=config.trust_roles), jti, expires


def person_of(user: dict[str, Any], *, provider: str, trust_roles: bool) -> Person:
    """The person described by the newsroom's claims (a token's `user`, or OpenID Connect's)."""
    subject = user.get("id")
    if isinstance(subject, bool) or not isinstance(subject, str | int) or not 1 <= len(str(subject)) <= 255:
        raise BadToken(_("Jeton refusé : l’identifiant « user.id » est absent."))
    username, email = user.get("username"), user.get("email")
    if not isinstance(username, str) or not isinstance(email, str):
        raise BadToken(_("Jeton refusé : « user.username » et « user.email » sont requis."))
    try:
        # The rules of a name and an address are the registration's; the password is not used.
        checked = UserCreate(username=username, email=email, password="x" * 8)
    except ValidationError as exc:
        message = str(exc.errors()[0].get("msg", "")).removeprefix("Value error, ")
        raise BadToken(_("Jeton refusé : {reason}").format(reason=message)) from exc
    display = user.get("display_name")
    if display is not None and (not isinstance(display, str) or len(display) > 100):
        raise BadToken(_("Jeton refusé : « user.display_name » : un texte de 100 caractères au plus."))
    role = user.get("role")
    chosen: Role | None = None
    if role is not None and not trust_roles:
        if role != Role.reader.value:
            raise PermissionDenied(
                _("Jeton refusé : ce site n’accepte pas le rôle « {role} » venu du journal.").format(
                    role=str(role)[:30]
                )
            )
        role = None  # "reader" says nothing new, and must not undo a role given here
    if role is not None:
        try:
            chosen = Role(role)
        except ValueError as exc:
            raise BadToken(_("Jeton refusé : rôle inconnu « {role} ».").format(role=str(role)[:30])) from exc
    return Person(provider, str(subject), checked.email, checked.username, display or None, chosen)


def oidc_person(
    claims: dict[str, Any], *, trust_roles: bool, role_claim: str, group_roles: dict[str, str]
) -> Person:
    """The person an OpenID Connect id_token describes. Where roles are trusted, the role is the
    highest one given by the reader's groups at the provider (a list, or a lone group as a string)
    that group_roles names; every other group is the provider's own business."""
    person = person_of(
        {
            "id": claims.get("sub"),
            "email": claims.get("email"),
            "username": claims.get("preferred_username") or claims.get("nickname"),
            "display_name": claims.get("name"),
        },
        provider=OIDC_PROVIDER,
        trust_roles=False,
    )
    if not (trust_roles and group_roles):
        return person
    groups = claims.get(role_claim)
    names = [groups] if isinstance(groups, str) else groups if isinstance(groups, list) else []
    given = [Role(group_roles[name]) for name in names if isinstance(name, str) and name in group_roles]
    if not given:
        return person
    return replace(person, role=max(given, key=lambda role: role.rank), raises_only=True)


def use_token_id(session: Session, *, jti: str, expires_at: datetime, now: datetime | None = None) -> None:
    """Record that this token has been used; refuse it if it already was. Tokens past their expiry
    are forgotten here (they would be refused as expired anyway)."""
    now = now or utcnow()
    session.execute(sa.delete(UsedToken).where(col(UsedToken.expires_at) < now - LEEWAY))
    session.add(UsedToken(jti=jti, expires_at=expires_at))
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError as exc:
        raise BadToken(_("Jeton refusé : il a déjà servi. Rechargez la page du journal.")) from exc


def sign_in_with_token(
    session: Session, *, token: str, config: TokenConfig, now: datetime | None = None
) -> User:
    """The account a valid token names, created or updated; the token cannot serve again."""
    person, jti, expires = verify_token(token, config, now=now)
    use_token_id(session, jti=jti, expires_at=expires, now=now)
    return link_account(session, person=person, now=now)


def link_account(session: Session, *, person: Person, now: datetime | None = None) -> User:
    """The Tribune account linked to this outside account: made at the first sign-in, brought up to
    date at each one. A name or address that belongs to another Tribune account is refused, never
    taken over."""
    now = now or utcnow()
    link = session.exec(
        select(LinkedAccount).where(
            LinkedAccount.provider == person.provider, LinkedAccount.subject == person.subject
        )
    ).first()
    user = session.get(User, link.user_id) if link is not None else None
    key = username_key(person.username)
    others = session.exec(
        select(User).where(sa.or_(col(User.username_key) == key, col(User.email) == person.email))
    ).all()
    for other in others:
        if user is not None and other.id == user.id:
            continue
        if other.username_key == key:
            raise Conflict(
                _("Le nom « {name} » appartient déjà à un compte de ce site : connexion refusée.").format(
                    name=person.username
                ),
                field="username",
            )
        raise Conflict(
            _("L’adresse {email} appartient déjà à un compte de ce site : connexion refusée.").format(
                email=person.email
            ),
            field="email",
        )
    if user is None:
        user = User(
            username=person.username,
            username_key=key,
            email=person.email,
            password_hash=NO_PASSWORD,
            role=person.role or Role.reader,
            display_name=_shown_name(person.display_name),
            # The newsroom has verified the address of its subscriber.
            email_verified_at=now,
        )
        session.add(user)
        try:
            with session.begin_nested():
                session.flush()
                assert user.id is not None
                link = LinkedAccount(
                    provider=person.provider,
                    subject=person.subject,
                    user_id=user.id,
                    display_name=person.display_name,
                    created_at=now,
                    last_login_at=now,
                )
                session.add(link)
                session.flush()
                if user.role != Role.reader:
                    _role_received(session, user, old=Role.reader)
        except sa.exc.IntegrityError as exc:
            # Two first sign-ins at once: the unique constraints keep one account.
            raise Conflict(_("Ce compte vient d’être créé : réessayez.")) from exc
    else:
        assert link is not None
        if user.status == UserStatus.banned:
            reason = user.status_reason or _("aucune raison donnée")
            raise PermissionDenied(_("Ce compte est banni : {reason}").format(reason=reason))
        if user.email != person.email:
            user.email = person.email
            user.email_verified_at = now
        shown_before = (user.username, user.display_name)
        user.username, user.username_key = person.username, key
        if person.role is not None and (
            person.role.rank > user.role.rank or (person.role != user.role and not person.raises_only)
        ):
            old, user.role = user.role, person.role
            _role_received(session, user, old=old)
        link.display_name = person.display_name
        if person.display_name:  # the newsroom's name wins; without one, the reader's own stays
            user.display_name = _shown_name(person.display_name) or user.display_name
        link.last_login_at = now
        session.flush()
        if (user.username, user.display_name) != shown_before:
            accounts.refresh_pages_of_author(session, user)  # the cached debates show the new name
    return user


def _role_received(session: Session, user: User, *, old: Role) -> None:
    """A role the newsroom's sign-on gives is answered for in the audit log, as an admin's is: "role
    received from the newsroom" by the account that signed in with it."""
    audit.role_changed(session, actor=user, user=user, old=old, new=user.role, action="role_from_newsroom")


def _shown_name(name: str | None) -> str | None:
    """The newsroom's display name as the profile's, where the profile's rules take it (60 characters,
    letters and the like: accounts.update_profile); otherwise the handle shows, as before."""
    if not name:
        return None
    shown = unicodedata.normalize("NFC", " ".join(name.split()))
    return shown if len(shown) <= 60 and accounts.valid_display_name(shown) else None


def links_of(session: Session, *, user_id: int) -> list[LinkedAccount]:
    return list(
        session.exec(
            select(LinkedAccount).where(LinkedAccount.user_id == user_id).order_by(col(LinkedAccount.id))
        )
    )

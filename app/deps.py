"""Request dependencies: who is asking, and does the thing exist."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlmodel import Session

from app.config import Settings
from app.db import session_scope
from app.errors import NotFound, PermissionDenied, Unauthorized
from app.i18n import _
from app.models import Article, Comment, Role, User
from app.security import same, sign, token_digest
from app.services import accounts, articles, comments, notifications
from app.services.events import BROKER_KEY
from app.services.ratelimit import Limiter, client_address
from app.services.rules import Rules

SESSION_COOKIE = "tribune_session"
ANON_COOKIE = "tribune_anon"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_rules(request: Request) -> Rules:
    rules: Rules = request.app.state.rules
    return rules


def get_session(request: Request) -> Iterator[Session]:
    # One request, one transaction. Writing requests begin as writers (BEGIN IMMEDIATE on SQLite).
    # Events queued by services go out through the app's broker once the transaction commits.
    info = {BROKER_KEY: request.app.state.broker}
    yield from session_scope(request.app.state.engine, write=request.method in UNSAFE_METHODS, info=info)


def get_limiter(request: Request) -> Limiter:
    limiter: Limiter = request.app.state.limiter
    return limiter


def client_ip(request: Request) -> str | None:
    """The client's address; forwarding headers count only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), request.app.state.trusted_proxies)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RulesDep = Annotated[Rules, Depends(get_rules)]
LimiterDep = Annotated[Limiter, Depends(get_limiter)]


def get_viewer(request: Request, session: SessionDep) -> User | None:
    if hasattr(request.state, "viewer"):
        viewer: User | None = request.state.viewer
        return viewer
    request.state.viewer = None
    request.state.session_id = None
    token = request.cookies.get(SESSION_COOKIE)
    if token and len(token) < 200:
        resolved = accounts.resolve_session(session, token=token, policy=request.app.state.session_policy)
        if resolved is not None:
            request.state.viewer = resolved.user
            request.state.viewer_snapshot = ViewerSnapshot.of(resolved.user)
            # The header shows the unread count on every page of a signed-in reader.
            request.state.unread = notifications.unread_count(session, user=resolved.user)
            request.state.session_id = resolved.auth.id
            if resolved.needs_touch:
                request.state.touch_session = resolved.auth.id
    return request.state.viewer  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ViewerSnapshot:
    """What templates need of the signed-in reader, copied while the session is open."""

    id: int
    username: str
    role: Role

    @classmethod
    def of(cls, user: User) -> ViewerSnapshot:
        assert user.id is not None
        return cls(id=user.id, username=user.username, role=user.role)


def require_user(request: Request, viewer: Annotated[User | None, Depends(get_viewer)]) -> User:
    if viewer is None:
        raise Unauthorized(_("Connectez-vous pour continuer."))
    return viewer


def require_role(role: Role) -> Callable[[User], User]:
    def dependency(user: Annotated[User, Depends(require_user)]) -> User:
        if not user.role.at_least(role):
            raise PermissionDenied(_("Cette page est réservée à l’équipe."))
        return user

    return dependency


Viewer = Annotated[User | None, Depends(get_viewer)]
CurrentUser = Annotated[User, Depends(require_user)]
ModeratorUser = Annotated[User, Depends(require_role(Role.moderator))]
EditorUser = Annotated[User, Depends(require_role(Role.editor))]
AdminUser = Annotated[User, Depends(require_role(Role.admin))]


def get_article_or_404(slug: str, session: SessionDep, viewer: Viewer) -> Article:
    if "\x00" in slug:  # no slug has one, and PostgreSQL would refuse to even compare it
        raise NotFound(_("Article introuvable."))
    return articles.get_article(session, slug=slug, viewer=viewer)


def get_comment_or_404(comment_id: str, session: SessionDep, viewer: Viewer) -> Comment:
    # Taken as text so that an absurd id ("99999999999999999999", "abc") is a plain 404.
    if not comment_id.isdigit() or len(comment_id) > 10:
        raise NotFound(_("Commentaire introuvable."))
    return comments.get_comment(session, comment_id=int(comment_id), viewer=viewer)


ArticleDep = Annotated[Article, Depends(get_article_or_404)]
CommentDep = Annotated[Comment, Depends(get_comment_or_404)]


# CSRF -------------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token pages and API clients send back: bound to the server-side session when signed in,
    else to the visitor's anonymous cookie (so the login and registration forms are covered too)."""
    secret = request.app.state.secret_key
    session_id = getattr(request.state, "session_id", None)
    if session_id:
        return sign(secret, "csrf-session", session_id)
    anon = request.state.anon_id
    return sign(secret, "csrf-anon", anon)


async def check_csrf(request: Request, viewer: Viewer) -> None:
    if request.method not in UNSAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") != str(request.base_url).rstrip("/"):
        raise PermissionDenied(_("Requête d’une autre origine refusée."))
    is_api = request.url.path.startswith("/api/")
    if is_api and SESSION_COOKIE not in request.cookies:
        # No cookie, no ambient authority to abuse: API clients sign in (or register) this way.
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and not is_api:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not same(sent, csrf_token(request)):
        raise PermissionDenied(_("Jeton de sécurité manquant ou périmé : rechargez la page et réessayez."))


CsrfChecked = Depends(check_csrf)


# Browser sessions -------------------------------------------------------------------------------


def begin_session(request: Request, session: Session, user: User) -> str:
    """Start a server-side session (a new id at every login) and make it this request's."""
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        accounts.end_session(session, token=old)
    token = accounts.start_session(session, user=user, user_agent=request.headers.get("user-agent"))
    request.state.session_id = token_digest(token)
    request.state.viewer = user
    request.state.viewer_snapshot = ViewerSnapshot.of(user)
    return token


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_absolute_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.https,
        path="/",
    )


def end_browser_session(request: Request, session: Session, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(session, token=token)
    secure = bool(request.app.state.settings.https)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)

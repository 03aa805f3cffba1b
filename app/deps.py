"""Request dependencies: who is asking, and does the thing exist."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Request, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import i18n
from app.config import Settings
from app.db import finish, writer
from app.errors import NotFound, PermissionDenied, Unauthorized
from app.i18n import _
from app.middleware import LOCALE_COOKIE
from app.models import Article, Comment, Role, User
from app.security import same, sign, token_digest
from app.services import accounts, articles, comments, events, notifications
from app.services.events import BROKER_KEY
from app.services.ratelimit import Limiter, client_address
from app.services.rules import Rules
from app.services.sql import Db, Tx

SESSION_COOKIE = "tribune_session"
ANON_COOKIE = "tribune_anon"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
T = TypeVar("T")


# Dependencies that only read what is already in memory are async: a sync one costs a thread-pool hop.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_rules(request: Request) -> Rules:
    rules: Rules = request.app.state.rules
    return rules


async def run_db(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run database work for a route or dependency: in a pool thread on PostgreSQL; on SQLite, in
    place (app.state.inline_db).

    A local SQLite statement takes microseconds, less than the hop to a thread, and the hop's real
    cost is worse under load: the worker and the event loop trade the GIL on every step (inline,
    32 concurrent voters are served 40 % faster, posts 70 %). It cannot stall the loop on a lock:
    writers are let in one at a time by SQLiteWriteGate and hold the write lock only between their
    first statement and their commit, with no await that suspends in between; readers never wait in
    WAL mode. With several processes on one SQLite file a writer could wait for another process's
    lock, so `tribune serve --workers N` turns it off (TRIBUNE_INLINE_SQLITE)."""
    if request.app.state.inline_db:
        return fn(*args, **kwargs)
    return await run_in_threadpool(fn, *args, **kwargs)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One request, one transaction. Writing requests begin as writers (BEGIN IMMEDIATE on SQLite).
    Events queued by services go out through the app's broker once the transaction commits.

    async, so that opening (which does no I/O: the transaction begins at the first statement) costs no
    thread-pool hop; the commit or rollback, which does, runs in the pool, and only if a transaction
    was begun."""
    session = _new_session(request)
    try:
        yield session
    except BaseException:
        await _finish(request, session, commit=False)
        raise
    await _finish(request, session, commit=True)


def _new_session(request: Request) -> Session:
    engine = request.app.state.engine
    info = {BROKER_KEY: request.app.state.broker}
    return Session(
        writer(engine) if request.method in UNSAFE_METHODS else engine, expire_on_commit=False, info=info
    )


def lane_session(request: Request) -> tuple[Session, bool]:
    """A session for a lane (routing.Lane), which calls dependencies itself: get_session's, or its
    override's (the tests run the app in their own transaction). True when the lane must end it."""
    override = request.app.dependency_overrides.get(get_session)
    if override is not None:
        found: Session = override()
        return found, False
    return _new_session(request), True


async def _finish(request: Request, session: Session, *, commit: bool) -> None:
    if session.in_transaction() or session.new or session.dirty or session.deleted:
        await run_db(request, finish, session, commit=commit)
    else:
        session.close()  # nothing was read or written: no I/O, no hop


async def get_tx(request: Request) -> AsyncIterator[Tx]:
    """A lean transaction (services.sql.Tx) for the busiest writes, with get_session's contract: one
    request, one transaction, committed before the response; events published after the commit. A
    route takes this or SessionDep, not both (tests/test_routing.py checks)."""
    tx = _new_tx(request)
    try:
        yield tx
    except BaseException:
        if tx.begun:
            await run_db(request, tx.finish, commit=False)
        raise
    if tx.begun:
        await run_db(request, tx.finish, commit=True)
    events.publish_queued(tx.info)


def _new_tx(request: Request) -> Tx:
    info = {BROKER_KEY: request.app.state.broker}
    return Tx(request.app.state.engine, write=request.method in UNSAFE_METHODS, info=info)


def lane_tx(request: Request) -> Tx:
    """A Tx for a lane (routing.Lane), which calls dependencies itself: get_tx's, or its override's
    (the tests run the app in their own transaction)."""
    override = request.app.dependency_overrides.get(get_tx)
    if override is not None:
        found: Tx = override()
        return found
    return _new_tx(request)


async def get_limiter(request: Request) -> Limiter:
    limiter: Limiter = request.app.state.limiter
    return limiter


def client_ip(request: Request) -> str | None:
    """The client's address; forwarding headers count only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), request.app.state.trusted_proxies)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
TxDep = Annotated[Tx, Depends(get_tx, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RulesDep = Annotated[Rules, Depends(get_rules)]
LimiterDep = Annotated[Limiter, Depends(get_limiter)]


async def get_actor(request: Request, session: SessionDep) -> accounts.Actor | None:
    """Who is asking, from the session cookie: one statement, no ORM (every request runs this)."""
    return await _actor(request, session)


async def get_tx_actor(request: Request, tx: TxDep) -> accounts.Actor | None:
    """get_actor for a route on a Tx."""
    return await _actor(request, tx)


async def _actor(request: Request, db: Db) -> accounts.Actor | None:
    if hasattr(request.state, "actor"):
        actor: accounts.Actor | None = request.state.actor
        return actor
    return await run_db(request, identify, request, db)


def identify(request: Request, session: Db) -> accounts.Actor | None:
    """get_actor's work, once per request (its callers look for request.state.actor first)."""
    request.state.actor = None
    token = request.cookies.get(SESSION_COOKIE)
    if token and len(token) < 200:
        found = accounts.resolve_actor(session, token=token, policy=request.app.state.session_policy)
        if found is not None:
            request.state.actor = found
            request.state.viewer_snapshot = ViewerSnapshot(
                id=found.id, username=found.username, role=found.role
            )
            if not request.scope["path"].startswith("/api/"):  # not request.url: it builds the whole URL
                # The header of every page shows a signed-in reader's unread count.
                request.state.unread = notifications.unread_count(session, user=found)
            if found.needs_touch:
                _touch(request, session, found.session_id)
    return request.state.actor  # type: ignore[no-any-return]


def _touch(request: Request, session: Db, session_id: str) -> None:
    """Record that the session is in use (at most every policy.touch_every), so idle expiry counts
    from the last visit, not from the login. A writing request does it in its own transaction; a
    reading one in a short transaction of its own, so that reading pages never takes the write lock
    for a whole request."""
    if request.method in UNSAFE_METHODS:
        accounts.touch_session(session, session_id=session_id)
        return
    accounts.touch_session_if_free(request.app.state.engine, session_id=session_id)


ActorDep = Annotated[accounts.Actor | None, Depends(get_actor)]


def identify_for_page(request: Request) -> None:
    """Who is reading an error page refused before any dependency ran (a bad CSRF token, an unknown
    address): its header still shows the signed-in reader. A short read of its own; sync, for the
    error handlers, which run in the thread pool."""
    if hasattr(request.state, "actor") or SESSION_COOKIE not in request.cookies:
        return
    try:
        with Session(request.app.state.engine) as session:
            identify(request, session)
    except sa.exc.SQLAlchemyError:  # the error being shown may be the database itself
        request.state.actor = None


async def get_viewer(request: Request, session: SessionDep, actor: ActorDep) -> User | None:
    """The signed-in reader's User row, for routes and services that need the ORM object."""
    if hasattr(request.state, "viewer"):
        viewer: User | None = request.state.viewer
        return viewer
    return await run_db(request, _load_viewer, request, session, actor)


def _load_viewer(request: Request, session: Session, actor: accounts.Actor | None) -> User | None:
    user = session.get(User, actor.id) if actor is not None else None
    if user is not None:
        accounts.refresh_status(user)
    request.state.viewer = user
    return user


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


async def require_user(request: Request, viewer: Annotated[User | None, Depends(get_viewer)]) -> User:
    if viewer is None:
        raise Unauthorized(_("Connectez-vous pour continuer."))
    return viewer


async def require_actor(actor: ActorDep) -> accounts.Actor:
    # async: no thread-pool hop for a check that does no I/O (the actor is already read).
    if actor is None:
        raise Unauthorized(_("Connectez-vous pour continuer."))
    return actor


async def require_tx_actor(actor: Annotated[accounts.Actor | None, Depends(get_tx_actor)]) -> accounts.Actor:
    return await require_actor(actor)


def require_role(role: Role) -> Callable[[User], User]:
    async def dependency(user: Annotated[User, Depends(require_user)]) -> User:
        if not user.role.at_least(role):
            raise PermissionDenied(_("Cette page est réservée à l’équipe."))
        return user

    return dependency


Viewer = Annotated[User | None, Depends(get_viewer)]
CurrentUser = Annotated[User, Depends(require_user)]
CurrentActor = Annotated[accounts.Actor, Depends(require_actor)]
TxActor = Annotated[accounts.Actor, Depends(require_tx_actor)]  # CurrentActor, for a route on a Tx
ModeratorUser = Annotated[User, Depends(require_role(Role.moderator))]
EditorUser = Annotated[User, Depends(require_role(Role.editor))]
AdminUser = Annotated[User, Depends(require_role(Role.admin))]


async def get_article_or_404(request: Request, slug: str, session: SessionDep, actor: ActorDep) -> Article:
    return await run_db(request, load_article, session, slug, actor)


def load_article(session: Session, slug: str, actor: accounts.Actor | None) -> Article:
    if "\x00" in slug:  # no slug has one, and PostgreSQL would refuse to even compare it
        raise NotFound(_("Article introuvable."))
    return articles.get_article(session, slug=slug, viewer=actor)


async def parse_comment_id(comment_id: str) -> int:
    # Taken as text so that an absurd id ("99999999999999999999", "abc") is a plain 404.
    if not comment_id.isdigit() or len(comment_id) > 10:
        raise NotFound(_("Commentaire introuvable."))
    return int(comment_id)


CommentId = Annotated[int, Depends(parse_comment_id)]


async def get_comment_or_404(
    request: Request, comment_id: CommentId, session: SessionDep, actor: ActorDep
) -> Comment:
    return await run_db(request, comments.get_comment, session, comment_id=comment_id, viewer=actor)


ArticleDep = Annotated[Article, Depends(get_article_or_404)]
CommentDep = Annotated[Comment, Depends(get_comment_or_404)]


# CSRF -------------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token pages and API clients send back: bound to the session cookie when there is one, else
    to the visitor's anonymous cookie (so the login and registration forms are covered too)."""
    secret = request.app.state.secret_key
    state = request.scope.get("state", {})
    if "session_id" in state:  # a session begun or ended by this very request
        session_id = state["session_id"]
    else:
        # Bound to the cookie as sent, valid or not: checking a token needs no database, and a stale
        # cookie gets the same token on the form's page and on its submission.
        cookie = request.cookies.get(SESSION_COOKIE)
        session_id = token_digest(cookie) if cookie and len(cookie) < 200 else None
    if session_id:
        return sign(secret, "csrf-session", session_id)
    return sign(secret, "csrf-anon", state["anon_id"])


async def check_csrf(request: Request) -> None:
    if request.method not in UNSAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") != str(request.base_url).rstrip("/"):
        raise PermissionDenied(_("Requête d’une autre origine refusée."))
    is_api = request.scope["path"].startswith("/api/")
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
    request.state.actor = None  # the new session's reader is the User below, not an actor read earlier
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


def remember_language(response: Response, lang: str, settings: Settings) -> None:
    """Keep the language in this browser's cookie: the middleware reads it on every later request."""
    response.set_cookie(
        LOCALE_COOKIE,
        lang,
        max_age=365 * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.https,
    )


def sign_in_cookies(response: Response, token: str, user: User, settings: Settings) -> None:
    """The cookies of a sign-in, through either door: the session, and the language saved on the
    account, which wins on a new browser (the next page is in it)."""
    set_session_cookie(response, token, settings)
    if user.locale and user.locale in i18n.LOCALES:
        remember_language(response, user.locale, settings)


def end_browser_session(request: Request, session: Session, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(session, token=token)
    secure = bool(request.app.state.settings.https)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)

"""Request dependencies: who is asking, and does the thing exist."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Request, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import i18n
from app.config import Settings
from app.errors import NotFound, PermissionDenied, Unauthorized
from app.i18n import _
from app.middleware import LOCALE_COOKIE, SESSION_COOKIE, writes
from app.models import Article, Comment, Role, User
from app.security import same, sign, token_digest
from app.services import accounts, articles, comments, events, notifications
from app.services.accounts import Identity
from app.services.events import BROKER_KEY
from app.services.ratelimit import Limiter, client_address
from app.services.rules import Rules
from app.services.sql import Db, UnitOfWork
from app.templating import is_htmx
from app.text import parse_id

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


async def get_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """One request, one unit of work, one transaction, committed before the response is sent.
    Writing requests begin as writers (BEGIN IMMEDIATE on SQLite)."""
    async with unit_of_work(request, new_work(request)) as work:
        yield work


def new_work(request: Request) -> UnitOfWork:
    info = {BROKER_KEY: request.app.state.broker}
    return UnitOfWork(
        request.app.state.engine, write=writes(request.method, request.scope["path"]), info=info
    )


@asynccontextmanager
async def unit_of_work(request: Request, work: UnitOfWork) -> AsyncIterator[UnitOfWork]:
    """End a request's unit of work: commit, or roll back on an error; then publish the events its
    services queued (events.emit), the one place they go out. Ending it does I/O, so it runs through
    run_db, and only when a transaction was begun."""
    try:
        yield work
    except BaseException:
        if work.begun:
            await run_db(request, work.finish, commit=False)
        events.forget(work.info)
        raise
    if work.begun:
        await run_db(request, work.finish, commit=True)
    await events.publish_committed(work.info)


WorkDep = Annotated[UnitOfWork, Depends(get_work, scope="function")]


async def get_session(work: WorkDep) -> Session:
    """The unit of work's ORM session, for the services that load or add ORM objects (made without
    I/O; it joins the unit of work's transaction)."""
    return work.orm


SessionDep = Annotated[Session, Depends(get_session)]


async def get_limiter(request: Request) -> Limiter:
    limiter: Limiter = request.app.state.limiter
    return limiter


def client_ip(request: Request) -> str | None:
    """The client's address; forwarding headers count only when the peer is a trusted proxy."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), request.app.state.trusted_proxies)


SettingsDep = Annotated[Settings, Depends(get_settings)]
RulesDep = Annotated[Rules, Depends(get_rules)]
LimiterDep = Annotated[Limiter, Depends(get_limiter)]


async def get_viewer(request: Request, work: WorkDep) -> Identity | None:
    """Who is asking, from the session cookie: one statement, no ORM (every request runs this)."""
    if hasattr(request.state, "viewer"):
        viewer: Identity | None = request.state.viewer
        return viewer
    return await run_db(request, identify, request, work)


def identify(request: Request, db: Db) -> Identity | None:
    """get_viewer's work, once per request (kept in request.state.viewer)."""
    request.state.viewer = None
    token = request.cookies.get(SESSION_COOKIE)
    if token and len(token) < 200:
        found = accounts.resolve_identity(db, token=token, policy=request.app.state.session_policy)
        if found is not None:
            request.state.viewer = found
            if (
                request.method == "GET"
                and not is_htmx(request)
                and not request.scope["path"].startswith("/api/")
            ):
                # The header of every full page shows a signed-in reader's unread count.
                request.state.unread = notifications.unread_count(db, user=found)
            if found.needs_touch:
                _touch(request, db, found.session_id)
    return request.state.viewer  # type: ignore[no-any-return]


def _touch(request: Request, db: Db, session_id: str) -> None:
    """Record that the session is in use (at most every policy.touch_every), so idle expiry counts
    from the last visit, not from the login. A writing request does it in its own transaction; a
    reading one in a short transaction of its own, so that reading pages never takes the write lock
    for a whole request."""
    if request.method in UNSAFE_METHODS:
        accounts.touch_session(db, session_id=session_id)
        return
    accounts.touch_session_if_free(request.app.state.engine, session_id=session_id)


def identify_for_page(request: Request) -> None:
    """Who is reading an error page refused before any dependency ran (a bad CSRF token, an unknown
    address): its header still shows the signed-in reader. A short read of its own; sync, for the
    error handlers, which run in the thread pool."""
    if hasattr(request.state, "viewer") or SESSION_COOKIE not in request.cookies:
        return
    work = UnitOfWork(request.app.state.engine, write=False)
    try:
        identify(request, work)
        work.finish(commit=False)
    except sa.exc.SQLAlchemyError:  # the error being shown may be the database itself
        request.state.viewer = None
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            work.finish(commit=False)


Viewer = Annotated[Identity | None, Depends(get_viewer)]


async def require_viewer(request: Request, work: WorkDep) -> Identity:
    """get_viewer, refusing an anonymous request (one dependency, not two: each costs the solver)."""
    viewer = await get_viewer(request, work)
    if viewer is None:
        raise Unauthorized(_("Connectez-vous pour continuer."))
    return viewer


CurrentUser = Annotated[Identity, Depends(require_viewer)]


def require_role(role: Role) -> Callable[[Identity], Awaitable[Identity]]:
    async def dependency(user: CurrentUser) -> Identity:
        if not user.role.at_least(role):
            raise PermissionDenied(_("Cette page est réservée à l’équipe."))
        return user

    return dependency


ModeratorUser = Annotated[Identity, Depends(require_role(Role.moderator))]
EditorUser = Annotated[Identity, Depends(require_role(Role.editor))]
AdminUser = Annotated[Identity, Depends(require_role(Role.admin))]


async def get_account(request: Request, session: SessionDep, user: CurrentUser) -> User:
    """The signed-in reader's User row, for the routes that change the account itself."""
    return await run_db(request, accounts.load_account, session, user)


Account = Annotated[User, Depends(get_account)]


# The article and comment of a route's path are read for the reader who asks (a draft or a held
# comment is theirs to see or a 404). Their dependencies are the unit of work alone, with the viewer
# taken from it as require_viewer does: each dependency FastAPI solves costs about as much as a
# statement, on every request.


async def get_article_or_404(request: Request, slug: str, work: WorkDep) -> Article:
    viewer = await get_viewer(request, work)
    return await run_db(request, load_article, work.orm, slug, viewer)


def load_article(session: Session, slug: str, viewer: Identity | None) -> Article:
    if "\x00" in slug:  # no slug has one, and PostgreSQL would refuse to even compare it
        raise NotFound(_("Article introuvable."))
    return articles.get_article(session, slug=slug, viewer=viewer)


async def parse_comment_id(comment_id: str) -> int:
    # Taken as text so that an absurd id ("99999999999999999999", "abc", "²") is a plain 404.
    return parse_id(comment_id, NotFound(_("Commentaire introuvable.")))


CommentId = Annotated[int, Depends(parse_comment_id)]


async def get_comment_or_404(request: Request, comment_id: CommentId, work: WorkDep) -> Comment:
    viewer = await get_viewer(request, work)
    return await run_db(request, comments.get_comment, work.orm, comment_id=comment_id, viewer=viewer)


ArticleDep = Annotated[Article, Depends(get_article_or_404)]
CommentDep = Annotated[Comment, Depends(get_comment_or_404)]


async def require_local_accounts(request: Request) -> None:
    """TRIBUNE_LOCAL_ACCOUNTS=false: the newsroom's accounts are the only door (single sign-on)."""
    if not request.app.state.settings.local_accounts:
        raise PermissionDenied(
            _("Les comptes propres à ce site sont désactivés : connectez-vous avec votre compte du journal.")
        )


LocalAccounts = Depends(require_local_accounts)


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
    request.state.viewer = Identity.of(user, session_id=request.state.session_id)
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

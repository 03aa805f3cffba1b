"""Registration, login and logout as HTML forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.deps import (
    LimiterDep,
    LocalAccounts,
    SessionDep,
    SettingsDep,
    Viewer,
    begin_session,
    client_ip,
    end_browser_session,
    set_session_cookie,
    sign_in_cookies,
)
from app.errors import Conflict, PermissionDenied, TooManyRequests, Unauthorized
from app.models.schemas import UserCreate
from app.services import accounts
from app.services.mail import flows
from app.templating import render
from app.web.common import field_errors, safe_next, see_other
from app.web.lang import chosen_language

router = APIRouter()

Text = Annotated[str, Form(max_length=1000)]


def _next(request: Request, target: str | None) -> str:
    """Where to go after signing in: a page of this site, or of a site that embeds the debate (the
    reader signed in from its frame, issue 17)."""
    return safe_next(target, allowed=request.app.state.settings.embed_origins)


@router.get("/register", name="register", dependencies=[LocalAccounts])
def register_form(
    request: Request, viewer: Viewer, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    if viewer is not None:
        return see_other(request, _next(request, next))
    return render(request, "auth/register.html", values={}, errors={}, next=_next(request, next))


@router.post("/register", name="register_submit", dependencies=[LocalAccounts])
def register(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Text = "",
    email: Text = "",
    password: Text = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    values = {"username": username, "email": email}
    try:
        data = UserCreate(username=username, email=email, password=password)
        user = accounts.register(session, data=data)
    except ValidationError as exc:
        return render(
            request,
            "auth/register.html",
            status_code=422,
            values=values,
            errors=field_errors(exc),
            next=_next(request, next),
        )
    except Conflict as exc:
        return render(
            request,
            "auth/register.html",
            status_code=409,
            values=values,
            errors=exc.fields or {"form": str(exc)},
            next=_next(request, next),
        )
    # A language picked with the switcher before registering becomes the account's: it follows the
    # reader to the next browser they sign in on.
    user.locale = chosen_language(request)
    flows.send_verification(session, request.app.state.mail, user=user)
    response = see_other(request, _next(request, next))
    set_session_cookie(response, begin_session(request, session, user), settings)
    return response


@router.get("/login", name="login")
def login_form(
    request: Request, viewer: Viewer, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    if viewer is not None:
        return see_other(request, _next(request, next))
    return render(request, "auth/login.html", values={}, error=None, next=_next(request, next))


@router.post("/login", name="login_submit", dependencies=[LocalAccounts])
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    username: Text = "",
    password: Text = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    try:
        user = accounts.authenticate(
            session, login=username, password=password, limiter=limiter, address=client_ip(request)
        )
    except (Unauthorized, PermissionDenied, TooManyRequests) as exc:
        retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        return render(
            request,
            "auth/login.html",
            status_code=exc.status_code,
            headers=retry,
            values={"username": username},
            error=str(exc),
            next=_next(request, next),
        )
    response = see_other(request, _next(request, next))
    sign_in_cookies(response, begin_session(request, session, user), user, settings)
    return response


@router.post("/logout", name="logout")
def logout(request: Request, session: SessionDep) -> Response:
    response = see_other(request, "/")
    end_browser_session(request, session, response)
    return response


@router.get("/logout", name="logout_page", response_class=HTMLResponse)
def logout_page(request: Request) -> HTMLResponse:
    return render(request, "auth/logout.html")

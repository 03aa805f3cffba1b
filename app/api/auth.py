from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.common import json_response
from app.api.schemas import LoginOut, SessionOut, UserOut, user_out
from app.deps import (
    CurrentUser,
    LimiterDep,
    LocalAccounts,
    SessionDep,
    SettingsDep,
    Viewer,
    begin_session,
    client_ip,
    csrf_token,
    end_browser_session,
    sign_in_cookies,
)
from app.models.schemas import LoginRequest, UserCreate
from app.services import accounts
from app.services.mail import flows

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=201, response_model=UserOut, dependencies=[LocalAccounts])
def register(request: Request, session: SessionDep, data: UserCreate) -> Response:
    """Create a reader account."""
    user = accounts.register(session, data=data)
    flows.send_verification(session, request.app.state.mail, user=user)
    return json_response(user_out(user), 201)


@router.post("/login", response_model=LoginOut, dependencies=[LocalAccounts])
def login(
    request: Request, session: SessionDep, settings: SettingsDep, limiter: LimiterDep, data: LoginRequest
) -> Response:
    """Sign in; the session cookie is set and the CSRF token returned."""
    user = accounts.authenticate(
        session, login=data.username, password=data.password, limiter=limiter, address=client_ip(request)
    )
    token = begin_session(request, session, user)
    response = json_response({"user": user_out(user), "csrf_token": csrf_token(request)})
    sign_in_cookies(response, token, user, settings)
    return response


@router.post("/logout", status_code=204)
def logout(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Sign out: the server-side session ends at once."""
    response = Response(status_code=204)
    end_browser_session(request, session, response)
    return response


@router.get("/session", response_model=SessionOut)
def current_session(request: Request, viewer: Viewer) -> Response:
    """Who is signed in, and the CSRF token to send with writes."""
    return json_response({"user": user_out(viewer), "csrf_token": csrf_token(request)})

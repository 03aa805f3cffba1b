"""Single sign-on through the JSON API (issue 17)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app.api.common import json_response
from app.api.schemas import LoginOut, user_out
from app.deps import SessionDep, SettingsDep, begin_session, csrf_token, sign_in_cookies
from app.services import sso

router = APIRouter(prefix="/auth", tags=["auth"])


class TokenSignIn(BaseModel):
    token: str = Field(max_length=sso.MAX_TOKEN_CHARS)


@router.post("/sso", response_model=LoginOut)
def sign_in_with_token(
    request: Request, session: SessionDep, settings: SettingsDep, data: TokenSignIn
) -> Response:
    """Sign in with the newsroom's signed token; the session cookie is set and the CSRF token returned."""
    user = sso.sign_in_with_token(session, token=data.token, config=request.app.state.sso)
    token = begin_session(request, session, user)
    response = json_response({"user": user_out(user), "csrf_token": csrf_token(request)})
    sign_in_cookies(response, token, user, settings)
    return response

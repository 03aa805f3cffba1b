"""Single sign-on pages (issue 17): a signed token from the newsroom starts a session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.config import Settings
from app.deps import SessionDep, SettingsDep, begin_session, sign_in_cookies
from app.services import sso
from app.web.common import safe_next, see_other

router = APIRouter()


@router.get("/sso", name="sso")
def sign_in_with_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Query(max_length=sso.MAX_TOKEN_CHARS)] = "",
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    user = sso.sign_in_with_token(session, token=token, config=request.app.state.sso)
    response = see_other(request, safe_next(next, allowed=settings.embed_origins))
    sign_in_cookies(response, begin_session(request, session, user), user, settings)
    # The token is in this address: it must not travel on in a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def newsroom_login(settings: Settings) -> Callable[[str], str | None]:
    """The template global: where "sign in with the newsroom's account" goes for a `next` path, or
    None when no newsroom sign-in is configured."""

    def url(next: str) -> str | None:
        if settings.oidc_issuer:
            return "/sso/oidc/start?" + urlencode({"next": next})
        if settings.sso_login_url:
            glue = "&" if "?" in settings.sso_login_url else "?"
            return settings.sso_login_url + glue + urlencode({"next": next})
        return None

    return url

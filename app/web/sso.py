"""Single sign-on pages (issue 17): a signed token from the newsroom starts a session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.config import Settings
from app.deps import SessionDep, SettingsDep, begin_session, sign_in_cookies
from app.errors import NotFound
from app.i18n import _
from app.oidc import PENDING_COOKIE, PENDING_SECONDS, OidcClient, Pending, SignInRefused
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


def _oidc(request: Request) -> OidcClient:
    client: OidcClient | None = request.app.state.oidc
    if client is None:
        raise NotFound(_("La connexion OpenID Connect n’est pas configurée sur ce site."))
    return client


@router.get("/sso/oidc/start", name="oidc_start")
def start_oidc(
    request: Request, settings: SettingsDep, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    """Leave for the newsroom's identity provider, remembering the state, nonce and PKCE verifier."""
    url, pending = _oidc(request).start(next=safe_next(next, allowed=settings.embed_origins))
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        pending.seal(request.app.state.secret_key),
        max_age=PENDING_SECONDS,
        path="/sso/oidc",
        httponly=True,
        samesite="lax",  # the provider sends the browser back with a top-level GET
        secure=settings.https,
    )
    return response


@router.get("/sso/oidc/callback", name="oidc_callback")
def finish_oidc(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    state: Annotated[str, Query(max_length=500)] = "",
    code: Annotated[str, Query(max_length=2000)] = "",
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Back from the identity provider: check everything, then sign in as the linked account."""
    client = _oidc(request)
    pending = Pending.unseal(request.cookies.get(PENDING_COOKIE), request.app.state.secret_key)
    if error is not None:
        raise SignInRefused(
            _("Connexion refusée par le journal : {reason}").format(reason=error_description or error)
        )
    claims = client.finish(pending=pending, state=state, code=code)
    person = sso.oidc_person(
        claims,
        trust_roles=settings.sso_trust_roles,
        role_claim=settings.oidc_role_claim,
        group_roles=settings.oidc_roles,
    )
    user = sso.link_account(session, person=person)
    response = see_other(request, safe_next(pending.next, allowed=settings.embed_origins))
    sign_in_cookies(response, begin_session(request, session, user), user, settings)
    response.delete_cookie(
        PENDING_COOKIE, path="/sso/oidc", httponly=True, samesite="lax", secure=settings.https
    )
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

"""The reader's account: change the password, download their data, erase the account; and what we keep."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import (
    Account,
    SessionDep,
    SettingsDep,
    begin_session,
    end_browser_session,
    set_session_cookie,
)
from app.errors import DomainError
from app.i18n import _
from app.services import accounts, privacy
from app.templating import render
from app.web.common import see_other

router = APIRouter()

Secret = Annotated[str, Form(max_length=1000)]


def _page(request: Request, *, status_code: int = 200, **context: object) -> HTMLResponse:
    defaults: dict[str, object] = {"errors": {}, "notice": None}
    return render(request, "account/index.html", status_code=status_code, **{**defaults, **context})


@router.get("/account", name="account")
def account_page(
    request: Request,
    user: Account,
    changed: Annotated[str | None, Query(max_length=5)] = None,
    mail: Annotated[str | None, Query(max_length=10)] = None,
    profile: Annotated[str | None, Query(max_length=5)] = None,
) -> HTMLResponse:
    notice = _("Mot de passe modifié : vos autres sessions sont fermées.") if changed else None
    notice = _("Profil enregistré.") if profile else notice
    notice = _mail_notice(mail) or notice
    return _page(request, notice=notice, account=user)


def _mail_notice(mail: str | None) -> str | None:
    """The notices of the mail journeys (app/web/mail.py)."""
    notices = {
        "reset": _("Mot de passe réinitialisé : toutes vos autres sessions sont fermées."),
        "sent": _("Un lien de vérification vient d’être envoyé à votre adresse."),
        "email": _("Adresse modifiée : un lien de vérification a été envoyé à la nouvelle adresse."),
        "prefs": _("Préférences de messages enregistrées."),
    }
    return notices.get(mail or "")


@router.post("/account/password", name="account_password")
def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Account,
    current_password: Secret = "",
    new_password: Secret = "",
) -> Response:
    try:
        accounts.change_password(session, user=user, current=current_password, new=new_password)
    except DomainError as exc:
        return _page(request, status_code=exc.status_code, account=user, errors={"password": str(exc)})
    # Every session ended with the old password; this browser gets a fresh one.
    response = see_other(request, "/account?changed=1")
    set_session_cookie(response, begin_session(request, session, user), settings)
    return response


@router.post("/account/profile", name="account_profile")
def update_profile(
    request: Request,
    session: SessionDep,
    user: Account,
    display_name: Annotated[str, Form(max_length=200)] = "",
    bio: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        accounts.update_profile(session, user=user, display_name=display_name, bio=bio)
    except DomainError as exc:  # refused before anything changed
        return _page(
            request,
            status_code=exc.status_code,
            account=user,
            errors=exc.fields,
            profile={"display_name": display_name, "bio": bio},
        )
    return see_other(request, "/account?profile=1#profile")


@router.get("/account/export", name="account_export")
def export_data(session: SessionDep, user: Account) -> Response:
    data = privacy.export_data(session, user=user)
    return Response(
        orjson.dumps(data, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="tribune-{user.username}.json"'},
    )


@router.post("/account/erase", name="account_erase")
def erase_account(
    request: Request,
    session: SessionDep,
    user: Account,
    password: Secret = "",
    comments: Annotated[str, Form(max_length=10)] = "keep",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    if comments not in {f.value for f in privacy.CommentFate} or confirm != "yes":
        return _page(
            request,
            status_code=422,
            account=user,
            errors={"erase": _("Cochez la confirmation et choisissez le sort de vos messages.")},
        )
    try:
        privacy.erase_account(session, user=user, password=password, comments=privacy.CommentFate(comments))
    except DomainError as exc:
        return _page(request, status_code=exc.status_code, account=user, errors={"erase": str(exc)})
    request.state.viewer = None
    request.state.session_id = None
    response = render(request, "account/erased.html")
    end_browser_session(request, session, response)
    return response


@router.get("/privacy", name="privacy")
def privacy_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    return render(
        request,
        "account/privacy.html",
        idle_days=settings.session_idle_days,
        absolute_days=settings.session_absolute_days,
        shared_limits=bool(settings.redis_url),
    )

"""The language switcher: a plain form on every page posts here; the choice is kept in a cookie for a
year (and on the account, when signed in), then the reader goes back to the page they were on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app import i18n
from app.deps import SessionDep, SettingsDep, Viewer, remember_language
from app.errors import BadRequest
from app.i18n import _
from app.middleware import LOCALE_COOKIE
from app.services import accounts
from app.web.common import safe_next, see_other

router = APIRouter()


@router.post("/lang", name="set_language")
def set_language(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: Viewer,
    lang: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if lang not in i18n.LOCALES:
        raise BadRequest(_("Langue inconnue."))
    if viewer is not None and viewer.locale != lang:
        accounts.set_locale(session, person=viewer, locale=lang)
    response = see_other(request, safe_next(next))
    remember_language(response, lang, settings)
    return response


def chosen_language(request: Request) -> str | None:
    """The language this browser picked with the switcher (its cookie), if any: not Accept-Language."""
    lang = request.cookies.get(LOCALE_COOKIE)
    return lang if lang in i18n.LOCALES else None

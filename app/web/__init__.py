"""HTML pages and htmx fragments."""

from fastapi import APIRouter

from app.deps import CsrfChecked
from app.routing import include_flat
from app.web import auth, comments, debate, dsa, editor, live, moderation, pages

router = APIRouter(include_in_schema=False, dependencies=[CsrfChecked])
include_flat(router, pages.router)
include_flat(router, auth.router)
include_flat(router, comments.router)
include_flat(
    router, dsa.router
)  # before moderation: /moderation/appeals is not a queue of /moderation/{queue}
include_flat(router, moderation.router)
include_flat(router, debate.router)
include_flat(router, editor.router)
include_flat(router, editor.admin_router)
include_flat(router, live.router)

from app.web import account  # noqa: E402 - kept apart from the list above, which others edit

include_flat(router, account.router)
from app.web import lang  # noqa: E402 - the language switcher

include_flat(router, lang.router)
from app.web import mail  # noqa: E402 - mail journeys (issue 16)

include_flat(router, mail.router)
include_flat(router, mail.admin_router)
from app.web import sso  # noqa: E402 - single sign-on (issue 17)

include_flat(router, sso.router)
from app.web import embed  # noqa: E402 - the debate in the newsroom's pages (issue 17)

include_flat(router, embed.router)
from app.web import search  # noqa: E402 - searching a debate (issue 20)

include_flat(router, search.router)

"""The JSON API, v1: the contract of API.md over the same services as the pages."""

from fastapi import APIRouter

from app.api import articles, auth, comments, editor, moderation, notifications
from app.api.common import ERROR_RESPONSES
from app.deps import CsrfChecked
from app.routing import include_flat

router = APIRouter(prefix="/api/v1", dependencies=[CsrfChecked], responses=ERROR_RESPONSES)
# Routes are matched in order, one by one: the busiest (reading, posting, voting) come first.
include_flat(router, articles.router)
include_flat(router, comments.router)
include_flat(router, auth.router)
include_flat(router, moderation.router)
include_flat(router, editor.router)
include_flat(router, editor.admin_router)
include_flat(router, notifications.router)

from app.api import me  # noqa: E402 - kept apart from the list above, which others edit

include_flat(router, me.router)
from app.api import sso  # noqa: E402 - single sign-on (issue 17)

include_flat(router, sso.router)
from app.api import dsa  # noqa: E402 - EU DSA (issue 18)

include_flat(router, dsa.router)
include_flat(router, dsa.moderation_router)

"""The JSON API, v1: the contract of API.md over the same services as the pages."""

from fastapi import APIRouter

from app.api import articles, auth, comments, editor, moderation, notifications
from app.api.common import ERROR_RESPONSES
from app.deps import CsrfChecked

router = APIRouter(prefix="/api/v1", dependencies=[CsrfChecked], responses=ERROR_RESPONSES)
# Routes are matched in order, one by one: the busiest (reading, posting, voting) come first.
router.include_router(articles.router)
router.include_router(comments.router)
router.include_router(auth.router)
router.include_router(moderation.router)
router.include_router(editor.router)
router.include_router(editor.admin_router)
router.include_router(notifications.router)

from app.api import me  # noqa: E402 - kept apart from the list above, which others edit

router.include_router(me.router)

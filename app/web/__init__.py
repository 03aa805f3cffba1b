"""HTML pages and htmx fragments."""

from fastapi import APIRouter

from app.deps import CsrfChecked
from app.web import auth, comments, debate, editor, live, moderation, pages

router = APIRouter(include_in_schema=False, dependencies=[CsrfChecked])
router.include_router(pages.router)
router.include_router(auth.router)
router.include_router(comments.router)
router.include_router(moderation.router)
router.include_router(debate.router)
router.include_router(editor.router)
router.include_router(editor.admin_router)
router.include_router(live.router)

from app.web import account  # noqa: E402 - kept apart from the list above, which others edit

router.include_router(account.router)
from app.web import lang  # noqa: E402 - the language switcher

router.include_router(lang.router)

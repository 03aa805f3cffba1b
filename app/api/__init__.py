"""The JSON API, v1: the contract of API.md over the same services as the pages."""

from fastapi import APIRouter

from app.api import articles, auth, comments
from app.deps import CsrfChecked

router = APIRouter(prefix="/api/v1", dependencies=[CsrfChecked])
router.include_router(auth.router)
router.include_router(articles.router)
router.include_router(comments.router)

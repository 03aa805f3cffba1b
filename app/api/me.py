"""The reader's own data: export everything, erase the account."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import Field

from app.api.common import json_response
from app.deps import Account, SessionDep, end_browser_session
from app.models.schemas import Strict
from app.services import privacy

router = APIRouter(prefix="/me", tags=["me"])


class EraseRequest(Strict):
    password: str = Field(max_length=1000)
    comments: Literal["keep", "remove"] = "keep"


class ExportOut(Strict):
    exported_at: str
    profile: dict[str, Any]
    mail: list[dict[str, Any]]  # messages sent (or to send) to you: issue 16
    linked_accounts: list[dict[str, Any]]  # the newsroom's accounts this one signs in with: issue 17
    sessions: list[dict[str, Any]]
    comments: list[dict[str, Any]]
    votes: list[dict[str, Any]]
    stance_votes: list[dict[str, Any]]
    reports: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    moderation: list[dict[str, Any]]
    statements: list[dict[str, Any]]  # statements of reasons and their appeals: issue 18
    notices: list[dict[str, Any]]  # notices of illegal content you sent while signed in: issue 18


@router.get("/export", response_model=ExportOut)
def export_data(session: SessionDep, user: Account) -> Response:
    """Everything stored about you, as JSON."""
    return json_response(privacy.export_data(session, user=user))


@router.delete("", status_code=204)
def erase_account(request: Request, session: SessionDep, user: Account, data: EraseRequest) -> Response:
    """Erase your account; comments stay as "compte supprimé" unless `comments` is "remove"."""
    privacy.erase_account(
        session, user=user, password=data.password, comments=privacy.CommentFate(data.comments)
    )
    response = Response(status_code=204)
    end_browser_session(request, session, response)
    return response

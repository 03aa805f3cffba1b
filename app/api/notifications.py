"""A reader's notifications: replies, featured, approved, rejected."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.api.common import json_response
from app.api.schemas import iso
from app.deps import CurrentUser, SessionDep
from app.errors import BadRequest
from app.i18n import _
from app.services import notifications
from app.text import ID_PATTERN, parse_id

router = APIRouter(prefix="/me", tags=["me"])


class NotificationOut(BaseModel):
    id: int
    kind: str
    comment_id: int | None
    reason: str | None
    message: str | None
    created_at: str
    read: bool


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    unread: int
    next_cursor: str | None


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[StrictInt] | None = Field(default=None, max_length=100)


@router.get("/notifications", response_model=NotificationPage)
def list_notifications(
    session: SessionDep,
    user: CurrentUser,
    cursor: Annotated[str | None, Query(max_length=12, json_schema_extra={"pattern": ID_PATTERN})] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    """Your notifications, newest first, with the unread count."""
    before = None
    if cursor is not None:
        before = parse_id(cursor, BadRequest(_("Curseur de pagination invalide."), field="cursor"))
    rows = notifications.list_for(session, user=user, before_id=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return json_response(
        {
            "items": [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "comment_id": n.comment_id,
                    "reason": n.reason,
                    "message": n.message,
                    "created_at": iso(n.created_at),
                    "read": n.read_at is not None,
                }
                for n in rows
            ],
            "unread": notifications.unread_count(session, user=user),
            "next_cursor": str(rows[-1].id) if more and rows else None,
        }
    )


@router.post("/notifications/read")
def read_notifications(session: SessionDep, user: CurrentUser, data: ReadIn | None = None) -> Response:
    """Mark some notifications (ids) or all of them as read."""
    ids = [i for i in data.ids if 0 < i < 2**31] if data and data.ids is not None else None
    changed = notifications.mark_read(session, user=user, ids=ids)
    return json_response({"marked": changed, "unread": notifications.unread_count(session, user=user)})

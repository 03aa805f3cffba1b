"""Helpers for JSON routes."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Query
from fastapi.responses import Response
from pydantic import BaseModel

from app.services.comments import Sort
from app.text import ID_PATTERN


def json_response(payload: Any, status_code: int = 200) -> Response:
    # Built with orjson and returned directly: the response models document the shape in the
    # OpenAPI, and the whole-debate endpoint does not pay for a second validation pass.
    return Response(orjson.dumps(payload), status_code=status_code, media_type="application/json")


class ErrorOut(BaseModel):
    """Every error of the API: a kind, a message for a person, and for 422 the fields at fault."""

    error: str
    detail: str
    fields: dict[str, str] | None = None


# Documented on every API operation, in place of FastAPI's default 422 shape, which the handlers replace.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in {
        400: "Malformed request",
        401: "Not signed in",
        403: "Not allowed",
        404: "Absent or not visible to you",
        409: "Duplicate",
        413: "Body too large",
        422: "Invalid data",
        429: "Too many requests (see Retry-After)",
    }.items()
}


# Query parameters that the services parse themselves, with their own messages (a 400 for a cursor
# that is not one, a 422 for an unknown sort): the OpenAPI document still states what they accept.
IdCursor = Annotated[str | None, Query(max_length=20, json_schema_extra={"pattern": ID_PATTERN})]
# The moderation queues and log take an empty cursor for the first page.
ModerationCursor = Annotated[
    str | None, Query(max_length=20, json_schema_extra={"pattern": ID_PATTERN.replace("^(", "^(|", 1)})
]
SORTS = [*(s.value for s in Sort), ""]  # empty: the default
SortQuery = Annotated[str, Query(max_length=20, json_schema_extra={"enum": SORTS})]
# The debate's comments also take a search's own order (issue 20): relevance, the default with `q`.
CommentSortQuery = Annotated[str, Query(max_length=20, json_schema_extra={"enum": [*SORTS, "relevance"]})]
# Opaque: base64url (no padding) of the last item's sort key, as next_cursor gave it.
CommentCursor = Annotated[
    str | None, Query(max_length=200, json_schema_extra={"pattern": "^[A-Za-z0-9_-]*$"})
]

"""Helpers for JSON routes."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.types import Receive, Scope

from app.deps import check_csrf
from app.errors import DomainError
from app.routing import read_body


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


M = TypeVar("M", bound=BaseModel)


async def lane_input(scope: Scope, receive: Receive, model: type[M]) -> tuple[Request, M | None]:
    """How every lane (routing.Lane) starts: the body read (its route can read it again, from
    request.receive), then check_csrf and the JSON body as model, as FastAPI would do them. None when
    any of it fails: the route answers that request."""
    body, replay = await read_body(receive)
    request = Request(scope, replay)
    try:
        await check_csrf(request)
        if not request.headers.get("content-type", "").startswith("application/json"):
            return request, None
        return request, model.model_validate(orjson.loads(body), from_attributes=True)
    except (DomainError, ValidationError, orjson.JSONDecodeError):
        return request, None
    except Exception:  # noqa: BLE001 - a validator's own failure: what it means is the route's to say
        # (FastAPI runs the route's dependencies first: an anonymous request is a 401 before its body
        # is even read).
        return request, None

"""Helpers for JSON routes."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response


def json_response(payload: Any, status_code: int = 200) -> Response:
    # Built with orjson and returned directly: the response models document the shape in the
    # OpenAPI, and the whole-debate endpoint does not pay for a second validation pass.
    return Response(orjson.dumps(payload), status_code=status_code, media_type="application/json")

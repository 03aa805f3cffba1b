"""Static files under versioned URLs: `static("css/tribune.css")` in a template gives
/static/css/tribune.css?v=<hash of its bytes>, which browsers may keep a year, untouched; a request
without the current version is revalidated (ETag) every time. Plus /favicon.ico for the clients
that ask for it without reading the page."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
FAVICON = STATIC_DIR / "img" / "favicon.ico"


@functools.cache
def version(path: str) -> str:
    """The version of a static file: its content's hash, read once per process (files ship with it)."""
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    return f"/static/{path}?v={version(path)}"


class VersionedStaticFiles(StaticFiles):
    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = FileResponse(full_path, status_code=status_code, stat_result=stat_result)
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        # Only the version the running code links to is immutable: an old or made-up one could
        # otherwise pin other bytes under that URL for a year.
        current = version(Path(full_path).resolve().relative_to(STATIC_DIR).as_posix()) if asked else ""
        response.headers["cache-control"] = IMMUTABLE if asked and asked == current else REVALIDATE
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response


def favicon(request: Request) -> Response:
    return FileResponse(
        FAVICON, media_type="image/x-icon", headers={"cache-control": "public, max-age=86400"}
    )

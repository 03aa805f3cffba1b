"""The live event stream is never compressed (gzip would hold events back until a buffer fills): a
browser that accepts gzip gets each event as it happens, on a real server."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.live.test_events import _comment, _servers, _signed_in


def test_a_browser_accepting_gzip_gets_the_event_stream_uncompressed_and_at_once(tmp_path: Path) -> None:
    with (
        _servers(tmp_path, 1, use_redis=False) as (bases, slug),
        httpx.Client(timeout=httpx.Timeout(5, read=15)) as client,
        client.stream("GET", f"{bases[0]}/articles/{slug}/events", headers={"Accept-Encoding": "gzip"}) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in r.headers
        lines = r.iter_lines()
        assert next(lines).startswith("retry:")  # the opening line arrives while the stream stays open
        posted = _comment(_signed_in(bases[0]), slug, "En direct, sans tampon")
        for line in lines:
            if line.startswith("data: ") and f'"id":{posted}' in line.replace(" ", ""):
                break
        else:
            raise AssertionError("the stream ended without the comment's event")

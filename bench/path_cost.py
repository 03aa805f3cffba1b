"""What one request costs in-process, route by route: the quick loop for work on the request path.

Run: .venv/bin/python bench/path_cost.py [N] [KIND …] [--profile | --sql]
Seeds a 1,000-comment debate (the bench's seed) in a temporary SQLite file, builds the app as `tribune
serve` does, and calls it as an ASGI application (no server, no sockets) N times per request kind,
printing the CPU time per request. The requests are the ones browsers and API clients send: the htmx
vote, the API vote, the htmx form post, the API post, the article page signed in (a reader with votes
on the page) and anonymous (from the render cache). Figures are for comparing two versions of the
code on one machine; the bench (`make bench`) measures the server under load. `--sql` prints the
statements one request of each kind sends to SQLite instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.main import create_app  # noqa: E402
from bench import run, seed  # noqa: E402

Request = tuple[str, str, list[tuple[bytes, bytes]], bytes]


async def call(app: object, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    sent = False
    status = 0

    async def receive() -> dict[str, object]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, object]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])  # type: ignore[call-overload]

    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive, send)  # type: ignore[operator]
    return status


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 400
    folder = Path(tempfile.mkdtemp(prefix="tribune-cost-"))
    url = f"sqlite:///{folder / 'tribune.db'}"
    # The second debate takes the pending queue the seed gives a moderator (its readers' comments).
    data = run.seed_tribune(url, sizes=(1000, 200), reader_votes=True)  # the signed-in reader has votes
    small = data.debates[1000]
    reader = data.creds[0]
    settings = Settings(
        database_url=url,
        secret_key=run.SECRET,
        instance_path=str(folder / "instance"),
        rate_limits=False,
        trust_threshold=0,
    )
    app = create_app(settings)
    rng = random.Random(7)
    counter = iter(range(10**9))

    def auth(cred: seed.Credential, form: bool) -> list[tuple[bytes, bytes]]:
        kind = b"application/x-www-form-urlencoded" if form else b"application/json"
        return [
            (b"cookie", cred.cookie.encode()),
            (b"x-csrf-token", cred.csrf.encode()),
            (b"content-type", kind),
        ]

    def api_vote() -> Request:
        cred = rng.choice(data.creds[1:])
        body = b'{"value": %d}' % rng.choice((1, -1))
        return "PUT", f"/api/v1/comments/{rng.choice(data.vote_ids)}/vote", auth(cred, False), body

    def htmx_vote() -> Request:
        cred = rng.choice(data.creds[1:])
        body = urlencode({"direction": rng.choice(("up", "down")), "csrf_token": cred.csrf}).encode()
        headers = [*auth(cred, True), (b"hx-request", b"true")]
        return "POST", f"/comments/{rng.choice(data.vote_ids)}/vote", headers, body

    bodies = seed.make_bodies(40, seed=11)  # what the bench posts

    def text() -> str:
        return f"{rng.choice(bodies)} (n° {next(counter)}-{rng.random()})"

    def where() -> dict[str, str]:
        """As the bench posts: three reactions in ten (with a stance), the others replies."""
        if rng.random() < 0.3:
            return {"stance": rng.choice(("for", "against", "nuanced"))}
        return {"parent_id": str(rng.choice(data.reply_parents))}

    def api_post() -> Request:
        cred = rng.choice(data.creds[1:])
        fields: dict[str, object] = {"body": text(), **where()}
        if "parent_id" in fields:
            fields["parent_id"] = int(str(fields["parent_id"]))
        payload = json.dumps(fields)
        return "POST", f"/api/v1/articles/{small.slug}/comments", auth(cred, False), payload.encode()

    def form_post() -> Request:
        cred = rng.choice(data.creds[1:])
        fields = {"body": text(), **where(), "csrf_token": cred.csrf}
        headers = [*auth(cred, True), (b"hx-request", b"true")]
        return "POST", f"/articles/{small.slug}/comments", headers, urlencode(fields).encode()

    def page_signed() -> Request:
        return "GET", f"/articles/{small.slug}", [(b"cookie", reader.cookie.encode())], b""

    def page_anonymous() -> Request:
        return "GET", f"/articles/{small.slug}", [], b""

    kinds: list[tuple[str, Callable[[], Request], int]] = [
        ("htmx vote", htmx_vote, 200),
        ("API vote", api_vote, 200),
        ("htmx form post", form_post, 201),
        ("API post", api_post, 201),
        ("article page, signed in", page_signed, 200),
        ("article page, anonymous", page_anonymous, 200),
    ]

    only = [a for a in sys.argv[1:] if not a.isdigit() and not a.startswith("--")]
    if only:
        kinds = [k for k in kinds if k[0] in only]

    async def show_sql() -> None:
        import sqlalchemy as sa

        statements: list[str] = []
        sa.event.listen(
            app.state.engine,  # type: ignore[attr-defined]
            "connect",
            lambda connection, _record: connection.set_trace_callback(statements.append),
        )
        app.state.engine.dispose()  # type: ignore[attr-defined]
        for name, make, _expected in kinds:
            for _ in range(3):
                await call(app, *make())
            statements.clear()
            await call(app, *make())
            print(f"\n  {name}: {len(statements)} statements")
            for statement in statements:
                print("    " + " ".join(statement.split())[:160])

    async def measure() -> None:
        for name, make, expected in kinds:
            for _ in range(min(n, 50)):  # warm up: caches, prepared statements, the thread pool
                await call(app, *make())
            statuses: dict[int, int] = {}
            costs = []
            for _round in range(3):  # the least of three rounds: the machine's other work only adds
                started = time.process_time()
                for _ in range(n):
                    status = await call(app, *make())
                    statuses[status] = statuses.get(status, 0) + 1
                costs.append((time.process_time() - started) / n * 1e6)
            cost = min(costs)
            flag = "" if set(statuses) == {expected} else f"  statuses {statuses}"
            print(f"  {name:<28} {cost:8.0f} us CPU per request{flag}")

    if "--profile" in sys.argv:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(asyncio.run, measure())
        stats = pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
        if os.environ.get("PROFILE_CALLERS"):  # who calls the functions matching this pattern
            stats.print_callers(os.environ["PROFILE_CALLERS"])
        else:
            stats.print_stats(60)
    elif "--sql" in sys.argv:
        asyncio.run(show_sql())
    else:
        asyncio.run(measure())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Load beyond capacity: Tribune (one uvicorn worker, as `tribune serve` runs it) under 200, 1,000 and
2,000 concurrent clients on 127.0.0.1, half of them anonymous readers of a 1,000-comment debate's page
(the shared rendering), half signed-in readers voting through the page's htmx form. For each class:
requests answered, p50 and p99 latency (of every answer, 503s included), and the share of 503s, the
load shed with Retry-After once a request cannot start within TRIBUNE_QUEUE_TIMEOUT (2 s).

Bounded in time: OVERLOAD_SECONDS (10) per level, about a minute in all with the seeding.
Environment: OVERLOAD_SECONDS, OVERLOAD_LEVELS ("200,1000,2000"), OVERLOAD_DATABASE_URL (a fresh
SQLite file by default; a PostgreSQL URL works too, on a database of its own).
Run: `.venv/bin/python bench/overload.py`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    RUN,
    _ms,
    log,
    seed_tribune,
    tribune_htmx_vote_script,
    tribune_server,
    wait_http,
    write_script,
)

SECONDS = int(os.environ.get("OVERLOAD_SECONDS", "10"))
LEVELS = [int(n) for n in os.environ.get("OVERLOAD_LEVELS", "200,1000,2000").split(",")]

# Counts the answers by kind, per wrk thread; done() prints the sums for the parser below.
LUA_COUNT = """
ok, shed, other = 0, 0, 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  if status < 400 then ok = ok + 1 elseif status == 503 then shed = shed + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local o, s, x = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); s = s + t:get("shed"); x = x + t:get("other") end
  io.write(string.format("ANSWERS ok=%d shed=%d other=%d\\n", o, s, x))
end
"""


@dataclass
class Class:
    name: str
    answers: int
    shed: int
    other: int
    errors: int
    p50: float
    p99: float

    @property
    def share_shed(self) -> float:
        return self.shed / self.answers if self.answers else float("nan")


def wrk(url: str, *, conns: int, script: Path) -> subprocess.Popen[str]:
    cmd = [
        "wrk",
        "-t2",
        f"-c{conns}",
        f"-d{SECONDS}s",
        "--latency",
        "--timeout",
        "30s",
        "-s",
        str(script),
        url,
    ]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def parse(name: str, out: str) -> Class:
    answers = re.search(r"ANSWERS ok=(\d+) shed=(\d+) other=(\d+)", out)
    if answers is None:
        raise RuntimeError(f"wrk said:\n{out}")
    ok, shed, other = (int(g) for g in answers.groups())
    errors = 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors = sum(int(g) for g in m.groups())
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    return Class(name, ok + shed + other, shed, other, errors, p50, p99)


def main() -> int:
    RUN.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("OVERLOAD_DATABASE_URL") or f"sqlite:///{RUN / 'overload.db'}"
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    data = seed_tribune(url, sizes=(1000,))
    readers = write_script("overload_reader.lua", LUA_COUNT)
    vote = tribune_htmx_vote_script(data).read_text()
    voting_script = write_script("overload_voter.lua", vote + LUA_COUNT)
    page = f"/articles/{data.debates[1000].slug}"
    rows: list[tuple[int, Class, Class]] = []
    with tribune_server(data) as tribune:
        base = tribune.server.base
        for level in LEVELS:
            voters = level - level // 2
            log(f"{level} concurrent clients for {SECONDS}s ({level // 2} readers, {voters} voters)")
            running = [
                wrk(base + page, conns=level // 2, script=readers),
                wrk(base + "/", conns=voters, script=voting_script),
            ]
            outs = [p.communicate(timeout=SECONDS + 120)[0] for p in running]
            reading, voting = parse("anonymous page readers", outs[0]), parse("signed-in voters", outs[1])
            rows.append((level, reading, voting))
            wait_http(f"{base}/healthz", timeout=120)  # what was still queued is served before the next level
    print()
    print(f"{'clients':>7}  {'class':<24} {'answers':>8} {'p50 ms':>9} {'p99 ms':>9} {'503 share':>9}  other")
    for level, *classes in rows:
        for c in classes:
            print(
                f"{level:>7}  {c.name:<24} {c.answers:>8} {c.p50:>9.1f} {c.p99:>9.1f} {c.share_shed:>9.1%}"
                f"  {c.other} 4xx/5xx, {c.errors} socket errors"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench-writes`: posting and voting only (through the API and as the page's htmx forms send
them), Tribune beside Isso, in about three minutes.

The same seed, scripts and servers as `bench/run.py` (a 1,000-comment debate, 200 signed-in readers,
one worker each, wrk on 127.0.0.1, the runs of ours and the peer's taken in turn), for work on the
write path without the whole bench.
BENCH_ISSO=0 skips the peer; BENCH_SECONDS and BENCH_RUNS as in run.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run  # noqa: E402


def main() -> int:
    shutil.rmtree(run.RUN, ignore_errors=True)
    run.RUN.mkdir(parents=True)
    (run.RUN / "instance").mkdir()
    data = run.seed_tribune(f"sqlite:///{run.RUN / 'tribune.db'}", sizes=(1000,), reader_votes=True)
    with contextlib.ExitStack() as stack:
        peer = stack.enter_context(run.isso_server(1000)) if os.environ.get("BENCH_ISSO") != "0" else None
        tribune = stack.enter_context(run.tribune_server(data))
        both = run.writes(tribune, data, peer, 1000)
    ours = {k: v for k, v in both.items() if not k.startswith("isso_")}
    isso = {k: v for k, v in both.items() if k.startswith("isso_")}
    print()
    for result in [*ours.values(), *isso.values()]:
        print(f"  {result.name:<30} {result.rps:>9.1f} req/s  p50 {result.p50:7.2f} ms  "
              f"CPU {result.cpu_ms:5.2f} ms/req  errors {result.errors}")  # fmt: skip
    if isso:
        for key, theirs, name in (
            ("post", "isso_post", "posting (API) / Isso posting"),
            ("post_htmx", "isso_post", "form post (htmx) / Isso posting"),
            ("vote", "isso_vote", "voting (API) / Isso voting"),
            ("vote_htmx", "isso_vote", "htmx vote / Isso voting"),
        ):
            value = ours[key].rps / isso[theirs].rps
            print(f"  {name:<34} {value:5.2f}   target ≥ 2 {'OK' if value >= 2 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

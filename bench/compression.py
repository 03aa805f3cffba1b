"""`make bench-compression`: what gzip costs the article page. The 1,000-comment debate's page
(anonymous and signed in, as `make bench` seeds it) loaded by wrk with and without
`Accept-Encoding: gzip`, runs taken in turn, and the bytes each sends; then the time zlib takes on
that page at each level, in this process.

Environment: BENCH_SECONDS (8), BENCH_RUNS (3), BENCH_CONNECTIONS (32).
"""

from __future__ import annotations

import gzip
import shutil
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import RUN, Load, lua_string, scenarios, seed_tribune, tribune_server, write_script  # noqa: E402


def header_script(name: str, headers: dict[str, str]) -> Path:
    lines = "".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}\n" for k, v in headers.items())
    return write_script(name, lines)


def fetch(url: str, headers: dict[str, str]) -> tuple[bytes, str]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read(), response.headers.get("content-encoding", "")


def main() -> int:
    shutil.rmtree(RUN, ignore_errors=True)
    (RUN / "instance").mkdir(parents=True)
    data = seed_tribune(f"sqlite:///{RUN / 'tribune.db'}", sizes=(1000,), reader_votes=True)
    cookie = data.creds[0].cookie
    gz = {"Accept-Encoding": "gzip"}
    with tribune_server(data) as tribune:
        server = tribune.server
        page = f"/articles/{data.debates[1000].slug}"
        sizes = {}
        for who, extra in (("anonymous", {}), ("signed in", {"Cookie": cookie})):
            plain, _ = fetch(server.base + page, extra)
            packed, encoding = fetch(server.base + page, {**extra, **gz})
            assert encoding == "gzip", encoding
            sizes[who] = (len(plain), len(packed))
            body = plain
        signed = {"Cookie": cookie}
        results = scenarios(
            Load("article 1,000, anonymous, identity", server, page, header_script("a.lua", {})),
            Load("article 1,000, anonymous, gzip", server, page, header_script("a-gz.lua", gz)),
            Load("article 1,000, signed in, identity", server, page, header_script("s.lua", signed)),
            Load("article 1,000, signed in, gzip", server, page, header_script("s-gz.lua", {**signed, **gz})),
        )
    print()
    print(f"| {'scenario':<40} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'CPU ms/req':>10} |")
    print(f"|{'-' * 42}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 12}|")
    for r in results:
        print(f"| {r.name:<40} | {r.rps:>8.1f} | {r.p50:>7.2f} | {r.p99:>7.2f} | {r.cpu_ms:>10.2f} |")
    print()
    for who, (plain_size, packed_size) in sizes.items():
        ratio = packed_size / plain_size
        print(f"  {who:<10} page: {plain_size:>8,} bytes, gzipped {packed_size:>7,} ({ratio:.0%})")
    print()
    for level in (1, 4, 6, 9):
        start = time.perf_counter()
        for _ in range(20):
            out = gzip.compress(body, compresslevel=level)
        print(
            f"  zlib level {level}: {(time.perf_counter() - start) / 20 * 1000:6.2f} ms, {len(out):>7,} bytes"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench`: Tribune beside a peer (Isso) and a bare FastAPI hello, in one run, on 127.0.0.1.

Seeds debates of 1,000, 10,000 and 100,000 comments (bulk inserts into a database built by
Alembic), installs Isso from PyPI into bench/.work/isso-venv and seeds the same 1,000-comment
debate there, then loads each server with wrk (one uvicorn/gunicorn worker each), each scenario
BENCH_RUNS times for BENCH_SECONDS (posting and voting, through the API and as the page's htmx forms
send them, beside the peer's, their runs in turn: both servers meet the same moments of the machine),
and prints medians, ratios, resident memory and, when a PostgreSQL server answers, EXPLAIN of the hot
queries on the 100,000-comment debate. The signed-in pages are a reader's who has voted on a third of
the 1,000-comment debate's comments and taken a stance on its question.

Environment: BENCH_SECONDS (8), BENCH_RUNS (3), BENCH_CONNECTIONS (32),
BENCH_PG_URL (postgresql+psycopg://postgres@127.0.0.1:5432/test; "none" skips the EXPLAIN section).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from alembic import command  # noqa: E402

from app.cli import alembic_config  # noqa: E402
from bench import seed  # noqa: E402

WORK = ROOT / "bench" / ".work"
RUN = WORK / "run"
ISSO_VENV = WORK / "isso-venv"
ISSO_VERSION = "0.14.0"
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CONNS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "bench-secret-key"
PYTHON = sys.executable
LOAD_USERS = 200
AUTHORS = 2000


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# Processes --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f}s")


def start(cmd: list[str], *, env: dict[str, str] | None = None, log_name: str) -> subprocess.Popen[bytes]:
    out = open(RUN / log_name, "wb")  # noqa: SIM115 - kept open for the life of the process
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


class RssSampler(threading.Thread):
    """Peak resident memory of a process and its children, sampled every 200 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.halt = threading.Event()

    def _pids(self) -> list[int]:
        pids = [self.pid]
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
            pids += [int(c) for c in children]
        except OSError:
            pass
        return pids

    def run(self) -> None:
        while not self.halt.wait(0.2):
            total = 0
            for pid in self._pids():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
                except OSError:
                    pass
            self.peak = max(self.peak, total)


# Load -------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    conns: int
    rps: float
    p50: float  # milliseconds
    p99: float
    errors: int
    requests: int
    cpu_ms: float = float("nan")  # server CPU per answered request: steadier than req/s on a busy machine


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    """A server under load: its address, its process (for the CPU time per request, children
    included) and how to wait until the requests still in flight when wrk stopped are served."""

    name: str
    base: str
    pid: int
    settle: Callable[[], None]

    def cpu_seconds(self) -> float:
        pids, total = [self.pid], 0.0
        with contextlib.suppress(OSError):
            pids += [int(c) for c in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            except (OSError, IndexError, ValueError):
                pass
        return total


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        return float("nan")
    return float(match.group(1)) * UNITS[match.group(2)]


def wrk_once(
    url: str, *, conns: int, script: Path | None, seconds: int
) -> tuple[float, float, float, int, int]:
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 120).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in m.groups())
    return rps, p50, p99, errors, requests


@dataclass
class Load:
    """One scenario: wrk on server's path (with a Lua script for writes)."""

    name: str
    server: Server
    path: str = "/"
    script: Path | None = None
    conns: int = CONNS


def scenarios(*loads: Load) -> list[Result]:
    """Each load RUNS times, the runs of the loads taken in turn (A B A B A B): scenarios compared
    with each other meet the same moments of a shared machine, so its drift moves both."""
    runs: list[list[tuple[float, float, float, int, int]]] = [[] for _ in loads]
    cpu = [0.0] * len(loads)
    for _ in range(RUNS):
        for i, load in enumerate(loads):
            before = load.server.cpu_seconds()
            runs[i].append(
                wrk_once(load.server.base + load.path, conns=load.conns, script=load.script, seconds=SECONDS)
            )
            load.server.settle()  # requests still queued when wrk stopped are served (and counted) here
            cpu[i] += load.server.cpu_seconds() - before
    results = []
    for load, done, seconds in zip(loads, runs, cpu, strict=True):
        requests = sum(r[4] for r in done)
        result = Result(
            load.name,
            load.conns,
            statistics.median(r[0] for r in done),
            statistics.median(r[1] for r in done),
            statistics.median(r[2] for r in done),
            sum(r[3] for r in done),
            requests,
            1000 * seconds / requests if requests else float("nan"),
        )
        log(
            f"{load.name:<44} {result.rps:>9.1f} req/s  p50 {result.p50:8.2f} ms  p99 {result.p99:8.2f} ms"
            f"  CPU {result.cpu_ms:6.2f} ms/req"
        )
        results.append(result)
    return results


def scenario(load: Load) -> Result:
    return scenarios(load)[0]


def lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


def write_script(name: str, body: str) -> Path:
    path = RUN / name
    path.write_text(body, encoding="utf-8")
    return path


# Tribune ----------------------------------------------------------------------------------------


@dataclass
class TribuneData:
    url: str
    debates: dict[int, seed.Seeded]
    creds: list[seed.Credential]
    moderator: seed.Credential
    branch_id: int
    branch_size: int
    vote_ids: list[int]
    reply_parents: list[int]


def seed_tribune(
    url: str, *, sizes: tuple[int, ...], with_load: bool = True, reader_votes: bool = False
) -> TribuneData:
    """The debates of `sizes` comments; with_load: the 200 readers' sessions, a moderator's and a
    pending queue; reader_votes: the first reader's votes and stance on the smallest debate."""
    command.upgrade(alembic_config(url), "head")
    engine = sa.create_engine(url)
    bodies, rendered = seed.rendered_pool()
    debates: dict[int, seed.Seeded] = {}
    with engine.begin() as conn:
        authors = seed.insert_users(conn, AUTHORS, prefix="auteur")
        for size in sizes:
            t0 = time.monotonic()
            debates[size] = seed.seed_debate(
                conn, slug=f"debat-{size}", size=size, user_ids=authors, bodies=bodies, rendered=rendered
            )
            log(f"seeded a {size:,}-comment debate in {time.monotonic() - t0:.1f}s ({engine.dialect.name})")
        creds: list[seed.Credential] = []
        moderator = None
        if with_load:
            readers = seed.insert_users(conn, LOAD_USERS, prefix="banc")
            creds = seed.insert_sessions(conn, readers, secret=SECRET)
            mod_id = seed.insert_users(conn, 1, prefix="moderatrice")
            conn.execute(
                seed.USER.update().where(seed.USER.c.id == mod_id[0]).values(role=seed.Role.moderator)
            )
            moderator = seed.insert_sessions(conn, mod_id, secret=SECRET)[0]
            if reader_votes:
                # The reader of the signed-in pages (signed_in.lua) has voted on a third of the small
                # debate's comments and answered its question, as a regular reader of a debate has.
                reader, small = creds[0].user_id, debates[sizes[0]]
                voted = seed.insert_reader_votes(conn, user_id=reader, debate=small)
                seed.insert_stance(
                    conn, user_id=reader, article_id=small.article_id, stance=seed.Stance.against
                )
                log(f"the signed-in reader: {voted} votes on the {small.size:,} debate and a stance")
            # A pending queue for the moderators' page: 60 held reactions on the 10,000 debate.
            held = debates[sizes[1] if len(sizes) > 1 else sizes[0]]
            now = datetime.now(UTC)
            conn.execute(
                seed.COMMENT.insert(),
                [
                    {
                        "article_id": held.article_id,
                        "author_id": readers[i],
                        "body_markdown": bodies[i],
                        "body_html": rendered[i],
                        "stance": seed.Stance.against,
                        "status": seed.CommentStatus.pending,
                        "created_at": now,
                    }
                    for i in range(60)
                ],
            )
        small = debates[sizes[0]]
        counts = dict(
            conn.execute(
                sa.select(seed.COMMENT.c.root_id, sa.func.count())
                .where(seed.COMMENT.c.article_id == small.article_id, seed.COMMENT.c.root_id.is_not(None))
                .group_by(seed.COMMENT.c.root_id)
            ).all()
        )
    engine.dispose()
    branch_id, branch_size = max(counts.items(), key=lambda kv: kv[1])
    ids = list(range(small.first_id, small.first_id + small.size))
    return TribuneData(url, debates, creds, moderator, branch_id, branch_size + 1, ids, ids)  # type: ignore[arg-type]


# What a browser sends for a form: unreserved bytes as they are, spaces as +, every other byte
# (UTF-8 included) as %XX. Applied to the fixed texts once, when the script loads, and to each
# request's unique suffix.
LUA_FORM_ENCODE = """
local function encode(s)
  return (s:gsub("[^%w%-%.%_~ ]", function(ch) return string.format("%%%02X", ch:byte()) end):gsub(" ", "+"))
end
"""


def lua_creds(data: TribuneData) -> str:
    return ",".join(f"{{{lua_string(c.cookie)},{lua_string(c.csrf)}}}" for c in data.creds)


def tribune_post_script(data: TribuneData, slug: str) -> Path:
    texts = ",".join(lua_string(json.dumps(b)[1:-1]) for b in seed.make_bodies(40, seed=11))
    parents = ",".join(str(i) for i in data.reply_parents)
    return write_script(
        "tribune_post.lua",
        f"""
local creds = {{{lua_creds(data)}}}
local texts = {{{texts}}}
local parents = {{{parents}}}
local stances = {{"for", "against", "nuanced"}}
local n = 0
function init(args) math.randomseed(os.time()) end
function request()
  n = n + 1
  local c = creds[math.random(#creds)]
  local text = texts[math.random(#texts)] .. " (n° " .. n .. "-" .. math.random(1000000) .. ")"
  local body
  if math.random() < 0.3 then
    body = '{{"body": "' .. text .. '", "stance": "' .. stances[math.random(3)] .. '"}}'
  else
    body = '{{"body": "' .. text .. '", "parent_id": ' .. parents[math.random(#parents)] .. '}}'
  end
  return wrk.format("POST", "/api/v1/articles/{slug}/comments",
    {{["Cookie"] = c[1], ["X-CSRF-Token"] = c[2], ["Content-Type"] = "application/json"}}, body)
end
""",
    )


def tribune_vote_script(data: TribuneData) -> Path:
    ids = ",".join(str(i) for i in data.vote_ids)
    return write_script(
        "tribune_vote.lua",
        f"""
local creds = {{{lua_creds(data)}}}
local ids = {{{ids}}}
local values = {{"1", "-1"}}
function init(args) math.randomseed(os.time() + 1) end
function request()
  local c = creds[math.random(#creds)]
  local path = "/api/v1/comments/" .. ids[math.random(#ids)] .. "/vote"
  return wrk.format("PUT", path,
    {{["Cookie"] = c[1], ["X-CSRF-Token"] = c[2], ["Content-Type"] = "application/json"}},
    '{{"value": ' .. values[math.random(2)] .. '}}')
end
""",
    )


def tribune_form_post_script(data: TribuneData, slug: str) -> Path:
    """What the page's composer sends through htmx: the form's fields (csrf_token, stance or
    parent_id, body) url-encoded, and the token again in the header htmx takes from <body hx-headers>."""
    texts = ",".join(lua_string(b) for b in seed.make_bodies(40, seed=11))
    parents = ",".join(str(i) for i in data.reply_parents)
    return write_script(
        "tribune_form_post.lua",
        LUA_FORM_ENCODE
        + f"""
local creds = {{{lua_creds(data)}}}
local texts = {{{texts}}}
local parents = {{{parents}}}
local stances = {{"for", "against", "nuanced"}}
for _, c in ipairs(creds) do c[3] = "csrf_token=" .. encode(c[2]) end
for i, text in ipairs(texts) do texts[i] = encode(text) end
local n = 0
function init(args) math.randomseed(os.time() + 3) end
function request()
  n = n + 1
  local c = creds[math.random(#creds)]
  local text = texts[math.random(#texts)] .. encode(" (n° " .. n .. "-" .. math.random(1000000) .. ")")
  local field
  if math.random() < 0.3 then
    field = "&stance=" .. stances[math.random(3)]
  else
    field = "&parent_id=" .. parents[math.random(#parents)]
  end
  return wrk.format("POST", "/articles/{slug}/comments",
    {{["HX-Request"] = "true", ["Cookie"] = c[1], ["X-CSRF-Token"] = c[2],
      ["Content-Type"] = "application/x-www-form-urlencoded"}},
    c[3] .. field .. "&body=" .. text)
end
""",
    )


def tribune_htmx_vote_script(data: TribuneData) -> Path:
    """What a click on a vote arrow sends through htmx: the vote form's hidden csrf_token and the
    clicked button's direction. A second click on the same arrow withdraws the vote (a toggle)."""
    ids = ",".join(str(i) for i in data.vote_ids)
    return write_script(
        "tribune_htmx_vote.lua",
        LUA_FORM_ENCODE
        + f"""
local creds = {{{lua_creds(data)}}}
local ids = {{{ids}}}
local directions = {{"&direction=up", "&direction=down"}}
for _, c in ipairs(creds) do c[3] = "csrf_token=" .. encode(c[2]) end
function init(args) math.randomseed(os.time() + 4) end
function request()
  local c = creds[math.random(#creds)]
  local path = "/comments/" .. ids[math.random(#ids)] .. "/vote"
  return wrk.format("POST", path,
    {{["HX-Request"] = "true", ["Cookie"] = c[1], ["X-CSRF-Token"] = c[2],
      ["Content-Type"] = "application/x-www-form-urlencoded"}},
    c[3] .. directions[math.random(2)])
end
""",
    )


def cookie_script(name: str, cookie: str) -> Path:
    return write_script(name, f'wrk.headers["Cookie"] = {lua_string(cookie)}\n')


# Isso -------------------------------------------------------------------------------------------


def install_isso() -> Path:
    python = ISSO_VENV / "bin" / "python"
    marker = ISSO_VENV / f".isso-{ISSO_VERSION}"
    if not marker.exists():
        log(f"installing Isso {ISSO_VERSION} and gunicorn from PyPI into {ISSO_VENV.relative_to(ROOT)}")
        shutil.rmtree(ISSO_VENV, ignore_errors=True)
        subprocess.run([PYTHON, "-m", "venv", str(ISSO_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             f"isso=={ISSO_VERSION}", "gunicorn"],
            check=True,
        )  # fmt: skip
        marker.touch()
    return python


def isso_plan(size: int) -> dict[str, object]:
    """The same debate as Tribune's, in the peer's terms (one level of nesting, as it stores replies)."""
    plan = seed.plan_debate(size, users=AUTHORS)
    bodies = seed.make_bodies(240)
    start = time.time() - seed.i_seconds(size) - 3600
    comments = []
    for c in plan:
        up = sum(1 for _v, value in c.voters if value == 1)
        comments.append(
            {
                "id": c.index + 1,
                "parent": None if c.root is None else c.root + 1,
                "created": start + c.offset_seconds,
                "text": bodies[c.body % len(bodies)],
                "author": f"auteur{c.author}",
                "likes": up,
                "dislikes": len(c.voters) - up,
                "voters": [v for v, _value in c.voters],
            }
        )
    return {"uri": f"/debat-{size}", "title": f"Débat de {size} réactions", "comments": comments}


def isso_scripts(size: int) -> tuple[Path, Path]:
    texts = ",".join(lua_string(json.dumps(b)[1:-1]) for b in seed.make_bodies(40, seed=11))
    post = write_script(
        "isso_post.lua",
        f"""
local texts = {{{texts}}}
local n = 0
function init(args) math.randomseed(os.time()) end
function request()
  n = n + 1
  local text = texts[math.random(#texts)] .. " (n° " .. n .. "-" .. math.random(1000000) .. ")"
  local parent = "null"
  if math.random() < 0.7 then parent = tostring(math.random({size})) end
  local body = '{{"text": "' .. text .. '", "author": "Lecteur", "parent": ' .. parent .. '}}'
  return wrk.format("POST", "/new?uri=%2Fdebat-{size}", {{["Content-Type"] = "application/json"}}, body)
end
""",
    )
    vote = write_script(
        "isso_vote.lua",
        f"""
function init(args) math.randomseed(os.time() + 2) end
local verbs = {{"like", "dislike"}}
function request()
  -- A distinct address per vote (the peer trusts 127.0.0.1 as a proxy), so each vote is a real write.
  local ip = "172.16." .. math.random(0, 255) .. "." .. math.random(1, 254)
  return wrk.format("POST", "/id/" .. math.random({size}) .. "/" .. verbs[math.random(2)],
    {{["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip}}, "")
end
""",
    )
    return post, vote


@contextlib.contextmanager
def isso_server(size: int) -> Iterator[Server]:
    """Isso (one gunicorn sync worker, SQLite) serving the same debate of `size` comments."""
    python = install_isso()
    db = RUN / "isso.db"
    port = free_port()
    config = RUN / "isso.cfg"
    config.write_text(
        f"""[general]
dbpath = {db}
host = http://127.0.0.1:{port}/
[moderation]
enabled = false
[server]
trusted-proxies = 127.0.0.1
[guard]
enabled = false
[admin]
enabled = false
""",
        encoding="utf-8",
    )
    plan = RUN / "isso-plan.json"
    plan.write_text(json.dumps(isso_plan(size), ensure_ascii=False), encoding="utf-8")
    seeded = subprocess.run(
        [str(python), str(ROOT / "bench" / "isso_seed.py"), str(config), str(plan)],
        check=True, capture_output=True, text=True, env={**os.environ, "ISSO_SETTINGS": str(config)},
    )  # fmt: skip
    log(f"seeded Isso with {seeded.stdout.strip()} comments")
    proc = start(
        [str(ISSO_VENV / "bin" / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "120",
         "isso.run:application"],
        env={"ISSO_SETTINGS": str(config)},
        log_name="isso.log",
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/info")
        with urllib.request.urlopen(f"{base}/?uri=%2Fdebat-{size}", timeout=120) as response:
            total = json.loads(response.read())["total_replies"]
        log(f"Isso serves the debate ({total} top-level comments)")
        yield Server("Isso", base, proc.pid, lambda: wait_http(f"{base}/info", timeout=300))
    finally:
        stop(proc)


def isso_reads(isso: Server, size: int) -> dict[str, Result]:
    # One sync worker serves one request at a time: a few connections give its rate without a
    # backlog that would spill into the next measurement.
    thread = f"/?uri=%2Fdebat-{size}"
    return {
        "isso_thread": scenario(Load("Isso: whole debate (GET /?uri=)", isso, thread, conns=4)),
        "isso_page": scenario(
            Load(
                "Isso: first page (limit=20, nested_limit=5)",
                isso,
                f"{thread}&limit=20&nested_limit=5",
                conns=4,
            )
        ),
    }


def run_hello(name: str = "bare FastAPI hello") -> Result:
    port = free_port()
    proc = start(
        [PYTHON, "-m", "uvicorn", "bench.hello:app", "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        log_name="hello.log",
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/")
        return scenario(Load(name, Server("hello", base, proc.pid, lambda: None)))
    finally:
        stop(proc)


@dataclass
class Tribune:
    server: Server
    memory: RssSampler
    signed: Path  # wrk scripts: a reader's session, a moderator's
    moderator: Path


@contextlib.contextmanager
def tribune_server(data: TribuneData) -> Iterator[Tribune]:
    """`tribune serve` (one uvicorn worker) on the seeded database, its resident memory sampled."""
    port = free_port()
    env = {
        "TRIBUNE_DATABASE_URL": data.url,
        "TRIBUNE_SECRET_KEY": SECRET,
        "TRIBUNE_INSTANCE_PATH": str(RUN / "instance"),
        # The load comes from 200 readers on one address at thousands of requests a second: the abuse
        # limits would (rightly) refuse it.
        "TRIBUNE_RATE_LIMITS": "false",
        "TRIBUNE_TRUST_THRESHOLD": "0",
    }
    proc = start(
        [str(ROOT / ".venv" / "bin" / "tribune"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        log_name="tribune.log",
    )
    base = f"http://127.0.0.1:{port}"
    sampler = RssSampler(proc.pid)
    sampler.start()
    try:
        wait_http(f"{base}/healthz")
        yield Tribune(
            # Requests still in flight when wrk stops are finished before the next measurement starts.
            Server("Tribune", base, proc.pid, lambda: wait_http(f"{base}/healthz")),
            sampler,
            cookie_script("signed_in.lua", data.creds[0].cookie),
            cookie_script("moderator.lua", data.moderator.cookie),
        )
    finally:
        sampler.halt.set()
        sampler.join()
        stop(proc)


def tribune_reads(tribune: Tribune, data: TribuneData) -> dict[str, Result]:
    ours = tribune.server
    results: dict[str, Result] = {}

    def measure(key: str, name: str, path: str, script: Path | None = None) -> None:
        results[key] = scenario(Load(name, ours, path, script))

    small, mid, large = (data.debates[s] for s in sorted(data.debates))
    page = f"/articles/{small.slug}"
    measure("page_1k", "article page, 1,000 debate (anonymous)", page)
    # A reader with votes on a third of the comments and a stance on the question (seed_tribune).
    measure("page_1k_signed", "article page, 1,000 (signed in, voted)", page, tribune.signed)
    measure("api_1k", "comments API first page, 1,000", f"/api/v1/articles/{small.slug}/comments")
    measure("thread_1k", "whole 1,000 debate as JSON (/thread)", f"/api/v1/articles/{small.slug}/thread")
    measure("branch", f"permalink page ({data.branch_size}-comment branch)", f"/comments/{data.branch_id}")
    measure("page_10k", "article page, 10,000 debate (anonymous)", f"/articles/{mid.slug}")
    measure("page_100k", "article page, 100,000 debate (anonymous)", f"/articles/{large.slug}")
    measure(
        "page_100k_signed",
        "article page, 100,000 debate (signed in)",
        f"/articles/{large.slug}",
        tribune.signed,
    )
    measure("api_100k", "comments API first page, 100,000", f"/api/v1/articles/{large.slug}/comments")
    queue = "/api/v1/moderation/queues/pending"
    req = urllib.request.Request(ours.base + queue, headers={"Cookie": data.moderator.cookie})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            has_queue = response.status == 200
    except OSError:
        has_queue = False
    if has_queue:
        measure("queue", "moderation queue, first page (pending)", queue, tribune.moderator)
    else:
        log("no /api/v1/moderation/queues/pending here: moderation queue not measured")
    return results


def writes(tribune: Tribune, data: TribuneData, isso: Server | None, size: int) -> dict[str, Result]:
    """Posting and voting, through the API and as the page's htmx forms send them, each beside the
    peer's when there is one, their runs taken in turn (the peer's, the API's, the form's)."""
    ours = tribune.server
    small = data.debates[min(data.debates)]
    post = Load("post a comment (API)", ours, script=tribune_post_script(data, small.slug))
    post_htmx = Load("post a reaction (htmx form)", ours, script=tribune_form_post_script(data, small.slug))
    vote = Load("vote (API)", ours, script=tribune_vote_script(data))
    vote_htmx = Load("vote (htmx form)", ours, script=tribune_htmx_vote_script(data))
    if isso is None:
        keys = ("post", "post_htmx", "vote", "vote_htmx")
        return dict(zip(keys, scenarios(post, post_htmx, vote, vote_htmx), strict=True))
    isso_post, isso_vote = isso_scripts(size)
    results = dict(
        zip(
            ("isso_post", "post", "post_htmx"),
            scenarios(Load("Isso: post a comment", isso, script=isso_post), post, post_htmx),
            strict=True,
        )
    )
    results |= dict(
        zip(
            ("isso_vote", "vote", "vote_htmx"),
            scenarios(Load("Isso: vote", isso, script=isso_vote), vote, vote_htmx),
            strict=True,
        )
    )
    return results


# EXPLAIN on PostgreSQL --------------------------------------------------------------------------


def explain_postgres(size: int) -> list[str]:
    from sqlalchemy.engine import make_url
    from sqlmodel import Session

    from app.db import make_engine
    from app.models import Article, Comment, User
    from app.services import comments

    base = make_url(PG_URL)
    name = "tribune_bench"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    data = seed_tribune(url, sizes=(1000, size), with_load=False)
    engine = make_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    captured: list[tuple[str, str, object]] = []
    label = ["?"]

    def capture(_conn, _cursor, statement, parameters, _context, executemany):  # type: ignore[no-untyped-def]
        if not executemany and statement.lstrip().upper().startswith("SELECT"):
            captured.append((label[0], statement, parameters))

    lines = []
    large = data.debates[size]
    with Session(engine) as session:
        article = session.get(Article, large.article_id)
        viewer = session.exec(sa.select(User).limit(1)).scalars().first()  # type: ignore[call-overload]
        deep = (
            session.exec(
                sa.select(Comment)
                .where(Comment.article_id == large.article_id)
                .order_by(Comment.depth.desc())
                .limit(1)  # type: ignore[attr-defined]
            )
            .scalars()
            .first()
        )  # type: ignore[call-overload]
        sa.event.listen(engine, "before_cursor_execute", capture)
        label[0] = "article by slug"
        from app.services import articles

        articles.get_article(session, slug=large.slug)
        for sort in comments.Sort:
            label[0] = f"first page, anonymous, sort={sort.value}"
            comments.list_top_level(session, article=article, viewer=None, sort=sort)  # type: ignore[arg-type]
        label[0] = "first page, signed in, sort=best"
        page = comments.list_top_level(session, article=article, viewer=viewer)  # type: ignore[arg-type]
        label[0] = "second page (cursor), anonymous"
        comments.list_top_level(session, article=article, viewer=None, cursor=page.next_cursor)  # type: ignore[arg-type]
        label[0] = f"permalink branch (depth {deep.depth})"  # type: ignore[union-attr]
        comments.branch(session, comment=deep, viewer=None)  # type: ignore[arg-type]
        sa.event.remove(engine, "before_cursor_execute", capture)
        seen = set()
        scans = 0
        for what, statement, parameters in captured:
            if (what, statement) in seen:
                continue
            seen.add((what, statement))
            plan = [r[0] for r in session.connection().exec_driver_sql("EXPLAIN " + statement, parameters)]  # type: ignore[arg-type]
            seq = [p for p in plan if "Seq Scan on comment" in p]
            scans += len(seq)
            table = re.search(r"FROM (\w+)", statement)
            lines.append(
                f"-- {what}: SELECT … FROM {table.group(1) if table else '?'}"
                f"  ({'SEQ SCAN of comment' if seq else 'no scan of comment'})"
            )
            # The access paths only (the whole plans are long): every scan node of the plan.
            lines += ["   " + p.strip().removeprefix("->  ") for p in plan if "Scan" in p]
    engine.dispose()
    lines.append(f"Sequential scans of the comment table in these plans: {scans}")
    return lines


# Report -----------------------------------------------------------------------------------------


def main() -> int:
    if not shutil.which("wrk") and os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk from Debian")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    if not shutil.which("wrk"):
        print("bench needs wrk: apt-get install -y wrk", file=sys.stderr)
        return 2
    started = time.monotonic()
    shutil.rmtree(RUN, ignore_errors=True)
    RUN.mkdir(parents=True)
    (RUN / "instance").mkdir()
    log(f"{RUNS} runs of {SECONDS}s per scenario, {CONNS} connections unless said, wrk on 127.0.0.1")
    url = f"sqlite:///{RUN / 'tribune.db'}"
    data = seed_tribune(url, sizes=(1000, 10_000, 100_000), reader_votes=True)
    hello_before = run_hello("bare FastAPI hello (first)")
    with isso_server(1000) as peer:
        isso = isso_reads(peer, 1000)
        with tribune_server(data) as tribune:
            ours = tribune_reads(tribune, data)
            both = writes(tribune, data, peer, 1000)
            with urllib.request.urlopen(f"{tribune.server.base}/metrics", timeout=10) as response:
                (RUN / "metrics.txt").write_bytes(response.read())
        peak = tribune.memory.peak
    isso |= {k: v for k, v in both.items() if k.startswith("isso_")}
    ours |= {k: v for k, v in both.items() if not k.startswith("isso_")}
    hello_after = run_hello("bare FastAPI hello (last)")

    explain: list[str] = []
    if PG_URL != "none":
        try:
            explain = explain_postgres(100_000)
        except Exception as exc:  # noqa: BLE001 - the load figures stand without this section
            explain = [f"(skipped: PostgreSQL at {PG_URL} unavailable: {type(exc).__name__}: {exc})"]

    print()
    print(f"Tribune {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {os.cpu_count()} cores, one worker each, "
          f"wrk -t1, median of {RUNS} × {SECONDS}s")  # fmt: skip
    print()
    header = (
        f"| {'scenario':<50} | {'conns':>5} | {'req/s':>9} | {'p50 ms':>8} | {'p99 ms':>8} | {'errors':>6} "
        f"| {'CPU ms/req':>10} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    # The floor is measured first and last; the ratios use the mean of the two.
    hello = Result(
        "bare FastAPI hello",
        CONNS,
        (hello_before.rps + hello_after.rps) / 2,
        (hello_before.p50 + hello_after.p50) / 2,
        (hello_before.p99 + hello_after.p99) / 2,
        hello_before.errors + hello_after.errors,
        hello_before.requests + hello_after.requests,
        (hello_before.cpu_ms + hello_after.cpu_ms) / 2,
    )
    rows = [hello_before, hello_after, *isso.values(), *ours.values()]
    for r in rows:
        label = r.name if r.name.startswith(("Isso", "bare")) else "Tribune: " + r.name
        print(
            f"| {label:<50} | {r.conns:>5} | {r.rps:>9.1f} | {r.p50:>8.2f} | {r.p99:>8.2f} | {r.errors:>6} "
            f"| {r.cpu_ms:>10.2f} |"
        )
    print()

    def div(a: float, b: float) -> float:
        return a / b if b else float("nan")

    def ratio(name: str, value: float, target: float | None, *, at_most: bool = False) -> None:
        if target is None:
            print(f"  {name:<62} {value:>9.2f}   (for information)")
            return
        ok = value <= target if at_most else value >= target
        sign = "≤" if at_most else "≥"
        print(f"  {name:<62} {value:>9.2f}   target {sign} {target:<6g} {'OK' if ok else 'MISSED'}")

    print("Ratios (same run):")
    ratio(
        "article page 1,000 / Isso first page (req/s)",
        div(ours["page_1k"].rps, isso["isso_page"].rps),
        150,
    )
    ratio("article page 1,000 / bare hello (req/s)", div(ours["page_1k"].rps, hello.rps), 0.10)
    ratio(
        "signed-in (voted) / anonymous article page 1,000 (req/s)",
        div(ours["page_1k_signed"].rps, ours["page_1k"].rps),
        0.3,
    )
    ratio(
        "signed-in article page 1,000 (no cache) / Isso first page",
        div(ours["page_1k_signed"].rps, isso["isso_page"].rps),
        None,
    )
    ratio(
        "Isso first page CPU / anonymous article page CPU (ms per request)",
        div(isso["isso_page"].cpu_ms, ours["page_1k"].cpu_ms),
        None,
    )
    ratio(
        "comments API first page 1,000 / Isso first page",
        div(ours["api_1k"].rps, isso["isso_page"].rps),
        150,
    )
    ratio(
        "whole 1,000 debate JSON / Isso whole thread (req/s)",
        div(ours["thread_1k"].rps, isso["isso_thread"].rps),
        100,
    )
    ratio(
        "p50 first page 100,000 / 1,000 (anonymous)",
        div(ours["page_100k"].p50, ours["page_1k"].p50),
        1.5,
        at_most=True,
    )
    ratio(
        "p50 first page 100,000 / 1,000 (signed in, no cache)",
        div(ours["page_100k_signed"].p50, ours["page_1k_signed"].p50), 1.5, at_most=True,
    )  # fmt: skip
    ratio("posting (API) / Isso posting (req/s)", div(ours["post"].rps, isso["isso_post"].rps), 2)
    ratio("form post (htmx) / Isso posting (req/s)", div(ours["post_htmx"].rps, isso["isso_post"].rps), 2)
    ratio("voting (API) / Isso voting (req/s)", div(ours["vote"].rps, isso["isso_vote"].rps), 2)
    ratio("htmx vote / Isso voting (req/s)", div(ours["vote_htmx"].rps, isso["isso_vote"].rps), 2)
    ratio("peak resident memory of the Tribune worker (MB)", peak / 1e6, 200, at_most=True)
    print()
    if explain:
        print("EXPLAIN on PostgreSQL, 100,000-comment debate (ANALYZEd), the queries a page issues:")
        for line in explain:
            print("  " + line)
        print()
    print(
        f"bench finished in {(time.monotonic() - started) / 60:.1f} min;"
        f" logs and Lua scripts in {RUN.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

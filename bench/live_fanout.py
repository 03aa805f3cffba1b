"""Live updates at newsroom scale: 10,000 open pages on one worker, each event delivered to all of them.

Run: .venv/bin/python bench/live_fanout.py [--streams 10000] [--mode both|redis|memory] [--rounds 3]
                                           [--redis redis://127.0.0.1:6379/0] [--database URL]

Builds a fresh database through Alembic (SQLite in a temporary folder, or a new database beside the
PostgreSQL URL given), seeds one debate and one writer, and starts one uvicorn worker on 127.0.0.1 that
serves the event streams. Client processes open --streams streams on it, from the live position an
anonymous page carries, as the pages' script does. Then, each round, the writer posts a comment
through the API: with Redis, through a second app process (the event reaches the worker through the
Redis stream); without, through the worker itself. Each stream notes when the comment's event arrives.

Prints, per mode: the streams opened (and refused), the delivery delay from the post to each stream
(p50, p99, max, and how many got it), the worker's peak resident memory, and the lines its log has at
ERROR or above (a Traceback included). Every socket is on 127.0.0.1; the run is bounded by --deadline
seconds and by --streams.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from alembic import command  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.cli import alembic_config  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.models import Article, User, utcnow  # noqa: E402
from app.security import hash_password  # noqa: E402

HOST = "127.0.0.1"
SLUG = "en-direct"
WRITER, PASSWORD = "redaction", "un mot de passe de banc"
CLIENTS = 4  # client processes, each with its share of the streams
OPENING = 64  # streams being opened at once per client process
MARK = re.compile(rb'event: comment\r?\ndata: \{"id":(\d+)')


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# The database -----------------------------------------------------------------------------------


@contextmanager
def fresh_database(folder: Path, postgres: str | None) -> Iterator[str]:
    if postgres is None:
        url = f"sqlite:///{folder / 'live.db'}"
        command.upgrade(alembic_config(url), "head")
        yield url
        return
    base = make_url(postgres)
    name = f"tribune_bench_live_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        command.upgrade(alembic_config(url), "head")
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def seed(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        session.add(
            Article(
                slug=SLUG,
                title="En direct",
                lede="Chapeau.",
                body_markdown="Un article.",
                body_html="<p>Un article.</p>",
                question="Faut-il débattre ?",
                label_for="Oui",
                label_against="Non",
                label_nuanced="Ça dépend",
                published_at=utcnow(),
            )
        )
        session.add(
            User(
                username=WRITER,
                username_key=WRITER,
                email=f"{WRITER}@example.org",
                password_hash=hash_password(PASSWORD),
                approved_count=10,
                email_verified_at=utcnow(),
            )
        )
        session.commit()
    engine.dispose()


# The servers ------------------------------------------------------------------------------------


def _more_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    log_path: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found[1]) / 1024 if found else float("nan")

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(found[1]) / 1024 if found else float("nan")

    def errors(self) -> list[str]:
        text = self.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if re.search(r"ERROR|CRITICAL|Traceback", line)]


def start_server(url: str, folder: Path, env: dict[str, str], name: str) -> Server:
    port = free_port()
    log_path = folder / f"{name}.log"
    environment = {
        **os.environ,
        "TRIBUNE_DATABASE_URL": url,
        "TRIBUNE_SECRET_KEY": "bench-live-secret",
        "TRIBUNE_INSTANCE_PATH": str(folder / f"instance-{name}"),
        "TRIBUNE_RATE_LIMITS": "false",
        "TRIBUNE_MAIL_SENDER": "false",
        **env,
    }
    out = open(log_path, "wb")  # noqa: SIM115 - the server's, closed with it
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", HOST, "--port", str(port),
         "--no-access-log", "--log-level", "warning", "--backlog", "4096"],
        cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_more_files,
    )  # fmt: skip
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return Server(proc, base, log_path)
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log_path.read_text(errors="replace")[-3000:])
        time.sleep(0.2)  # polling a server that is starting


# The clients ------------------------------------------------------------------------------------


async def _open(port: int, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 16)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        writer.close()
        return None
    return reader, writer


async def _client(port: int, path: str, count: int, conn: Any) -> None:
    """count streams; tells the parent how many opened, then when each comment reached each stream."""
    arrivals: dict[int, list[float]] = {}
    refused = 0
    opened: list[asyncio.StreamWriter] = []
    gate = asyncio.Semaphore(OPENING)

    async def follow(reader: asyncio.StreamReader) -> None:
        tail = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            now = time.time()
            data = tail + chunk
            for found in MARK.finditer(data):
                if found.end() > len(tail):  # not one seen in the previous read
                    arrivals.setdefault(int(found[1]), []).append(now)
            tail = data[-100:]

    async def one() -> asyncio.Task[None] | None:
        nonlocal refused
        async with gate:
            try:
                pair = await _open(port, path)
            except OSError:
                pair = None
        if pair is None:
            refused += 1
            return None
        opened.append(pair[1])
        return asyncio.create_task(follow(pair[0]))

    followers = [task for task in await asyncio.gather(*(one() for _ in range(count))) if task]
    conn.send(("opened", len(followers), refused))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, conn.recv)  # the parent says: done
    conn.send(("arrivals", arrivals))
    for writer in opened:
        writer.close()
    for task in followers:
        task.cancel()
    await asyncio.gather(*followers, return_exceptions=True)


def client_process(port: int, path: str, count: int, conn: Any) -> None:
    _more_files()
    try:
        import uvloop

        uvloop.run(_client(port, path, count, conn))
    except ImportError:
        asyncio.run(_client(port, path, count, conn))


# One run ----------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tribune-live-") as tmp:
        folder = Path(tmp)
        with fresh_database(folder, args.database) as url:
            seed(url)
            env: dict[str, str] = {}
            if mode == "redis":
                namespace = f"bench-live-{uuid.uuid4().hex[:8]}"
                env = {"TRIBUNE_REDIS_URL": args.redis, "TRIBUNE_REDIS_NAMESPACE": namespace}
                if url.startswith("sqlite"):
                    env["TRIBUNE_INLINE_SQLITE"] = "false"  # two processes on one SQLite file
            worker = start_server(url, folder, env, "worker")
            poster = start_server(url, folder, env, "poster") if mode == "redis" else worker
            try:
                return measure(mode, worker, poster, args)
            finally:
                if poster is not worker:
                    poster.stop()
                worker.stop()


def measure(mode: str, worker: Server, poster: Server, args: argparse.Namespace) -> dict[str, Any]:
    page = httpx.get(f"{worker.base}/articles/{SLUG}", timeout=30).text
    found = re.search(r'data-live-from="([^"]*)"', page)
    position = found[1] if found else ""
    path = f"/articles/{SLUG}/events?last_event_id={position}"
    port = int(worker.base.rsplit(":", 1)[1])
    # Signed in first: checking a password (argon2) takes 64 MB for a moment, in the worker itself
    # when there is no second process; the figure wanted is what the streams cost.
    writer = httpx.Client(base_url=poster.base, timeout=30)
    login = writer.post("/api/v1/auth/login", json={"username": WRITER, "password": PASSWORD})
    login.raise_for_status()
    writer.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    log(f"{mode}: opening {args.streams} streams on one worker (pid {worker.proc.pid})")
    started = time.monotonic()
    share = [args.streams // CLIENTS + (1 if n < args.streams % CLIENTS else 0) for n in range(CLIENTS)]
    pipes, procs = [], []
    for count in share:
        parent, child = multiprocessing.Pipe()
        proc = multiprocessing.Process(target=client_process, args=(port, path, count, child), daemon=True)
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    opened = refused = 0
    for pipe in pipes:
        if not pipe.poll(args.deadline):
            raise RuntimeError("the clients did not finish opening their streams in time")
        _kind, ok, no = pipe.recv()
        opened, refused = opened + ok, refused + no
    log(f"{mode}: {opened} streams open ({refused} refused) in {time.monotonic() - started:.1f} s; "
        f"worker RSS {worker.rss_mb():.0f} MB")  # fmt: skip

    posted: dict[int, float] = {}
    for n in range(args.rounds):
        sent = time.time()
        response = writer.post(
            f"/api/v1/articles/{SLUG}/comments", json={"body": f"Réaction en direct {n}", "stance": "for"}
        )
        if response.status_code != 201:
            raise RuntimeError(f"the post was refused: {response.status_code} {response.text[:300]}")
        posted[int(response.json()["id"])] = sent
        # Give every stream the time it needs (the bound is the target's, 2 s, with a margin) before
        # the next round, so that rounds do not overlap.
        time.sleep(args.gap)
    for pipe in pipes:
        pipe.send("done")
    arrivals: dict[int, list[float]] = {}
    for pipe in pipes:
        if pipe.poll(60):
            _kind, got = pipe.recv()
            for key, times in got.items():
                arrivals.setdefault(key, []).extend(times)
    for proc in procs:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
    rss_after = worker.rss_mb()
    gc_pauses = collector_pauses(worker.base)
    delays = [(at - posted[key]) * 1000 for key, times in arrivals.items() if key in posted for at in times]
    rounds = [
        f"p50 {statistics.median(d):.0f} / p99 {percentile(d, 0.99):.0f} ms"
        for d in ([(at - sent) * 1000 for at in arrivals.get(key, [])] for key, sent in posted.items())
        if d
    ]
    received = {key: len(arrivals.get(key, [])) for key in posted}
    writer.close()
    peak = worker.peak_rss_mb()
    errors = worker.errors() + (poster.errors() if poster is not worker else [])
    return {
        "mode": mode,
        "streams": args.streams,
        "opened": opened,
        "refused": refused,
        "rounds": args.rounds,
        "delivered": f"{min(received.values())}..{max(received.values())} of {opened} per event",
        "p50_ms": round(statistics.median(delays), 1) if delays else None,
        "p99_ms": round(percentile(delays, 0.99), 1) if delays else None,
        "max_ms": round(max(delays), 1) if delays else None,
        "per_round": rounds,
        "worker_peak_rss_mb": round(peak, 1),
        "worker_rss_after_mb": round(rss_after, 1),
        "worker_gc": gc_pauses,
        "error_lines": len(errors),
        "first_errors": errors[:5],
    }


def collector_pauses(base: str) -> dict[str, str]:
    """The worker's own account of its garbage collector (/metrics): collections, time stopped, the
    longest stop, per generation."""
    text = httpx.get(f"{base}/metrics", timeout=30).text
    found: dict[str, dict[str, float]] = {}
    for line in text.splitlines():
        match = re.match(r'tribune_gc_(\w+)\{generation="(\d)".*\} (\S+)$', line)
        if match:
            found.setdefault(match[2], {})[match[1]] = float(match[3])
    return {
        f"gen{g}": f"{int(v.get('collections_total', 0))} collections, "
        f"{v.get('pause_seconds_total', 0):.2f} s, longest {v.get('pause_longest_seconds', 0) * 1000:.0f} ms"
        for g, v in sorted(found.items())
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--mode", choices=["both", "redis", "memory"], default="both")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gap", type=float, default=4.0, help="seconds between two posts")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--database", default=None, help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds to open the streams")
    args = parser.parse_args()
    if args.streams > 15_000:
        parser.error("at most 15,000 streams (file descriptors and ports of one machine)")
    signal.alarm(int(args.deadline) + 600)  # the whole run is bounded
    results = [run(mode, args) for mode in (["redis", "memory"] if args.mode == "both" else [args.mode])]
    for result in results:
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()

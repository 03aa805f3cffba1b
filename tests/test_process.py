"""The tuning a serving worker applies to itself (app/process.py), each case in a fresh interpreter:
malloc's settings are the process's own."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

CHECK = "from app.process import limit_malloc_arenas; print(limit_malloc_arenas())"


def run(code: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt"
)
def test_a_worker_caps_the_malloc_arenas_on_glibc() -> None:
    assert run(CHECK) == "True"


def test_an_operators_malloc_arena_max_wins() -> None:
    assert run(CHECK, MALLOC_ARENA_MAX="4") == "False"


def test_the_asgi_entry_point_tunes_its_process(tmp_path: Path) -> None:
    code = "import logging, app.asgi; print(logging._srcfile is None, logging.logThreads)"
    env = {"TRIBUNE_DATABASE_URL": "sqlite://", "TRIBUNE_INSTANCE_PATH": str(tmp_path)}
    assert run(code, **env) == "True False"


def test_the_asgi_entry_point_freezes_its_startup_heap_and_times_the_collector(tmp_path: Path) -> None:
    """A full collection no longer walks the objects the app was built from, and /metrics tells how long
    the collector stopped the worker."""
    code = (
        "import gc, app.asgi\n"
        "from app.observability import GC_PAUSES\n"
        "frozen = gc.get_freeze_count()\n"
        "gc.collect()\n"
        "text = app.asgi.app.state.metrics.exposition(queues={})\n"
        "print(frozen > 50_000 and gc.get_threshold()[2] == 100, GC_PAUSES.collections[2] >= 1,\n"
        "      'tribune_gc_pause_longest_seconds{generation=\"2\"' in text)"
    )
    env = {"TRIBUNE_DATABASE_URL": "sqlite://", "TRIBUNE_INSTANCE_PATH": str(tmp_path)}
    assert run(code, **env) == "True True True"

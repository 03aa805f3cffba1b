"""Tuning of a server worker process, applied once by app.asgi before it serves (and before the thread
pool that runs sync routes and database work starts)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys

from app.observability import GC_PAUSES, lean_log_records

M_ARENA_MAX = -8  # glibc's malloc.h
GC_THRESHOLDS = (700, 10, 100)  # CPython's defaults but the last (10): see settle_heap
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas, as MALLOC_ARENA_MAX would. By default glibc gives each thread that
    meets contention an arena of its own (up to 8 per core), and memory freed in one arena is not
    reused by the others: after a burst of pages rendered in 20 pool threads the worker held 700 MB
    instead of 290 MB, the same work measured with 2 arenas. Python runs one thread at a time
    (the GIL), so the arenas gain nothing here. An operator's MALLOC_ARENA_MAX wins; elsewhere than
    on glibc this does nothing. True when applied."""
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_ARENA_MAX, arenas))


def settle_heap() -> None:
    """Once the app is built, before it serves: collect what building it left behind, then move every
    object still alive (the modules, the routes, SQLAlchemy's mappers, the compiled templates' module
    state: 175,000 objects) out of the collector's sight with gc.freeze(). They live as long as the
    process, and a full collection no longer walks them: it cost 50 to 140 ms a time before any reader
    connected, a pause every open page and every request waited through. Not for the test process,
    which builds many apps: frozen objects are never collected, even as cyclic garbage.

    Then a full collection waits for 100 younger ones instead of 10 (GC_THRESHOLDS). While 10,000
    pages open their event streams the heap grows to some 3 million objects, and a full collection,
    each 1 to 2 s at that size, came at every 25 % of growth: 10 to 12 of them, 11 s stopped in a
    minute (bench/live_fanout.py, "worker_gc"). With 100: 3 collections, 2.9 s, the same resident
    memory. Cyclic garbage that lives past the two young generations waits longer to be freed."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def tune_worker() -> None:
    """Everything a serving process applies to itself: each uvicorn worker imports app.asgi (which
    settles its heap once the app is built)."""
    limit_malloc_arenas()
    lean_log_records()
    GC_PAUSES.install()

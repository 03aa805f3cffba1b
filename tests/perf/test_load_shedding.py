"""Load beyond capacity (issue 19): a request that cannot start within the bounded wait is answered
503 with Retry-After at once, instead of queueing for as long as the requests ahead take; freed slots
go to anonymous readers of pages three times in four, never starving writes; and when the event loop
itself runs late (the CPU is the bottleneck), writes are shed at once while anonymous readers are served.

The gate is driven as uvicorn drives it (ASGI messages on a real event loop) in front of an
application whose requests finish when the test says so: what is under test is who gets in, and when."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

from app.gates import OTHERS, READERS, ConnectionGate

DEADLINE = 10.0  # seconds any step may take before the test fails


class Held:
    """An application whose requests each wait until the test lets them finish."""

    def __init__(self) -> None:
        self.entered: list[str] = []
        self.finish: dict[str, asyncio.Event] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        name = scope["path"].rsplit("/", 1)[-1]
        self.entered.append(name)
        await self.finish.setdefault(name, asyncio.Event()).wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": name.encode()})

    def let_finish(self, name: str) -> None:
        self.finish.setdefault(name, asyncio.Event()).set()


async def _ask(gate: ConnectionGate, method: str, name: str, *, signed_in: bool = False) -> dict[str, Any]:
    headers = [(b"cookie", b"tribune_session=abc")] if signed_in else []
    scope = {"type": "http", "method": method, "path": f"/api/{name}", "headers": headers, "state": {}}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await gate(scope, receive, send)
    start = sent[0]
    return {
        "status": start["status"],
        "headers": dict(start["headers"]),
        "body": b"".join(m.get("body", b"") for m in sent[1:]),
    }


async def _until(condition: Any) -> None:
    async with asyncio.timeout(DEADLINE):
        while not condition():
            await asyncio.sleep(0)  # yield to the requests under way, then look again


def test_a_request_that_cannot_start_within_the_bounded_wait_gets_a_503_with_retry_after() -> None:
    async def scenario() -> None:
        app = Held()
        gate = ConnectionGate(app, size=1, timeout=0.2)
        first = asyncio.create_task(_ask(gate, "POST", "first"))
        await _until(lambda: app.entered == ["first"])
        async with asyncio.timeout(DEADLINE):
            shed = await _ask(gate, "GET", "second")
        assert shed["status"] == 503
        assert shed["headers"][b"retry-after"] == b"5"
        assert orjson.loads(shed["body"])["error"] == "unavailable"
        assert app.entered == ["first"]  # the shed request never ran
        app.let_finish("first")
        async with asyncio.timeout(DEADLINE):
            assert (await first)["status"] == 200
        app.let_finish("third")
        async with asyncio.timeout(DEADLINE):
            assert (await _ask(gate, "GET", "third"))["status"] == 200  # the slot came back

    asyncio.run(scenario())


def test_a_freed_slot_goes_to_an_anonymous_reader_before_writes_and_signed_in_pages() -> None:
    async def scenario() -> None:
        app = Held()
        gate = ConnectionGate(app, size=1, timeout=DEADLINE)
        asked = [asyncio.create_task(_ask(gate, "POST", "write"))]
        await _until(lambda: app.entered == ["write"])
        asked.append(asyncio.create_task(_ask(gate, "PUT", "vote")))
        asked.append(asyncio.create_task(_ask(gate, "GET", "signed-in", signed_in=True)))
        await _until(lambda: gate.slots.waiting(OTHERS) == 2)
        asked.append(asyncio.create_task(_ask(gate, "GET", "reader")))
        await _until(lambda: gate.slots.waiting(READERS) == 1)
        for name in ("write", "reader", "vote", "signed-in"):
            app.let_finish(name)
        async with asyncio.timeout(DEADLINE):
            answers = await asyncio.gather(*asked)
        assert [a["status"] for a in answers] == [200] * 4
        assert app.entered == ["write", "reader", "vote", "signed-in"]

    asyncio.run(scenario())


def test_a_write_gets_a_slot_after_at_most_three_readers_however_many_wait() -> None:
    async def scenario() -> None:
        app = Held()
        gate = ConnectionGate(app, size=1, timeout=DEADLINE)
        asked = [asyncio.create_task(_ask(gate, "GET", "r0"))]
        await _until(lambda: app.entered == ["r0"])
        asked.append(asyncio.create_task(_ask(gate, "POST", "write")))
        await _until(lambda: gate.slots.waiting(OTHERS) == 1)
        asked += [asyncio.create_task(_ask(gate, "GET", f"r{i}")) for i in range(1, 8)]
        await _until(lambda: gate.slots.waiting(READERS) == 7)
        for name in ["write", *(f"r{i}" for i in range(8))]:
            app.let_finish(name)
        async with asyncio.timeout(DEADLINE):
            await asyncio.gather(*asked)
        assert app.entered == ["r0", "r1", "r2", "r3", "write", "r4", "r5", "r6", "r7"]

    asyncio.run(scenario())


def test_when_the_loop_runs_late_writes_are_shed_at_once_and_anonymous_readers_still_served() -> None:
    """The process's CPU is the bottleneck: the event loop runs its timers late by more than the
    bounded wait (here a turn of 0.7 s of work, against 0.5 s)."""

    async def scenario() -> None:
        app = Held()
        gate = ConnectionGate(app, size=20, timeout=0.5)
        app.let_finish("warm")
        async with asyncio.timeout(DEADLINE):
            assert (await _ask(gate, "GET", "warm"))["status"] == 200  # the gate starts watching the loop
        busy_until = time.perf_counter() + 0.7
        while time.perf_counter() < busy_until:  # one long turn of the loop, as under a flood
            pass
        await _until(lambda: gate.lag.seconds() > 0.5)
        async with asyncio.timeout(DEADLINE):
            write = await _ask(gate, "POST", "write")
            app.let_finish("reader")
            reader = await _ask(gate, "GET", "reader")
        assert write["status"] == 503
        assert write["headers"][b"retry-after"] == b"5"
        assert reader["status"] == 200
        assert app.entered == ["warm", "reader"]

    asyncio.run(scenario())

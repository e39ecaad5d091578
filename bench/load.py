"""The load generator of ``bench/api.py``: C clients on one asyncio loop, each with one kept-alive
connection, sending one request after another for a fixed time.

It runs in a process of its own (spawned by ``bench/api.py``) and measures
its own CPU, so that a reader can tell whether it, and not the server, was
the limit: on a 2-core machine it shares the cores with the server and the
database. It is kept cheap: aiohttp with its C parser, no cookie jar (the
signed-in page gets its session cookie as a header), bodies read but never
parsed. Each phase (one endpoint at one number of clients) opens its own
connections, runs ``warmup`` seconds unmeasured, then ``duration`` seconds
measured: requests that end inside that window count. An error is a non-2xx
answer or a transport failure; its latency is not in the percentiles.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import aiohttp

ENDPOINTS = ("get_subscription", "list_subscriptions", "create_contact", "subscriptions_page")
LIST_URL = "/api/v1/subscriptions?limit=50&status=active"
PAGE_URL = "/subscriptions/"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Target:
    """What the clients need to know: where, with which key and login, and the seeded ids."""

    base: str
    api_key: str
    username: str
    password: str
    subscription_ids: list[str]
    server_pid: int


def drive(target: Target, phases: list[tuple[str, int]], warmup: float, duration: float, out: Any) -> None:
    """The process's entry point: every phase in turn; a list of result dicts sent on ``out``."""
    out.send(asyncio.run(_drive(target, phases, warmup, duration)))
    out.close()


async def _drive(
    target: Target, phases: list[tuple[str, int]], warmup: float, duration: float
) -> list[dict[str, Any]]:
    cookie = await _sign_in(target)
    return [await _phase(target, endpoint, clients, warmup, duration, cookie) for endpoint, clients in phases]


async def _sign_in(target: Target) -> str:
    """Sign in once through the real form (its CSRF token and cookie); the Cookie header to send."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies of an IP address host
    async with aiohttp.ClientSession(target.base, cookie_jar=jar) as session:
        async with session.get("/login/") as response:
            page = await response.text()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the sign-in page"
        form = {"username": target.username, "password": target.password, "csrfmiddlewaretoken": token[1]}
        async with session.post("/login/", data=form, allow_redirects=False) as response:
            assert response.status == 302, f"sign-in failed: {response.status}"
        cookies = {cookie.key: cookie.value for cookie in jar}
    assert "sessionid" in cookies, "no session cookie after signing in"
    return "; ".join(f"{key}={value}" for key, value in cookies.items())


async def _phase(
    target: Target, endpoint: str, clients: int, warmup: float, duration: float, cookie: str
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    window = {"measuring": False, "stop": False}
    rng = random.Random(f"{endpoint}/{clients}")
    request = _requests(target, endpoint, cookie, rng)

    async def client(session: aiohttp.ClientSession) -> None:
        while not window["stop"]:
            method, url, kwargs = request()
            started = time.perf_counter()
            try:
                async with session.request(method, url, **kwargs) as response:
                    await response.read()
                    failure = None if 200 <= response.status < 300 else str(response.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                failure = type(exc).__name__
            if window["measuring"]:
                if failure is None:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors[failure] += 1

    sessions = [
        aiohttp.ClientSession(
            target.base,
            connector=aiohttp.TCPConnector(limit=1),  # one kept-alive connection per client
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=30),
            auto_decompress=False,
            skip_auto_headers=("User-Agent",),
        )
        for _ in range(clients)
    ]
    tasks = [asyncio.create_task(client(session)) for session in sessions]
    await asyncio.sleep(warmup)
    before = _cpu(target.server_pid)
    window["measuring"] = True
    await asyncio.sleep(duration)
    window["measuring"] = False
    after = _cpu(target.server_pid)
    window["stop"] = True
    await asyncio.gather(*tasks)
    for session in sessions:
        await session.close()
    return _summary(endpoint, clients, latencies, errors, before, after)


def _requests(target: Target, endpoint: str, cookie: str, rng: random.Random) -> Any:
    """A function making the next request of ``endpoint``: (method, url, aiohttp keyword arguments)."""
    api = {"Authorization": f"Bearer {target.api_key}"}
    ids = target.subscription_ids
    if endpoint == "get_subscription":
        return lambda: ("GET", f"/api/v1/subscriptions/{rng.choice(ids)}", {"headers": api})
    if endpoint == "list_subscriptions":
        return lambda: ("GET", LIST_URL, {"headers": api})
    if endpoint == "create_contact":

        def contact() -> tuple[str, str, dict[str, Any]]:
            key = uuid.uuid4().hex
            body = {"email": f"load-{key}@bench.example", "first_name": "Load", "last_name": key[:8]}
            return "POST", "/api/v1/contacts", {"headers": {**api, "Idempotency-Key": key}, "json": body}

        return contact
    if endpoint == "subscriptions_page":
        return lambda: ("GET", PAGE_URL, {"headers": {"Cookie": cookie}})
    raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")


def _cpu(server_pid: int) -> tuple[float, float, int, int, int]:
    """(wall clock, this process's CPU seconds, the server's processes' CPU ticks, the machine's
    busy and total ticks): read at both ends of the measured window."""
    busy, total = _machine_ticks()
    return time.perf_counter(), time.process_time(), _tree_ticks(server_pid), busy, total


def _tree_ticks(pid: int) -> int:
    """User + system CPU ticks of ``pid`` and its descendants now alive (Linux ``/proc``; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            kids = [int(kid) for kid in children.read().split()]
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12]) + sum(_tree_ticks(kid) for kid in kids)


def _machine_ticks() -> tuple[int, int]:
    try:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return 0, 0
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def _summary(
    endpoint: str,
    clients: int,
    latencies: list[float],
    errors: Counter[str],
    before: tuple[float, float, int, int, int],
    after: tuple[float, float, int, int, int],
) -> dict[str, Any]:
    wall = after[0] - before[0]
    ordered = sorted(latencies)

    def percentile(p: int) -> float | None:  # nearest rank
        return round(1000 * ordered[max(0, math.ceil(len(ordered) * p / 100) - 1)], 2) if ordered else None

    total_ticks = after[4] - before[4]
    return {
        "endpoint": endpoint,
        "clients": clients,
        "requests": len(ordered),
        "rps": round(len(ordered) / wall, 1),
        "p50_ms": percentile(50),
        "p99_ms": percentile(99),
        "errors": sum(errors.values()),
        **({"error_kinds": dict(errors)} if errors else {}),
        # CPU in cores (1.0 = one core busy for the whole window)
        "loadgen_cpu": round((after[1] - before[1]) / wall, 2),
        "server_cpu": round((after[2] - before[2]) / TICKS / wall, 2),
        "machine_busy": round((after[3] - before[3]) / total_ticks, 2) if total_ticks else None,
    }

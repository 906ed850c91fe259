"""Click to device: from the gateway's `202` to `POST /api/v1/devices/{id}/commands` until the
simulated iPhone's MDM session has the command, through every real hop: gateway ->
ssp.commands.requested -> permission-service (authorizer) -> ssp.commands.apple ->
command-dispatcher (store, queue, APNs push) -> the device's connect.

Commands go out at a steady rate, each on time whatever the previous ones are doing, round
the users and their devices, alternating `lock` and `refresh` (the gateway allows one
unfinished command per device and action). The raw Kafka hop is measured in the same run,
on the same broker, so the ratio to three hops says what the services add.
"""

from __future__ import annotations

import asyncio
import math
import os
import time

from ssp_bench import kafka_floor
from ssp_bench.db_round_trips import RoundTrips
from ssp_bench.portal import Portal, running_portal
from ssp_bench.received import wait_received
from ssp_bench.stats import fmt, percentiles

ACTIONS = ("lock", "refresh")
def limits_for(count: int, users: int, devices: int) -> dict[str, str]:
    """The gateway's per-user and per-device command limits, set to what the run sends (and
    named in the figure line), so the figure never depends on the gateway's defaults."""
    return {"SSP_USER_COMMAND_LIMIT": str(max(1, math.ceil(count / users))),
            "SSP_DEVICE_COMMAND_LIMIT": str(max(1, math.ceil(count / devices)))}


async def _paced(portal: Portal, count: int, rate: float,
                 ) -> tuple[dict[str, float], list[float], dict[int, int]]:
    """Sends `count` commands, one due every 1/rate s; returns command id -> time of its 202,
    the request -> 202 times (ms) and the other answers by status code."""
    accepted: dict[str, float] = {}
    answer_ms: list[float] = []
    refused: dict[int, int] = {}
    browsers = portal.browsers
    start = time.perf_counter() + 0.2

    async def one(i: int) -> None:
        b = browsers[i % len(browsers)]
        mine = portal.devices[b.account.username]
        round_ = i // len(browsers)
        device = mine[round_ % len(mine)]
        action = ACTIONS[(round_ // len(mine)) % len(ACTIONS)]
        sent = time.perf_counter()
        try:
            resp = await b.command(device, action)
        except Exception:  # a timeout or a broken connection counts as an error, not a stop
            refused[0] = refused.get(0, 0) + 1
            return
        if resp.status_code == 202:
            accepted[resp.json()["command_id"]] = time.time()
            answer_ms.append((time.perf_counter() - sent) * 1000)
        else:
            refused[resp.status_code] = refused.get(resp.status_code, 0) + 1

    tasks = []
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return accepted, answer_ms, refused


async def _final_statuses(portal: Portal, command_ids: list[str]) -> dict[str, int]:
    """How the commands that never reached a device ended (e.g. refused by the dispatcher as
    a duplicate of one still pending), as their requesters see them."""
    counts: dict[str, int] = {}
    for command_id in command_ids:
        status = "unknown"
        for b in portal.browsers:
            resp = await b.http.get(f"/api/v1/commands/{command_id}")
            if resp.status_code == 200:
                body = resp.json()
                status = f"{body['status']} ({body.get('reason_code') or '-'})"
                break
        counts[status] = counts.get(status, 0) + 1
    return counts


async def measure(bootstrap: str, mongo_url: str, *, users: int, per_user: int, rate: float,
                  seconds: float) -> list[str]:
    count = int(rate * seconds)
    limits = limits_for(count, users, users * per_user)
    async with running_portal(bootstrap, mongo_url, users=users, per_user=per_user,
                              gateway_env=limits) as portal:
        floor = await kafka_floor.round_trips(bootstrap, count=200)
        trips = await RoundTrips.idle(portal.procs)
        await trips.start()
        accepted, answer_ms, refused = await _paced(portal, count, rate)
        got = await wait_received(portal.fleet, accepted, timeout_s=120)
        await trips.settle()
        missing = await _final_statuses(portal, [c for c in accepted if c not in got])
    latency = percentiles([(got[c] - accepted[c]) * 1000 for c in got])
    answers = percentiles(answer_ms)
    lost = len(accepted) - len(got)
    limit_note = ", ".join(f"{k}={v}" for k, v in limits.items())
    where = (f"{rate:.0f} commands/s for {seconds:.0f} s, {users} users x {per_user} iPhones, "
             f"lock/refresh alternating, {limit_note}")
    three = {q: 3 * floor[q] for q in ("p50", "p95", "p99")}
    ratio = " ".join(f"{q} {latency[q] / three[q]:.1f}x" for q in three)
    lines = [
        f"click-to-device (gateway 202 -> simulated iPhone has the command; {where}): "
        f"{fmt(latency)}; {lost} accepted but not received in 120 s "
        f"(their status then: {missing or 'none'}), "
        f"refused {refused or 'none'} (target p50 <= 40 ms, p99 <= 150 ms)",
        f"click-to-device vs three raw Kafka hops (3 x one hop measured in the same run with "
        f"the stack idle: p50 {three['p50']:.1f} ms, p95 {three['p95']:.1f} ms, "
        f"p99 {three['p99']:.1f} ms): {ratio}",
        f"POST /api/v1/devices/{{id}}/commands -> 202 in the same run: {fmt(answers)}",
        trips.line(len(accepted), f"same run, {len(accepted)} accepted of "
                   f"{len(accepted) + sum(refused.values())} requests"),
    ]
    for line in lines:
        print(line, flush=True)
    return lines


def run(bootstrap: str, mongo_url: str) -> list[str]:
    """SSP_BENCH_CLICK_RATE (commands/s), _SECONDS, _USERS, _DEVICES_PER_USER."""
    env = os.environ.get
    return asyncio.run(measure(
        bootstrap, mongo_url, users=int(env("SSP_BENCH_CLICK_USERS", "20")),
        per_user=int(env("SSP_BENCH_CLICK_DEVICES_PER_USER", "3")),
        rate=float(env("SSP_BENCH_CLICK_RATE", "20")),
        seconds=float(env("SSP_BENCH_CLICK_SECONDS", "30"))))

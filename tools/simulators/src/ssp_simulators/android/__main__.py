"""`python -m ssp_simulators.android`: serve a stand-in Android Management API until interrupted.

Prints one JSON line per device (name, kind) so the dispatcher can be pointed at them; give the
dispatcher `--base-url http://HOST:PORT/v1` and the bearer token.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from datetime import timedelta

import uvicorn

from ssp_simulators.android.app import DEFAULT_TOKEN, create_app
from ssp_simulators.android.fleet import DEFAULT_ENTERPRISE, populated_state


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ssp_simulators.android", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8210)
    parser.add_argument("--devices", type=int, default=3, help="cycles FM, WP personal, COPE")
    parser.add_argument("--enterprise", default=DEFAULT_ENTERPRISE)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="expected bearer token ('' = any)")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds until a command runs")
    parser.add_argument("--quota", type=int, default=None, help="requests per --quota-window")
    parser.add_argument("--quota-window", type=float, default=100.0)
    parser.add_argument("--lost-mode-cooldown-h", type=float, default=0.0,
                        help="hours lost mode is refused after a password reset or user exit")
    parser.add_argument("--seed", type=int, default=None, help="same seed, same devices")
    return parser.parse_args(argv)


async def _run(args: argparse.Namespace) -> None:
    state = populated_state(
        args.devices, enterprise=args.enterprise, seed=args.seed, completion_delay_s=args.delay,
        lost_mode_cooldown=timedelta(hours=args.lost_mode_cooldown_h),
    )
    for device in state.devices.values():
        print(json.dumps({"name": device.name, "kind": device.kind}), flush=True)
    app = create_app(state, token=args.token or None, quota=args.quota,
                     quota_window_s=args.quota_window)
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="info"))
    await server.serve()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(_arguments(argv)))


if __name__ == "__main__":
    main()

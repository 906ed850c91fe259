"""`python -m ssp_simulators.windows`: Windows devices that poll the dispatcher over OMA-DM.

Prints one JSON line per device (device id, certificate fingerprint, model) so they can be
registered, then opens a session for every device each `--interval` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys

from ssp_simulators.windows.certificate import DEFAULT_CERT_HEADER
from ssp_simulators.windows.fleet import DEFAULT_PATH, WindowsFleet


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ssp_simulators.windows", description=__doc__)
    parser.add_argument("--server", default="http://127.0.0.1:8100", help="dispatcher base URL")
    parser.add_argument("--path", default=DEFAULT_PATH, help="OMA-DM endpoint path")
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between sessions")
    parser.add_argument("--cert-header", default=DEFAULT_CERT_HEADER,
                        help="header carrying the URL-encoded client certificate")
    parser.add_argument("--unenroll-after", type=int, default=None, metavar="ROUNDS",
                        help="the last device sends the unenrollment alert after ROUNDS sessions")
    parser.add_argument("--seed", type=int, default=None, help="same seed, same devices")
    return parser.parse_args(argv)


async def _run(args: argparse.Namespace) -> None:
    fleet = WindowsFleet(args.server, devices=args.devices, seed=args.seed, path=args.path,
                         cert_header=args.cert_header)
    for device in fleet.devices:
        print(json.dumps({
            "device_id": device.device_id, "fingerprint": device.identity().fingerprint,
            "manufacturer": device.manufacturer, "model": device.model,
            "serial_number": device.serial_number,
        }), flush=True)
    await fleet.poll(args.interval, unenroll_after=args.unenroll_after)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the rest
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(_arguments(argv)))


if __name__ == "__main__":
    main()

"""`python -m ssp_simulators.apple`: run a fleet until interrupted.

Prints one JSON line per device (udid, serial, kind, supervised) and the APNs URL to give the
dispatcher; retries enrollment while the server is not up yet.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import sys
import uuid

from ssp_simulators.apple.device import DeviceKind
from ssp_simulators.apple.fleet import AppleFleet
from ssp_simulators.apple.session import Behaviour


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ssp_simulators.apple", description=__doc__)
    parser.add_argument("--server", default="http://127.0.0.1:8100", help="dispatcher base URL")
    parser.add_argument("--iphones", type=int, default=3, help="supervised iPhones")
    parser.add_argument("--unsupervised-iphones", type=int, default=0)
    parser.add_argument("--macs", type=int, default=1)
    parser.add_argument("--apns-host", default="127.0.0.1")
    parser.add_argument("--apns-port", type=int, default=8201, help="stand-in APNs (h2c) port")
    parser.add_argument("--topic", default=None, help="APNs topic the devices report")
    parser.add_argument("--not-now", type=float, default=0.0, help="probability of NotNow")
    parser.add_argument("--latency", type=float, nargs=2, default=(0.0, 0.0),
                        metavar=("MIN_S", "MAX_S"), help="per-command delay")
    parser.add_argument("--seed", type=int, default=None, help="same seed, same devices")
    parser.add_argument("--retry-s", type=float, default=3.0, help="enrollment retry interval")
    parser.add_argument("--user-channel", action="store_true",
                        help="each Mac has a logged-in user with its own MDM user channel")
    parser.add_argument("--no-checkin-url", action="store_true",
                        help="a profile without CheckInURL: check-ins go to the ServerURL")
    parser.add_argument("--asleep", action="store_true",
                        help="Power Nap: NotNow for every command but DeviceLock and EraseDevice")
    parser.add_argument("--power-nap-macs", type=int, default=0,
                        help="extra Macs in Power Nap (as --asleep), beside the others")
    parser.add_argument("--server-url-only-iphones", type=int, default=0,
                        help="extra supervised iPhones whose profile has no CheckInURL")
    parser.add_argument("--reenroll-after", type=float, default=None, metavar="S",
                        help="S seconds after all enrolled, the first device enrolls again "
                             "with a new identity (a new profile over the old one), once")
    return parser.parse_args(argv)


def fleet_from(args: argparse.Namespace, server: str | None = None) -> AppleFleet:
    """The fleet the arguments describe (`server` overrides `--server`)."""
    behaviour = Behaviour(
        not_now_probability=args.not_now, latency_s=tuple(args.latency),
        not_now_except=frozenset({"DeviceLock", "EraseDevice"}) if args.asleep else None)
    extra = {"topic": args.topic} if args.topic else {}
    fleet = AppleFleet(
        server or args.server, iphones=args.iphones,
        unsupervised_iphones=args.unsupervised_iphones, macs=args.macs,
        apns_host=args.apns_host, apns_port=args.apns_port, behaviour=behaviour, seed=args.seed,
        checkin_url=not args.no_checkin_url, power_nap_macs=args.power_nap_macs,
        server_url_only_iphones=args.server_url_only_iphones, **extra,
    )
    if args.user_channel:
        rng = random.Random(args.seed)  # noqa: S311  simulation data, not secrets
        for device in fleet.devices:
            if device.kind is DeviceKind.MAC:
                device.user_id = str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
    return fleet


async def _run(args: argparse.Namespace) -> None:
    fleet = fleet_from(args)
    await fleet.start(enroll=False)
    print(json.dumps({"apns_url": fleet.apns_url}), flush=True)
    for device in fleet.devices:
        print(json.dumps({
            "udid": device.udid, "serial_number": device.serial_number, "kind": device.kind,
            "supervised": device.supervised, "topic": device.topic,
        }), flush=True)
    try:
        while True:  # the dispatcher may start after the simulator
            if not await fleet.enroll_pending():
                break
            await asyncio.sleep(args.retry_s)
        logging.info("all %d devices enrolled; waiting for pushes", len(fleet.devices))
        if args.reenroll_after is not None:
            await asyncio.sleep(args.reenroll_after)
            await fleet.reenroll(fleet.devices[0])
            logging.info("device %s enrolled again with a new identity", fleet.devices[0].udid)
        await asyncio.Event().wait()
    finally:
        await fleet.stop()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(arguments(argv)))


if __name__ == "__main__":
    main()

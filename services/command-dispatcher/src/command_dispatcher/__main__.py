"""`python -m command_dispatcher [--platform apple|android|windows ...]`."""

from __future__ import annotations

import argparse

from ssp_contracts.enums import PlatformFamily
from ssp_runtime.serve import serve

from command_dispatcher.app import Dispatcher
from command_dispatcher.settings import DEFAULT_PORT, SERVICE, Settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="command_dispatcher")
    parser.add_argument("--platform", action="append", choices=[f.value for f in PlatformFamily],
                        help="platform family to dispatch (repeatable; default: all)")
    args = parser.parse_args()
    settings = Settings()
    if args.platform:
        settings.platforms = [PlatformFamily(p) for p in args.platform]
    dispatcher = Dispatcher(settings)
    serve(dispatcher.ops, settings, SERVICE, DEFAULT_PORT,
          extra=[(dispatcher.devices, settings.device_http_host, settings.device_http_port)])


if __name__ == "__main__":
    main()

"""A dispatcher process with a simulated Apple fleet enrolled against it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from ssp_contracts import Action, CommandAuthorized, CommandParams, ManagementMode, Platform
from ssp_devstack.processes import ServiceProcess, free_port
from ssp_simulators.apple.fleet import AppleFleet
from ssp_simulators.apple.session import Behaviour


async def start_fleet_and_dispatcher(services: Callable[..., ServiceProcess], *, iphones: int = 1,
                                     unsupervised: int = 0, macs: int = 0,
                                     behaviour: Behaviour | None = None, checkin_url: bool = True,
                                     query: str = "", **env: str,
                                     ) -> tuple[AppleFleet, ServiceProcess]:
    port = free_port()
    fleet = AppleFleet(f"http://127.0.0.1:{port}{query}", iphones=iphones,
                       unsupervised_iphones=unsupervised, macs=macs, behaviour=behaviour,
                       checkin_url=checkin_url)
    await fleet.start(enroll=False)
    dispatcher = services("command_dispatcher", **{
        "SSP_DEVICE_HTTP_PORT": str(port), "SSP_APNS_BASE_URL": fleet.apns_url,
        "SSP_DEMO_MODE": "true", **env})
    return fleet, dispatcher


def authorized(device_id: str, action: Action, *, org_id: str = "demo", user: str = "u-1",
               platform: Platform = Platform.IOS,
               mode: ManagementMode = ManagementMode.IOS_SUPERVISED,
               params: CommandParams | None = None) -> CommandAuthorized:
    now = datetime.now(UTC)
    return CommandAuthorized(
        org_id=org_id, command_id=f"cmd-{uuid.uuid4()}", device_id=device_id, action=action,
        params=params or CommandParams(), requested_by=user, requested_at=now,
        platform=platform, management_mode=mode, authorized_at=now)

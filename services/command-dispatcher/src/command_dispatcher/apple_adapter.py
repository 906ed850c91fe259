"""The Apple family's side of the lifecycle: refuse what Apple cannot do, push to wake devices."""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CollectorRegistry, Counter
from ssp_contracts.commands import CommandAuthorized
from ssp_contracts.enums import Action, Platform, PlatformFamily

from command_dispatcher.adapters import Refusal
from command_dispatcher.apple.push import ApnsClient, PushResult, PushTarget
from command_dispatcher.apple.push_coalescer import PushCoalescer
from command_dispatcher.lifecycle import Command
from command_dispatcher.store import AppleDevice, AppleDeviceStore, CommandStore

log = logging.getLogger(__name__)
PUSH_RETRIES = 5


class AppleAdapter:
    family = PlatformFamily.APPLE

    def __init__(self, devices: AppleDeviceStore, apns: ApnsClient | None,
                 registry: CollectorRegistry) -> None:
        self.devices = devices
        self.apns = apns
        self.coalescer: PushCoalescer[PushTarget] = PushCoalescer(self._send)
        self.pushes = Counter("ssp_apns_pushes", "APNs pushes by outcome", ["outcome"],
                              registry=registry)
        self._tasks: set[asyncio.Task[None]] = set()

    async def check(self, request: CommandAuthorized) -> None:
        device = await self.devices.by_device_id(request.device_id)
        if device is None or not device.enrolled:
            raise Refusal("device.not_enrolled",
                          "The device is not enrolled with this MDM server.")
        if request.action is Action.RESET_PASSCODE and request.platform is Platform.IOS and \
                not device.has_unlock_token:
            raise Refusal("unsupported.no_unlock_token",
                          "The device never sent the token needed to clear its passcode.")

    async def on_queued(self, cmd: Command) -> None:
        device = await self.devices.by_device_id(cmd.device_id)
        if device is not None:
            self.wake(device)

    async def wake_pending(self, commands: CommandStore) -> int:
        """Push every device that still has work: after a restart (pushes sent before a crash
        may have woken a device that then found nobody), and periodically, because a device
        that missed a push would otherwise wait until its commands expire."""
        woken = 0
        for device_id in await commands.devices_with_pending([Platform.IOS, Platform.MACOS]):
            device = await self.devices.by_device_id(device_id)
            if device is not None and device.enrolled:
                self.wake(device)
                woken += 1
        return woken

    def wake(self, device: AppleDevice) -> None:
        """Push so the device connects; retried in the background, coalesced per device."""
        if self.apns is None or not (device.push_token and device.push_magic and device.topic):
            return  # no APNs configured or no token yet: the device picks it up when it connects
        target = PushTarget(device.push_token, device.push_magic, device.topic)
        task = asyncio.create_task(self._push_with_retries(device.udid, target))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push_with_retries(self, udid: str, target: PushTarget) -> None:
        for attempt in range(PUSH_RETRIES):
            result = await self.coalescer.request(udid, target)
            if result.ok:
                self.pushes.labels("ok").inc()
                return
            if result.permanent:
                self.pushes.labels("dead_token").inc()
                await self.devices.drop_push_token(udid)
                return
            self.pushes.labels("retry" if result.transient else "failed").inc()
            if not result.transient:
                log.warning("push refused", extra={"status": result.status,
                                                   "reason": result.reason})
                return
            await asyncio.sleep(min(0.5 * 2 ** attempt, 30))
        log.warning("push gave up after retries", extra={"udid": udid})

    async def _send(self, target: PushTarget) -> PushResult:
        assert self.apns is not None
        return await self.apns.push(target)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.apns is not None:
            await self.apns.aclose()

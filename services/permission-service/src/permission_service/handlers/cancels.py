"""Cancels pass through the permission-service, like the commands they cancel: it is the only
writer of `ssp.commands.<family>` (the Kafka ACLs allow nobody else), so the portal asks for a
cancel on `ssp.commands.requested` and this forwards it to the dispatcher. Whether the cancel
wins (the command still queued, the canceller its requester) stays the dispatcher's decision.
"""

from __future__ import annotations

import logging

from ssp_contracts.capabilities import FAMILY_OF_PLATFORM
from ssp_contracts.commands import CommandCancelRequested
from ssp_contracts.topics import COMMAND_TOPIC_BY_FAMILY
from ssp_runtime.consuming import Delivery

from permission_service.store import Stores

log = logging.getLogger(__name__)


class CancelForwarding:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores

    async def on_cancel_requested(self, cancel: CommandCancelRequested, d: Delivery) -> None:
        device = await self.stores.devices.get(cancel.device_id)
        forwarded = device is not None and await self.stores.decisions.forward_cancel(
            cancel, COMMAND_TOPIC_BY_FAMILY[FAMILY_OF_PLATFORM[device.platform]],
            d.event_id or f"{d.topic}/{d.partition}/{d.offset}")
        if not forwarded:  # not authorized here (rejected, unknown, another org): no command
            log.info("cancel not forwarded: no command authorized to cancel", extra={
                "command_id": cancel.command_id, "device_id": cancel.device_id})

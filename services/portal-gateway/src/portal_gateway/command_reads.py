"""Which commands a user may see: their own requests, and any command on a device of theirs."""

from __future__ import annotations

from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.enums import CommandStatus

from portal_gateway.domain.access import Caller
from portal_gateway.domain.command_view import CommandPublic, is_since_link
from portal_gateway.domain.errors import Conflict, NotFound, NotImplementedYet
from portal_gateway.store.gateway_stores import GatewayStores

CANCELABLE = frozenset({CommandStatus.REQUESTED, CommandStatus.AUTHORIZED, CommandStatus.QUEUED})


async def device_history(stores: GatewayStores, caller: Caller,
                         device: DeviceSnapshot) -> list[CommandPublic]:
    linked_at = device.owner.linked_at if device.owner else None
    return await stores.commands.for_device(caller.org_id, device.device_id,
                                            owner_id=caller.user_id, linked_at=linked_at)


async def visible_command(stores: GatewayStores, caller: Caller,
                          command_id: str) -> CommandPublic:
    command = await stores.commands.get(caller.org_id, command_id)
    if command is not None and command.requested_by == caller.user_id:
        return command
    device = None if command is None else await stores.devices.owned_device(
        caller, command.device_id)
    if command is not None and device is not None and is_since_link(command, device):
        return command
    raise NotFound("command.not_found", "No such command among yours.")


def refuse_cancel(command: CommandPublic) -> None:
    """Canceling needs a cancel request the dispatcher understands; the contracts have none yet."""
    if command.status not in CANCELABLE:
        raise Conflict("command.not_cancelable",
                       f"The command is already {command.status.value}; it can no longer be "
                       "canceled.", status=command.status.value)
    raise NotImplementedYet("command.cancel_not_supported",
                            "Canceling a command is not available yet.")

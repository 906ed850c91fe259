"""Which commands a user may see: their own requests, and any command on a device of theirs."""

from __future__ import annotations

from ssp_contracts.capabilities import CANCELABLE_FAMILIES, FAMILY_OF_PLATFORM
from ssp_contracts.devices import DeviceSnapshot
from ssp_contracts.enums import CommandStatus

from portal_gateway.domain.access import Caller
from portal_gateway.domain.command_view import CommandPublic, is_since_link
from portal_gateway.domain.errors import Conflict, NotFound
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


async def own_command(stores: GatewayStores, caller: Caller, command_id: str) -> CommandPublic:
    """A command the caller requested; anyone else's (even on their own device) is 404."""
    command = await stores.commands.get(caller.org_id, command_id)
    if command is None or command.requested_by != caller.user_id:
        raise NotFound("command.not_found", "No such command among yours.")
    return command


def cancel_offered(command: CommandPublic, device: DeviceSnapshot, caller: Caller) -> bool:
    """Whether a page offers to cancel: the caller's own command, not yet sent as far as the
    gateway knows, on a platform whose dispatcher can still withdraw it."""
    return (command.requested_by == caller.user_id and command.status in CANCELABLE
            and FAMILY_OF_PLATFORM[device.platform] in CANCELABLE_FAMILIES)


def check_cancelable(command: CommandPublic, device: DeviceSnapshot | None) -> None:
    """What the gateway already knows is too late (the dispatcher decides the rest)."""
    if command.status not in CANCELABLE:
        raise Conflict("command.not_cancelable",
                       f"The command is already {command.status.value}; it can no longer be "
                       "canceled.", command_status=command.status.value)
    if device is None:
        raise Conflict("command.device_unknown",
                       "The command's device is no longer known, so the cancel cannot be "
                       "delivered.", command_status=command.status.value)
    if FAMILY_OF_PLATFORM[device.platform] not in CANCELABLE_FAMILIES:
        raise Conflict("command.cancel_unsupported",
                       f"Commands for {device.platform.value} devices are handed on at once "
                       "and cannot be canceled.", command_status=command.status.value)

"""The OMA-DM commands the server sends for each portal action (Windows CSP nodes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ssp_contracts.capabilities import capability, is_supported_by_mode
from ssp_contracts.enums import Action, ManagementMode

from command_dispatcher.windows.errors import Unsupported
from command_dispatcher.windows.messages import Command, Container, Item
from command_dispatcher.windows.results import WindowsOutcome, interpret

__all__ = [
    "DEMO_PROVIDER_ID", "INVENTORY_NODES", "LOCATION_NODES", "WIPE_NODES", "BuiltCommand",
    "WindowsOutcome", "build_commands", "interpret", "unenroll_node",
]

_REMOTE_WIPE = "./Device/Vendor/MSFT/RemoteWipe/"
# doWipeProtected (1703+) keeps retrying and cleans the drive fully: the one for lost devices.
WIPE_NODES = {
    name: _REMOTE_WIPE + name
    for name in ("doWipe", "doWipeProtected", "doWipePersistProvisionedData",
                 "doWipePersistUserData")
}
DEFAULT_WIPE = "doWipeProtected"
# ProviderID of the demo enrollment (the simulator's); outside demo mode the operator names
# the one their devices were enrolled with (SSP_WINDOWS_PROVIDER_ID).
DEMO_PROVIDER_ID = "ssp-demo"
LOCATION_NODES = tuple(
    f"./Vendor/MSFT/RemoteFind/Location/{name}"
    for name in ("Latitude", "Longitude", "Accuracy", "Altitude", "Age")
)
INVENTORY_NODES = (
    "./DevInfo/Man",
    "./DevInfo/Mod",
    "./DevDetail/SwV",
    "./DevDetail/Ext/Microsoft/SMBIOSSerialNumber",
    "./DevDetail/Ext/Microsoft/DeviceName",
    "./Vendor/MSFT/DeviceStatus/Battery/EstimatedChargeRemaining",
    "./Vendor/MSFT/DeviceStatus/Battery/Status",
)


@dataclass(frozen=True)
class BuiltCommand:
    """The top-level commands for one action, and every CmdID inside them (for Status matching)."""

    commands: tuple[Command | Container, ...]
    cmd_ids: tuple[str, ...]


def _get(ids: Iterator[int], node: str) -> Command:
    return Command("Get", str(next(ids)), (Item(target=node),))


def unenroll_node(provider_id: str) -> str:
    return f"./Vendor/MSFT/DMClient/Provider/{provider_id}/Unenroll"


def _unenroll(ids: Iterator[int], provider_id: str | None) -> Command:
    """DMClient CSP `Provider/<ProviderID>/Unenroll`, Exec (server-initiated unenrollment):
    the device removes what this server configured (policies, certificates, enterprise apps)
    and its management account; the user's files stay. The data names the provider too, as
    Microsoft's example does (Windows 10 and later ignore it)."""
    if not provider_id:
        raise Unsupported("config.no_provider_id", "the Windows enrollment's ProviderID is not "
                          "configured (SSP_WINDOWS_PROVIDER_ID)")
    item = Item(target=unenroll_node(provider_id), format="chr", type="text/plain",
                data=provider_id)
    return Command("Exec", str(next(ids)), (item,))


def build_commands(
    action: Action, ids: Iterator[int], *, wipe: str = DEFAULT_WIPE,
    provider_id: str | None = None,
) -> BuiltCommand:
    """Commands for `action`, numbered from `ids`: one counter per message keeps CmdIDs unique.
    `provider_id`: the ProviderID devices enrolled with (retire names it).

    One Get per node, so a node a device lacks (404) does not hide the others' values.
    """
    if not is_supported_by_mode(action, ManagementMode.WINDOWS):
        refused = capability(action, ManagementMode.WINDOWS)
        raise Unsupported(refused.code or "unsupported", refused.reason or "not supported")
    commands: tuple[Command | Container, ...]
    if action is Action.WIPE:
        if wipe not in WIPE_NODES:
            raise Unsupported("unsupported.wipe_variant", f"unknown RemoteWipe node {wipe!r}")
        exec_wipe = Item(target=WIPE_NODES[wipe], format="chr", type="text/plain", data="")
        commands = (Command("Exec", str(next(ids)), (exec_wipe,)),)
    elif action is Action.LOCATE:
        # RemoteFind must be read atomically, so the five values belong to the same fix. A Get
        # directly inside Atomic is refused with 500 (OMA DM protocol support page), so the
        # Gets sit in a Sequence inside the Atomic, as the RemoteFind CSP example frames them.
        atomic_id, sequence_id = str(next(ids)), str(next(ids))
        gets = tuple(_get(ids, n) for n in LOCATION_NODES)
        commands = (Container("Atomic", atomic_id, (Container("Sequence", sequence_id, gets),)),)
    elif action is Action.REFRESH:
        commands = tuple(_get(ids, node) for node in INVENTORY_NODES)
    elif action is Action.RETIRE:
        commands = (_unenroll(ids, provider_id),)
    else:  # the capability matrix lets nothing else through for Windows
        raise Unsupported("unsupported.action", f"no OMA-DM command for {action.value}")
    return BuiltCommand(commands, tuple(_all_ids(commands)))


def _all_ids(commands: tuple[Command | Container, ...]) -> Iterator[str]:
    for command in commands:
        yield command.cmd_id
        if isinstance(command, Container):
            yield from _all_ids(command.commands)

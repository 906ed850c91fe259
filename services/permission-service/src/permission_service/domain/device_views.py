"""The device facts the authorizer needs, kept by this service from the `ssp.devices` topic.

The store keeps one view per device id and replaces it only with a snapshot of a higher
`version` (redelivery and reordering are harmless); a null record on the compacted topic
deletes the view, after which the device is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssp_contracts.devices import DeviceSnapshot, WipeState
from ssp_contracts.enums import ManagementMode, Platform


@dataclass(frozen=True)
class DeviceView:
    """The device facts the rules need (this service keeps them from `ssp.devices`)."""

    device_id: str
    org_id: str
    owner_user_id: str | None
    platform: Platform
    management_mode: ManagementMode
    lost_mode: bool = False
    enrolled: bool = True
    wipe_state: WipeState = "none"

    @classmethod
    def from_snapshot(cls, snapshot: DeviceSnapshot) -> DeviceView:
        return cls(
            device_id=snapshot.device_id, org_id=snapshot.org_id,
            owner_user_id=snapshot.owner.user_id if snapshot.owner else None,
            platform=snapshot.platform, management_mode=snapshot.management_mode,
            lost_mode=snapshot.lost_mode, enrolled=snapshot.enrolled,
            wipe_state=snapshot.wipe_state,
        )


def is_newer(snapshot: DeviceSnapshot, stored_version: int | None) -> bool:
    """Whether `snapshot` should replace what the store holds (None: holds nothing)."""
    return stored_version is None or snapshot.version > stored_version

"""The device facts the authorizer needs (`ssp_contracts.policy.DeviceFacts`), kept by this
service from the `ssp.devices` topic.

The store keeps one view per device id and replaces it only with a snapshot of a higher
`version` (redelivery and reordering are harmless); a null record on the compacted topic
deletes the view, after which the device is unknown.
"""

from __future__ import annotations

from ssp_contracts.devices import DeviceSnapshot


def is_newer(snapshot: DeviceSnapshot, stored_version: int | None) -> bool:
    """Whether `snapshot` should replace what the store holds (None: holds nothing)."""
    return stored_version is None or snapshot.version > stored_version

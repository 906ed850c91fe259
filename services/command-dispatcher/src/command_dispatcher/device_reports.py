"""DeviceReported events from loose fields, for the families whose devices talk to us."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ssp_contracts.devices import DeviceIdentifiers, DeviceInventory, DeviceReported
from ssp_contracts.enums import DeviceReportKind, ManagementMode, Platform

_INVENTORY_FIELDS = frozenset(DeviceInventory.model_fields)
_IDENTIFIER_FIELDS = frozenset(DeviceIdentifiers.model_fields)


def report(kind: DeviceReportKind, *, org_id: str, device_id: str, platform: Platform,
           mode: ManagementMode, now: datetime, fields: dict[str, Any] | None = None,
           identity_changed: bool = False, identity_trusted: bool = True) -> DeviceReported:
    """A DeviceReported with `fields` split into inventory and identifiers."""
    values = {k: v for k, v in (fields or {}).items() if v is not None}
    return DeviceReported(
        org_id=org_id, report_id=str(uuid.uuid4()), device_id=device_id, kind=kind,
        platform=platform, management_mode=mode, occurred_at=now,
        identity_changed=identity_changed, identity_trusted=identity_trusted,
        identifiers=DeviceIdentifiers(**{k: v for k, v in values.items()
                                         if k in _IDENTIFIER_FIELDS}),
        inventory=DeviceInventory(**{k: v for k, v in values.items() if k in _INVENTORY_FIELDS}),
    )

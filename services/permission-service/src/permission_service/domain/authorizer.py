"""The event an authorized request becomes; the rules themselves are `ssp_contracts.policy`,
shared with the gateway's pre-checks (this service's answer is the one that counts)."""

from __future__ import annotations

from datetime import datetime

from ssp_contracts.commands import CommandAuthorized, CommandRequested
from ssp_contracts.policy import DeviceFacts


def to_command_authorized(
    request: CommandRequested, device: DeviceFacts, now: datetime
) -> CommandAuthorized:
    """The event for the platform family's topic once `authorize` said yes."""
    return CommandAuthorized(
        org_id=request.org_id, command_id=request.command_id, device_id=request.device_id,
        action=request.action, params=request.params, requested_by=request.requested_by,
        requested_at=request.requested_at, platform=device.platform,
        management_mode=device.management_mode, authorized_at=now,
    )

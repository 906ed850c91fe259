"""One unfinished command per device and action, whoever requested it."""

from __future__ import annotations

from datetime import datetime, timedelta

from ssp_contracts.enums import Action

from portal_gateway.domain.command_view import is_pending
from portal_gateway.domain.errors import Conflict
from portal_gateway.store.command_claims import CommandClaims
from portal_gateway.store.commands import CommandProjection


def pending_conflict(command_id: str) -> Conflict:
    return Conflict("command.pending",
                    "The same action is already pending on this device.", command_id=command_id)


class PendingSlots:
    def __init__(self, commands: CommandProjection, claims: CommandClaims,
                 pending_for: timedelta) -> None:
        self.commands = commands
        self.claims = claims
        self.pending_for = pending_for

    async def claim(self, device_id: str, action: Action, command_id: str,
                    now: datetime) -> None:
        """Claim the slot for `command_id` or raise 409 naming the pending command."""
        # Commands other systems requested are known only from the status topic.
        seen = await self.commands.pending(device_id, action.value, now - self.pending_for)
        if seen is not None:
            raise pending_conflict(seen)
        until = now + self.pending_for
        holder = await self.claims.claim_slot(device_id, action.value, command_id, until)
        if holder is None:
            return
        status = await self.commands.status_of(holder.command_id)
        # No status yet: its publish is in flight right now, so it counts as pending.
        if holder.until > now and (status is None or is_pending(status)):
            raise pending_conflict(holder.command_id)
        if not await self.claims.take_over_slot(device_id, action.value, holder.command_id,
                                                command_id, until):
            raise pending_conflict(holder.command_id)

    async def release(self, device_id: str, action: Action, command_id: str) -> None:
        await self.claims.release_slot(device_id, action.value, command_id)

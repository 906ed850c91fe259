"""The command path's fast pre-checks, in this instance's memory: the per-user and per-device
rate windows and one unfinished command per device and action.

Why memory: checked in the database they cost a command request about a dozen round trips
(two rate-window `findAndModify`, the slot claim, the pending lists, the claim's status). The
permission-service is the authority for these rules (ARCHITECTURE.md, "The authority enforces
policy"); the gateway's checks give fast feedback. They are per instance: behind several
instances a user may get further than the limit before the authority refuses, and two
instances may both accept the same action in the moment before the first one's status
(`authorized`, from the permission-service) reaches the other.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.enums import Action

from portal_gateway.domain.command_view import is_pending
from portal_gateway.domain.errors import Conflict
from portal_gateway.domain.rate_limits import Window

FINISHED_REMEMBERED = 50_000  # finished commands whose stale pending statuses are ignored
WINDOWS_BEFORE_SWEEP = 100_000  # rate windows and pending holders


def pending_conflict(command_id: str) -> Conflict:
    return Conflict("command.pending",
                    "The same action is already pending on this device.", command_id=command_id)


class RateCounters:
    """Fixed-window counters (the interface of store/rate_windows.py, in memory)."""

    def __init__(self, sweep_above: int = WINDOWS_BEFORE_SWEEP) -> None:
        self._counts: dict[str, tuple[int, datetime]] = {}
        self._sweep_above = sweep_above

    async def hit(self, window: Window) -> int:
        """Count one attempt in `window`; returns the count including it."""
        count = self._counts.get(window.key, (0, window.end))[0] + 1
        self._counts[window.key] = (count, window.end)
        if len(self._counts) > self._sweep_above:  # windows end: forget the ended ones
            self._counts = {k: v for k, v in self._counts.items() if v[1] > window.start}
        return count


@dataclass(frozen=True)
class _Holder:
    command_id: str
    version: int
    until: datetime


class PendingCommands:
    """Per (device, action) the unfinished command, from this instance's own requests and
    from every status on `ssp.commands.status` (each instance's live feed reads all partitions,
    so a command another instance or system requested counts as soon as its status arrives).
    A holder counts for `pending_for` at most, as the database's slot did."""

    def __init__(self, pending_for: timedelta, remembered: int = FINISHED_REMEMBERED) -> None:
        self.pending_for = pending_for
        self._holders: dict[tuple[str, str], _Holder] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._remembered = remembered

    def holder(self, device_id: str, action: Action, now: datetime) -> str | None:
        held = self._holders.get((device_id, action.value))
        return held.command_id if held is not None and held.until > now else None

    def claim(self, device_id: str, action: Action, command_id: str, now: datetime) -> None:
        """Claim the slot for `command_id` or raise 409 naming the pending command."""
        held = self.holder(device_id, action, now)
        if held is not None:
            raise pending_conflict(held)
        if len(self._holders) > WINDOWS_BEFORE_SWEEP:  # holders whose status never came
            self._holders = {k: h for k, h in self._holders.items() if h.until > now}
        self._holders[(device_id, action.value)] = _Holder(command_id, 0,
                                                            now + self.pending_for)

    def release(self, device_id: str, action: Action, command_id: str) -> None:
        key = (device_id, action.value)
        held = self._holders.get(key)
        if held is not None and held.command_id == command_id:
            del self._holders[key]

    def on_status(self, event: CommandStatusChanged) -> None:
        key = (event.device_id, event.action.value)
        held = self._holders.get(key)
        if not is_pending(event.status):
            self._finished[event.command_id] = None
            while len(self._finished) > self._remembered:
                self._finished.popitem(last=False)
            if held is not None and held.command_id == event.command_id:
                del self._holders[key]
            return
        if event.command_id in self._finished:  # a redelivered status of a finished command
            return
        if held is None or held.command_id != event.command_id or held.version < event.version:
            self._holders[key] = _Holder(event.command_id, event.version,
                                         event.occurred_at + self.pending_for)

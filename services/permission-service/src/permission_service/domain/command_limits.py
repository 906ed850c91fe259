"""The command limits the authority enforces on every request, whatever its source: per-user
and per-device rate limits, one pending command per device and action, and the per-org wipe
circuit breaker (the gateway checks the same ones first, for fast feedback).

Pure: the state is a fold of command statuses, the ones this service decides (folded the moment
it decides) and every one on `ssp.commands.status` (the dispatchers' progress, and this
service's own decisions again, from any instance). Folding a status twice changes nothing
(commands are tracked by id, the breaker trips on time), so the same fold serves the live path
and the rebuild at start-up. Rate limits count authorized commands in fixed windows aligned as
the gateway's (`rate_limits.window_for`), at the decision's time (`occurred_at`): a record's
own `requested_at` is whatever its writer says, so it decides nothing.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ssp_contracts.commands import CommandStatusChanged
from ssp_contracts.enums import Action, CommandStatus
from ssp_contracts.policy import (
    BREAKER_OPEN,
    COMMAND_PENDING,
    DEVICE_RATE_LIMITED,
    REASONS,
    USER_RATE_LIMITED,
    Decision,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
USER_SCOPE, DEVICE_SCOPE = "commands.user", "commands.device"  # the gateway's scopes


@dataclass(frozen=True)
class LimitPolicy:
    user_limit: int
    user_window: timedelta
    device_limit: int
    device_window: timedelta
    wipe_max: int
    wipe_window: timedelta
    wipe_open_for: timedelta
    pending_for: timedelta

    @property
    def longest_window(self) -> timedelta:
        return max(self.user_window, self.device_window, self.wipe_window)

    @property
    def horizon(self) -> timedelta:
        """How far back a status can still matter: the state a rebuild must replay."""
        return max(self.longest_window, self.wipe_open_for, self.pending_for)


@dataclass
class Tracked:
    org_id: str
    user_id: str
    device_id: str
    action: Action
    seen_at: datetime  # the first status seen of it (normally the authorization)
    finished: bool = False
    counted: bool = False  # counted toward the rate limits (its authorization was folded)


@dataclass(frozen=True)
class BreakerView:
    open: bool
    until: datetime | None


def window_start(window: timedelta, at: datetime) -> int:
    """Epoch seconds where the fixed window holding `at` starts (as the gateway's)."""
    span = window.total_seconds()
    return int(math.floor((at - EPOCH).total_seconds() / span) * span)


class LimitBook:
    def __init__(self, policy: LimitPolicy) -> None:
        self.policy = policy
        self.commands: dict[str, Tracked] = {}
        self.pending: dict[tuple[str, Action], set[str]] = {}
        self.counts: Counter[tuple[str, str, int]] = Counter()  # (scope, subject, window)
        self.wipes: dict[str, dict[str, datetime]] = {}  # org -> authorized wipe -> when
        self.open_until: dict[str, datetime] = {}
        self.reset_at: dict[str, datetime] = {}

    # -- deciding -----------------------------------------------------------------------------

    def refusal(self, *, org_id: str, user_id: str, device_id: str, action: Action,
                now: datetime) -> Decision | None:
        """The first limit a request authorized by the policy runs into, or None. Same order
        as the gateway: user, device, wipe breaker, then the pending slot."""
        p = self.policy
        if self.counts[(USER_SCOPE, user_id, window_start(p.user_window, now))] >= p.user_limit:
            return _deny(USER_RATE_LIMITED)
        device_count = self.counts[(DEVICE_SCOPE, device_id, window_start(p.device_window, now))]
        if device_count >= p.device_limit:
            return _deny(DEVICE_RATE_LIMITED)
        if action is Action.WIPE and (self.breaker(org_id, now).open
                                      or self.wipes_in_window(org_id, now) >= p.wipe_max):
            return _deny(BREAKER_OPEN)  # folding this refusal trips a closed breaker
        if self.pending_command(device_id, action, now) is not None:
            return _deny(COMMAND_PENDING)
        return None

    def pending_command(self, device_id: str, action: Action, now: datetime) -> str | None:
        since = now - self.policy.pending_for
        for command_id in self.pending.get((device_id, action), ()):
            tracked = self.commands[command_id]
            if not tracked.finished and tracked.seen_at > since:
                return command_id
        return None

    def wipes_in_window(self, org_id: str, now: datetime) -> int:
        """Wipes authorized in the org's current window since its last reset."""
        start = EPOCH + timedelta(seconds=window_start(self.policy.wipe_window, now))
        since = max(start, self.reset_at.get(org_id, EPOCH))
        return sum(1 for at in self.wipes.get(org_id, {}).values() if since <= at)

    def breaker(self, org_id: str, now: datetime) -> BreakerView:
        until = self.open_until.get(org_id)
        return BreakerView(True, until) if until is not None and now < until else BreakerView(
            False, None)

    # -- folding ------------------------------------------------------------------------------

    def fold(self, status: CommandStatusChanged) -> bool:
        """Apply one status; True when it added a command not tracked before (what `forget`
        undoes if its decision could not be stored)."""
        if status.status is CommandStatus.REQUESTED:
            return False  # the gateway's own record: nothing decided yet
        if status.status is CommandStatus.REJECTED:
            if status.reason_code == BREAKER_OPEN:
                self._trip(status.org_id, status.occurred_at)
            self._finish(status.command_id)
            return False
        tracked = self.commands.get(status.command_id)
        added = tracked is None
        if tracked is None:
            # Any status of an unknown command makes it known (a dispatcher's `queued` can
            # reach the topic before the authorization that caused it).
            tracked = Tracked(status.org_id, status.requested_by, status.device_id,
                              status.action, status.occurred_at)
            self.commands[status.command_id] = tracked
            self.pending.setdefault((status.device_id, status.action), set()).add(
                status.command_id)
        if status.status is CommandStatus.AUTHORIZED and not tracked.counted:
            tracked.counted = True
            self._count(tracked, status.occurred_at, +1)
            self._count_wipe(status.command_id, tracked, status.occurred_at, +1)
        if status.status.is_terminal:
            self._finish(status.command_id)
        return added

    def forget(self, command_id: str) -> None:
        """Undo a command this instance folded but could not record as decided."""
        tracked = self.commands.pop(command_id, None)
        if tracked is None:
            return
        self._unpend(command_id, tracked)
        if tracked.counted:
            self._count(tracked, tracked.seen_at, -1)
            self._count_wipe(command_id, tracked, tracked.seen_at, -1)

    def reset_breaker(self, org_id: str, at: datetime) -> bool:
        """An admin closed the org's breaker at `at`: open or not, its wipe count starts afresh
        (wipes authorized before `at` no longer count; a trip before `at` is void, even one
        folded later). True if it was open."""
        if at <= self.reset_at.get(org_id, EPOCH):
            return False
        self.reset_at[org_id] = at
        until = self.open_until.get(org_id)
        if until is not None and until > at:
            del self.open_until[org_id]
            return True
        return False

    def prune(self, now: datetime) -> None:
        """Drop what no decision from `now` on can depend on."""
        # A finished command matters only while its window counts it (a late status of it
        # must not count it again); an unfinished one until it stops blocking its slot.
        counted_since = now - self.policy.longest_window
        pending_since = now - self.policy.pending_for
        for command_id in [c for c, t in self.commands.items()
                           if t.seen_at < (counted_since if t.finished else pending_since)]:
            self._unpend(command_id, self.commands.pop(command_id))
        spans = {USER_SCOPE: self.policy.user_window, DEVICE_SCOPE: self.policy.device_window}
        for key in [k for k in self.counts
                    if EPOCH + timedelta(seconds=k[2]) + spans[k[0]] <= now]:
            del self.counts[key]
        for org_id in [o for o, until in self.open_until.items() if until <= now]:
            del self.open_until[org_id]
        for org_id, wipes in list(self.wipes.items()):
            for command_id in [c for c, at in wipes.items() if at < now - self.policy.wipe_window]:
                del wipes[command_id]
            if not wipes:
                del self.wipes[org_id]

    # -- internals ----------------------------------------------------------------------------

    def _count(self, tracked: Tracked, at: datetime, step: int) -> None:
        p = self.policy
        self.counts[(USER_SCOPE, tracked.user_id, window_start(p.user_window, at))] += step
        self.counts[(DEVICE_SCOPE, tracked.device_id, window_start(p.device_window, at))] += step

    def _count_wipe(self, command_id: str, tracked: Tracked, at: datetime, step: int) -> None:
        if tracked.action is not Action.WIPE:
            return
        wipes = self.wipes.setdefault(tracked.org_id, {})
        if step > 0:
            wipes[command_id] = at
        else:
            wipes.pop(command_id, None)

    def _trip(self, org_id: str, at: datetime) -> None:
        """A wipe refused at `at` because of the breaker: opens it if it was closed then (a
        refusal while it was open changes nothing), unless an admin reset it afterwards."""
        if at <= self.reset_at.get(org_id, EPOCH) or self.breaker(org_id, at).open:
            return
        self.open_until[org_id] = at + self.policy.wipe_open_for

    def _finish(self, command_id: str) -> None:
        tracked = self.commands.get(command_id)
        if tracked is not None and not tracked.finished:
            tracked.finished = True
            self._unpend(command_id, tracked)

    def _unpend(self, command_id: str, tracked: Tracked) -> None:
        slot = self.pending.get((tracked.device_id, tracked.action))
        if slot is not None:
            slot.discard(command_id)
            if not slot:
                del self.pending[(tracked.device_id, tracked.action)]


def _deny(code: str) -> Decision:
    return Decision(False, code, REASONS[code])

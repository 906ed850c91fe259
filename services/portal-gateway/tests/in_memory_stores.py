"""In-memory stand-ins for the stores the command desk uses (unit tests only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from portal_gateway.store.command_claims import Claim


class Commands:
    def __init__(self) -> None:
        self.recorded: list[Any] = []

    async def record_requested(self, event: Any) -> bool:
        self.recorded.append(event)
        return True


class Claims:
    def __init__(self) -> None:
        self.keys: dict[str, Claim] = {}

    async def claim_key(self, user_id, key, claim, now):
        existing = self.keys.get(f"{user_id}:{key}")
        if existing is None:
            self.keys[f"{user_id}:{key}"] = claim
        return existing

    async def release_key(self, user_id, key, command_id):
        self.keys.pop(f"{user_id}:{key}", None)


class Confirmations:
    def __init__(self) -> None:
        self.valid: set[tuple[str, str, str, str]] = set()

    async def create(self, conf: Any) -> None:
        self.valid.add((conf.token_hash, conf.user_id, conf.device_id, conf.action.value))

    async def consume(self, token_hash, *, user_id, device_id, action, now) -> bool:
        key = (token_hash, user_id, device_id, action)
        if key in self.valid:
            self.valid.remove(key)
            return True
        return False


class RateWindows:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    async def hit(self, window: Any) -> int:
        self.counts[window.key] = self.counts.get(window.key, 0) + 1
        return self.counts[window.key]


class WipeBreaker:
    """Slots and breakers as sets of unique ids, like the unique inserts of the real store."""

    def __init__(self) -> None:
        self.slots: dict[str, str] = {}  # slot id -> org id
        self.breakers: dict[str, datetime] = {}

    async def take_slot(self, org_id: str, window: Any, ids: list[str]) -> bool:
        free = next((i for i in ids if i not in self.slots), None)
        if free is not None:
            self.slots[free] = org_id
        return free is not None

    async def open_until(self, org_id: str) -> datetime | None:
        return self.breakers.get(org_id)

    async def trip(self, org_id: str, now: datetime, until: datetime) -> datetime:
        if org_id not in self.breakers or self.breakers[org_id] <= now:
            self.breakers[org_id] = until
        return self.breakers[org_id]

    async def reset(self, org_id: str) -> bool:
        self.slots = {k: v for k, v in self.slots.items() if v != org_id}
        return self.breakers.pop(org_id, None) is not None


@dataclass
class Publisher:
    fail_with: BaseException | None = None
    sent: list[tuple[str, Any, str | None]] = field(default_factory=list)
    headers: list[dict[str, str] | None] = field(default_factory=list)

    async def publish(self, topic: str, event: Any, *, key: str | None = None,
                      headers: dict[str, str] | None = None) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((topic, event, key))
        self.headers.append(headers)
        return "ce-id"

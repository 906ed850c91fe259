"""CSV import chunks in: resolve the chunk's keys in a few lookups, decide every row, link
the devices (unless a dry run), and count the chunk once in the import's progress.

A chunk may be delivered again after a crash. If it was counted, nothing happens. If it was
applied but not counted, the devices carry the import's mark, so the rows this import linked
are reported as linked again, not as unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from itertools import groupby
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from ssp_contracts.audit import AuditRecord
from ssp_contracts.devices import DeviceOwner
from ssp_contracts.enums import LinkSource
from ssp_contracts.links import ImportRow, ImportRowOutcome, ImportRowsSubmitted
from ssp_runtime.clock import utc_now
from ssp_runtime.consuming import Delivery, PermanentError

from device_registry.domain import RowDecision, decide_row, link
from device_registry.domain.errors import DomainError
from device_registry.domain.import_progress import record_chunk, start_job
from device_registry.store import IMPORT_MARK, DeviceStore, ImportStore, LinkChange, UserDirectory
from device_registry.store import state_of as device_state

MAX_RACES = 20
Doc = dict[str, Any]
log = logging.getLogger(__name__)



class ImportRowMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.rows = Counter("ssp_import_rows", "CSV import rows decided, by outcome; dry runs "
                            "apart", ["outcome", "dry_run"], registry=registry)

    def count(self, outcomes: list[ImportRowOutcome], dry_run: bool) -> None:
        for outcome in outcomes:
            self.rows.labels(outcome.outcome, "true" if dry_run else "false").inc()


class ImportHandler:
    def __init__(self, devices: DeviceStore, users: UserDirectory, imports: ImportStore,
                 clock: Callable[[], datetime] = utc_now,
                 metrics: ImportRowMetrics | None = None) -> None:
        self.devices = devices
        self.users = users
        self.imports = imports
        self.clock = clock
        self.metrics = metrics

    async def on_rows_submitted(self, chunk: ImportRowsSubmitted, _d: Delivery) -> None:
        """Decides and (unless a dry run) links one chunk of a CSV import; publishes progress."""
        job = await self.imports.get(chunk.import_id)
        if job is not None and job.has(chunk.chunk):
            return  # delivered again: already counted, nothing changes
        started = time.perf_counter()
        outcomes = [*await self._settle(chunk), *chunk.prejudged]
        settled = time.perf_counter()
        try:
            after, progress = record_chunk(job or start_job(chunk), chunk, outcomes)
        except DomainError as exc:
            raise PermanentError(str(exc)) from exc
        if not await self.imports.save(job, after, progress):
            # Only this consumer writes an import, chunk after chunk: a retry sorts it out.
            raise RuntimeError(f"import {chunk.import_id}: its progress moved meanwhile")
        if self.metrics is not None:  # once per chunk: a redelivered one returned above
            self.metrics.count(outcomes, chunk.dry_run)
        log.info("import chunk done", extra={
            "import_id": chunk.import_id, "chunk": chunk.chunk, "rows": len(chunk.rows),
            "dry_run": chunk.dry_run, "settle_s": round(settled - started, 3),
            "record_s": round(time.perf_counter() - settled, 3)})

    async def _settle(self, chunk: ImportRowsSubmitted) -> list[ImportRowOutcome]:
        """Every valid row's outcome; rows whose device changed while linking are decided
        again against the device as it is now."""
        settled: list[ImportRowOutcome] = []
        pending = chunk.rows
        for _ in range(MAX_RACES):
            if not pending:
                return settled
            decided = time.perf_counter()
            decisions, devices, users = await self._decide(chunk, pending)
            linking = time.perf_counter()
            raced = set() if chunk.dry_run else await self.devices.link_many(
                [self._change(chunk, d, devices[d.device_id], users[d.user_id])
                 for d in decisions if d.changes_link and d.device_id and d.user_id])
            log.debug("import chunk decided and linked", extra={
                "import_id": chunk.import_id, "chunk": chunk.chunk,
                "decide_s": round(linking - decided, 3),
                "link_s": round(time.perf_counter() - linking, 3)})
            settled += [d.outcome for d in decisions if d.device_id not in raced]
            pending = [row for row, d in zip(pending, decisions, strict=True)
                       if d.device_id in raced]
        raise RuntimeError(f"import {chunk.import_id}: lost {MAX_RACES} races for devices")

    async def _decide(self, chunk: ImportRowsSubmitted, rows: list[ImportRow],
                      ) -> tuple[list[RowDecision], dict[str, Doc], dict[str, Doc]]:
        """Decisions in row order, with the devices and users they name, by id."""
        devices: dict[str, Doc] = {}
        users: dict[str, Doc] = {}
        decisions: dict[int, RowDecision] = {}
        by_kinds = sorted(rows, key=lambda r: (r.device_key_kind, r.user_key_kind))
        for (device_kind, user_kind), group in groupby(
                by_kinds, key=lambda r: (r.device_key_kind, r.user_key_kind)):
            same = list(group)  # one pair of kinds per file; grouped to be safe all the same
            found, people = await asyncio.gather(  # reads: no lock, both at once
                self.devices.find_by_keys(chunk.org_id, device_kind,
                                          [r.device_key for r in same]),
                self.users.find(chunk.org_id, user_kind, [r.user_key for r in same]))
            devices |= {doc["_id"]: doc for doc in found.values()}
            users |= {doc["_id"]: doc for doc in people.values()}
            fold = (lambda key: key) if user_kind == "user_id" else str.lower
            device_of = {key: doc["_id"] for key, doc in found.items()}
            user_of = {r.user_key: people[fold(r.user_key)]["_id"] for r in same
                       if fold(r.user_key) in people}
            owner_of = {doc["_id"]: owner for doc in found.values()
                        if (owner := _owner(doc)) is not None}
            for row in same:
                decision = decide_row(row, device_of=device_of, user_of=user_of,
                                      owner_of=owner_of)
                decisions[row.line] = _as_marked(decision, devices, chunk.import_id)
        return [decisions[row.line] for row in rows], devices, users

    def _change(self, chunk: ImportRowsSubmitted, decision: RowDecision, device: Doc,
                user: Doc) -> LinkChange:
        now = self.clock()
        before = device_state(device)
        after = link(before, DeviceOwner(user_id=user["_id"], username=user.get("username"),
                                         linked_at=now, source=LinkSource.CSV))
        outcome = decision.outcome
        audit = AuditRecord(
            org_id=chunk.org_id, audit_id=str(uuid.uuid4()), actor=chunk.requested_by,
            action="relinked_device" if outcome.outcome == "relinked" else "linked_device",
            outcome="succeeded", device_id=before.device_id, user_id=user["_id"],
            detail=f"source=csv import={chunk.import_id} line={outcome.line}",
            occurred_at=now)
        mark = {"import_id": chunk.import_id, "outcome": outcome.outcome,
                "detail": outcome.detail}
        return LinkChange(before, after, audit, mark)


def _owner(doc: Doc | None) -> str | None:
    owner = (doc or {}).get("owner") or {}
    return owner.get("user_id")


def _as_marked(decision: RowDecision, devices: dict[str, Doc], import_id: str) -> RowDecision:
    """A device this very import linked before a crash is reported as the import found it."""
    mark = (devices.get(decision.device_id or "") or {}).get(IMPORT_MARK) or {}
    if decision.outcome.outcome != "unchanged" or mark.get("import_id") != import_id:
        return decision
    outcome = decision.outcome.model_copy(
        update={"outcome": mark["outcome"], "detail": mark.get("detail")})
    return RowDecision(outcome, decision.device_id, decision.user_id)

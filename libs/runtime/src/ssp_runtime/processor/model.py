"""What a partition processor is given and what it gives back: the caller's fold, its outputs,
the commit mode and the settings."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord


class CommitMode(enum.StrEnum):
    """How a batch's outputs and its input offsets reach Kafka together."""

    # One Kafka transaction per input partition and batch: outputs and offsets commit
    # atomically; `read_committed` readers see every output exactly once.
    TRANSACTIONS = "transactions"
    # Outputs first, then the offsets: a crash in between repeats the same outputs (identical
    # key, value and `ssp-input` header), so readers deduplicate by key and version.
    AT_LEAST_ONCE = "at_least_once"


@dataclass(frozen=True)
class Output:
    """One record to produce. `key=None` means the entity id of the folded record."""

    topic: str
    value: bytes | None
    key: str | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


# fold(state, record) -> (new state, outputs). Pure: the same state and record give the same
# answer, which is what makes a replay after a crash repeat (or, under transactions, redo)
# exactly the outputs that were lost. `state` is None for an entity never seen; a new state of
# None deletes the entity. States must be BSON-encodable (they are snapshotted to MongoDB).
Fold = Callable[[Any, ConsumerRecord], tuple[Any, list[Output]]]


@dataclass(frozen=True)
class ProcessorConfig:
    """`name` namespaces the snapshot documents and the transactional ids: one per fold."""

    name: str
    group_id: str
    input_topic: str
    commit: CommitMode = CommitMode.AT_LEAST_ONCE  # why: docs/architecture.md
    # A batch is what `getmany` has buffered, at most `max_records`; when nothing is buffered
    # it waits at most `max_wait_ms`, so a lone record is not held back.
    max_records: int = 500
    max_wait_ms: int = 5
    # Write-behind: dirty chunks go to the database this often.
    flush_interval_ms: int = 300
    # Entities of a partition are snapshotted in this many documents: FerretDB rewrites about
    # 1,000 documents a second, so one document per entity could not follow a busy partition.
    # Fixed for the life of a snapshot (an entity's chunk is derived from it); size it so a
    # chunk holds hundreds to a few thousand entities, far below the 16 MiB document limit
    # (docs/architecture.md): 16 suits ~50,000 devices, a million want ~160 per partition.
    chunks_per_partition: int = 16
    # A killed instance's partitions move after this long without heartbeats (the broker's
    # group.min.session.timeout.ms is 6,000 by default).
    session_timeout_ms: int = 6000
    heartbeat_interval_ms: int = 1000
    client_id: str = ""

    def transactional_id(self, partition: int) -> str:
        """One per input partition (Kafka's first exactly-once design): aiokafka commits
        transactional offsets without the group generation, so the only fence against a
        previous owner still running is that the next owner takes over its transactional id."""
        return f"{self.group_id}-{self.input_topic}-{partition}"

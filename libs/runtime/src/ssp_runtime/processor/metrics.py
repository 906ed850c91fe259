"""What an operator needs to see of a partition processor: how much it folds and commits,
how large its batches run, how long recovery replays, and how far behind its snapshot is."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)
FLUSH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ProcessorMetrics:
    def __init__(self, registry: CollectorRegistry | None) -> None:
        # A private registry when none is given: the processor always counts, and a service
        # that exports metrics passes its own.
        registry = registry if registry is not None else CollectorRegistry()
        self.committed = Counter(
            "ssp_processor_records_committed", "Input records whose batch a partition "
            "processor committed (outputs and offsets), by processor", ["processor"],
            registry=registry)
        self.replayed = Counter(
            "ssp_processor_records_replayed", "Input records folded again on taking over a "
            "partition (between its snapshot's checkpoint and its committed offset)",
            ["processor"], registry=registry)
        self.batch = Histogram(
            "ssp_processor_batch_records", "Records in one committed batch", ["processor"],
            buckets=BATCH_BUCKETS, registry=registry)
        self.flush = Histogram(
            "ssp_processor_snapshot_flush_seconds", "Time to write one partition's dirty "
            "snapshot chunks and checkpoint", ["processor"], buckets=FLUSH_BUCKETS,
            registry=registry)
        self.owned = Gauge(
            "ssp_processor_owned_partitions", "Input partitions this instance owns",
            ["processor"], registry=registry)

"""Partition-owned stream processing: in-memory state per owned partition, batches, outputs
and offsets committed together, and a write-behind snapshot in MongoDB."""

from ssp_runtime.processor.model import CommitMode, Fold, Output, ProcessorConfig
from ssp_runtime.processor.processor import PartitionProcessor

__all__ = ["CommitMode", "Fold", "Output", "PartitionProcessor", "ProcessorConfig"]

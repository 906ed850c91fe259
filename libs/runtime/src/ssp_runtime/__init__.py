"""Shared runtime of the services: settings, Kafka and Mongo wiring, outbox, DLQ, RPC, metrics."""

from ssp_runtime.consuming import Delivery, PermanentError
from ssp_runtime.outbox import outbox_entry, push_outbox, tombstone_entry
from ssp_runtime.service import Service
from ssp_runtime.settings import ServiceSettings

__all__ = ["Delivery", "PermanentError", "Service", "ServiceSettings", "outbox_entry",
           "push_outbox", "tombstone_entry"]

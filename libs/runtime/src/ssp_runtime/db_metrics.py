"""Database round trips as metrics: every command the driver sends (find, update, insert,
findAndModify, getMore, ...), counted and timed by name through PyMongo's command monitoring.

Shows operators which service leans on the database and how long the database takes to
answer, and lets the benchmarks count round trips per portal command instead of estimating
them. The listener runs on the event loop for each command; it only touches counters.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from pymongo import monitoring

# From an indexed read on a quiet database to a collection scan on a loaded one.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class DatabaseMetrics(monitoring.CommandListener):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.commands = Counter(
            "ssp_db_commands", "Database commands sent (one round trip each), by command name "
            "and collection", ["command", "collection"], registry=registry)
        self.failures = Counter(
            "ssp_db_command_failures", "Database commands answered with an error, by command "
            "name", ["command"], registry=registry)
        self.duration = Histogram(
            "ssp_db_command_duration_seconds", "Time until the database answered a command",
            ["command"], buckets=BUCKETS, registry=registry)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        # find, update, insert, delete, aggregate, findAndModify... name their collection;
        # getMore names it under "collection"; others (ping, endSessions) have none.
        target = event.command.get(event.command_name)
        if event.command_name == "getMore":
            target = event.command.get("collection")
        collection = target if isinstance(target, str) else "-"
        self.commands.labels(event.command_name, collection).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self.duration.labels(event.command_name).observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.failures.labels(event.command_name).inc()
        self.duration.labels(event.command_name).observe(event.duration_micros / 1e6)

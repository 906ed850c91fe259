"""Only authorizations the permission-service signed become commands.

Kafka's ACLs should already keep anyone else off `ssp.commands.<family>`; this holds when they
are mis-set. A `CommandAuthorized` from the topic without a valid signature of a trusted key is
refused before anything is stored: it goes to the topic's DLQ (`SignatureRefused` is a
permanent error), is logged and counted (`ssp_authorizations_refused_total{reason}`, which an
alert watches). Device-facing code that queues a command itself never passes here.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter
from ssp_contracts.commands import CommandAuthorized
from ssp_runtime.consuming import Delivery
from ssp_runtime.signing import SignatureRefused, Verifier

log = logging.getLogger(__name__)


class AuthorizationCheck:
    def __init__(self, verifier: Verifier, registry: CollectorRegistry) -> None:
        self.verifier = verifier
        self.refused = Counter(
            "ssp_authorizations_refused",
            "CommandAuthorized records refused for a missing or bad signature, by reason",
            ["reason"], registry=registry)
        for reason in ("unsigned", "unknown_key", "bad_signature"):
            self.refused.labels(reason)  # present at 0, so rate() and alerts see the series

    def require_signed(self, event: CommandAuthorized, delivery: Delivery) -> None:
        """Raises `SignatureRefused` (to the DLQ) unless a trusted key signed the record."""
        try:
            self.verifier.verify(CommandAuthorized.event_type, delivery.value, delivery.headers)
        except SignatureRefused as refused:
            self.refused.labels(refused.reason).inc()
            log.warning("refused an authorization without a valid signature", extra={
                "command_id": event.command_id, "device_id": event.device_id,
                "topic": delivery.topic, "reason": refused.reason})
            raise

"""Command metrics: final statuses by platform, the authorized-to-final time, reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from command_dispatcher.lifecycle import accept, transition
from command_dispatcher.metrics import CommandMetrics
from prometheus_client import CollectorRegistry
from ssp_contracts.commands import CommandAuthorized
from ssp_contracts.enums import Action, CommandStatus, ManagementMode, Platform

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _authorized(action: Action = Action.LOCK) -> CommandAuthorized:
    return CommandAuthorized(
        org_id="acme", command_id="cmd-1", device_id="dev-1", action=action,
        requested_by="u-1", requested_at=T0, platform=Platform.IOS,
        management_mode=ManagementMode.IOS_SUPERVISED, authorized_at=T0)


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_acknowledged_command_counts_once_with_its_latency() -> None:
    registry = CollectorRegistry()
    metrics = CommandMetrics(registry)
    queued = accept(_authorized(), T0)
    metrics.queued(queued)
    sent = transition(queued, CommandStatus.SENT, T0 + timedelta(seconds=1))
    metrics.changed(sent)  # not final: not counted
    done = transition(sent, CommandStatus.ACKNOWLEDGED, T0 + timedelta(seconds=4))
    metrics.changed(done)
    assert _value(registry, "ssp_commands_received_total", platform="ios", action="lock") == 1
    assert _value(registry, "ssp_commands_total", platform="ios", action="lock",
                  status="acknowledged") == 1
    assert _value(registry, "ssp_command_duration_seconds_sum", platform="ios", action="lock",
                  status="acknowledged") == 4.0
    assert _value(registry, "ssp_command_failures_total", platform="ios", status="acknowledged",
                  reason_code="unknown") is None


def test_expiry_and_refusal_count_with_their_reason_code() -> None:
    registry = CollectorRegistry()
    metrics = CommandMetrics(registry)
    expired = transition(accept(_authorized(Action.WIPE), T0), CommandStatus.EXPIRED,
                         T0 + timedelta(days=1), reason_code="device_did_not_answer")
    metrics.changed(expired)
    metrics.refused("android", "locate", CommandStatus.FAILED, "android.unsupported")
    assert _value(registry, "ssp_command_failures_total", platform="ios", status="expired",
                  reason_code="device_did_not_answer") == 1
    assert _value(registry, "ssp_commands_total", platform="android", action="locate",
                  status="failed") == 1

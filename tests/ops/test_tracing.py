"""Tracing: one command is one trace across the processes (gateway HTTP request, the
authorizer in the permission-service, the dispatcher, the device's answer, the status event),
exported by each service's real OTLP exporter to a receiver in this test; logs carry the trace
id beside the command id; without an endpoint nothing is traced."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from ssp_contracts.commands import CommandStatusChanged
from ssp_runtime import tracing
from ssp_runtime.logs import JsonFormatter, correlation_id
from ssp_runtime.outbox import outbox_entry
from ssp_runtime.settings import ServiceSettings

from tests.browser.portal_stack import running_portal
from tests.support.otlp import OtlpReceiver, ReceivedSpan
from tests.support.waiting import eventually

SERVER, PRODUCER, CONSUMER = 2, 4, 5  # OTLP span kinds


@pytest.fixture
def otlp() -> Iterator[OtlpReceiver]:
    """Set up before `services`, so torn down after them: their last spans, flushed while
    they stop, still find the receiver (an exporter would otherwise retry for many seconds)."""
    with OtlpReceiver() as receiver:
        yield receiver


async def test_one_command_is_one_trace_from_the_request_to_the_device_answer(
        otlp, services, bootstrap):
    otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}

    def start(module: str, **env: str):
        return services(module, **env, **otel)

    async with running_portal(start, bootstrap) as demo, \
            httpx.AsyncClient(base_url=demo.url, timeout=30) as http:
        login = await http.post("/api/v1/session", json={
            "username": "alice", "password": demo.password, "org": demo.org})
        assert login.status_code == 200, login.text
        device_id = demo.iphones[0].udid
        resp = await http.post(f"/api/v1/devices/{device_id}/commands",
                               json={"action": "refresh", "params": {}},
                               headers={"X-CSRF-Token": login.json()["csrf_token"]})
        assert resp.status_code == 202, resp.text
        command_id = resp.json()["command_id"]

        async def request_span() -> ReceivedSpan | None:
            return next((s for s in otlp.snapshot() if s.kind == SERVER
                         and s.attributes.get("ssp.command_id") == command_id), None)
        root = await eventually(request_span, timeout_s=30, what="gateway request span")
        assert root.service == "portal-gateway" and root.parent_span_id == ""
        assert "/api/v1/devices/{device_id}/commands" in root.name

        def answered(spans: list[ReceivedSpan]) -> bool:
            return any(s.name == "command acknowledged" for s in spans) and any(
                s.name == "ssp.commands.status publish" and s.service == "command-dispatcher"
                for s in spans)

        # Each process exports a span when it ends, and a parent ends after its children:
        # the trace is complete once every span's parent has arrived too.
        latest: list[ReceivedSpan] = []

        async def whole_trace() -> list[ReceivedSpan] | None:
            latest[:] = otlp.trace(root.trace_id)
            return latest if answered(latest) and not orphans_in(latest) else None
        try:
            spans = await eventually(whole_trace, timeout_s=60, what="whole trace exported")
        except AssertionError:
            spans = latest
        assert answered(spans), [s.name for s in spans]

    orphans = orphans_in(spans)
    assert not orphans, f"spans whose parent is not in the trace: {orphans}"
    by_id = {s.span_id: s for s in spans}

    def path_to_root(span: ReceivedSpan) -> list[tuple[str, str]]:
        steps = []
        while span.parent_span_id:
            steps.append((span.service, span.name))
            span = by_id[span.parent_span_id]
        return [*steps, (span.service, span.name)][::-1]

    [ack] = [s for s in spans if s.name == "command acknowledged"]
    hops = path_to_root(ack)
    services_in_order = [svc for i, (svc, _) in enumerate(hops) if i == 0 or hops[i - 1][0] != svc]
    assert services_in_order == ["portal-gateway", "permission-service", "command-dispatcher"], \
        hops
    assert ("portal-gateway", "ssp.commands.requested publish") in hops
    assert ("permission-service", "ssp.commands.requested process") in hops
    assert ("command-dispatcher", "ssp.commands.apple process") in hops
    assert ack.attributes["ssp.command_id"] == command_id
    consumed = [s for s in spans if s.kind == CONSUMER]
    assert all(s.attributes.get("ssp.correlation_id") == command_id for s in consumed
               if s.name.endswith(" process") and "commands" in s.name), consumed


def orphans_in(spans: list[ReceivedSpan]) -> list[str]:
    ids = {s.span_id for s in spans}
    return [s.name for s in spans if s.parent_span_id and s.parent_span_id not in ids]


def test_log_lines_carry_the_trace_id_beside_the_command_id():
    formatter = JsonFormatter("command-dispatcher")
    span = NonRecordingSpan(SpanContext(trace_id=0x5B8EFFF798038103D269B633813FC60C,
                                        span_id=0xEEE19B7EC3C1B174, is_remote=True,
                                        trace_flags=TraceFlags(TraceFlags.SAMPLED)))
    record = logging.makeLogRecord({"msg": "command sent", "levelname": "INFO"})
    token = correlation_id.set("cmd-1")
    try:
        with trace.use_span(span):
            line = json.loads(formatter.format(record))
            entry = outbox_entry("ssp.commands.status", _status_event())
        outside = json.loads(formatter.format(record))
    finally:
        correlation_id.reset(token)
    assert line["correlation_id"] == "cmd-1"
    assert line["trace_id"] == "5b8efff798038103d269b633813fc60c"
    assert "trace_id" not in outside
    # An outbox entry keeps the trace it was written in, for the relay's later publish.
    assert entry["headers"]["traceparent"] == (
        "00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01")


def test_tracing_is_off_without_an_endpoint(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("SSP_OTEL_ENDPOINT", raising=False)
    assert ServiceSettings().otel_endpoint == ""
    assert tracing.configure_tracing("x", "", "i-1") is False
    assert tracing.current_headers() == {}  # no span, no header
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert ServiceSettings().otel_endpoint == "http://collector:4318"
    assert tracing.traces_url("http://collector:4318/") == "http://collector:4318/v1/traces"


def _status_event() -> CommandStatusChanged:
    return CommandStatusChanged(
        org_id="o", command_id="cmd-1", device_id="d-1", action="refresh", status="sent",
        version=4, requested_by="u-1", occurred_at=datetime.now(UTC))

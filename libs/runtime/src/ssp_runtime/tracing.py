"""OpenTelemetry tracing: off unless an OTLP endpoint is configured.

With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `SSP_OTEL_ENDPOINT`) set, each process sends its spans
over OTLP/HTTP (protobuf) to `<endpoint>/v1/traces`, and one command is one trace: the
gateway's HTTP request, the `ssp.commands.requested` record, the authorizer, the platform
topic, the dispatcher, the device's answer and the status event. The W3C `traceparent` travels
in Kafka headers: FastStream's KafkaTelemetryMiddleware reads it on every consumer, and our own
producers (EventPublisher, the outbox relay, request/reply) write it. An outbox entry keeps the
context it was written in, so the relay's later publish continues the right trace. Without an
endpoint nothing is installed and no span is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)

TRACE_HEADERS = ("traceparent", "tracestate")
_PROPAGATOR = TraceContextTextMapPropagator()  # W3C, whatever OTEL_PROPAGATORS says
_provider: Any = None
tracer = trace.get_tracer("ssp_runtime")


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL of a collector base URL (as OTEL_EXPORTER_OTLP_ENDPOINT)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else endpoint + "/v1/traces"


def configure_tracing(service: str, endpoint: str, instance_id: str) -> bool:
    """Install the SDK with an OTLP exporter once per process; False when tracing is off."""
    global _provider
    if not endpoint:
        return False
    if _provider is not None:
        return True
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({
        "service.name": service, "service.instance.id": instance_id}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(
        endpoint))))
    trace.set_tracer_provider(provider)
    _provider = provider
    log.info("tracing on", extra={"otlp_endpoint": traces_url(endpoint)})
    return True


def enabled() -> bool:
    return _provider is not None


def flush(timeout_ms: int = 5000) -> None:
    """Send what is buffered (at shutdown: the last spans of the process)."""
    if _provider is not None:
        _provider.force_flush(timeout_ms)


def current_headers() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the current span; empty outside any trace."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


def current_trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


def mark(**attributes: str) -> None:
    """Name the work on the current span (the command id, searchable in the trace backend)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes(attributes)


def _context_of(headers: Mapping[str, str]) -> otel_context.Context | None:
    if "traceparent" not in headers:
        return None
    return _PROPAGATOR.extract(dict(headers))


@contextmanager
def producer_span(topic: str, headers: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """A PRODUCER span for one record, child of the trace named in `headers` (a stored outbox
    entry, a dead letter's original) or else of the current span. Yields the trace headers the
    record must carry (empty when there is no trace)."""
    with tracer.start_as_current_span(
            f"{topic} publish", context=_context_of(headers), kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": topic,
                        "messaging.operation": "publish"}):
        yield current_headers()


@contextmanager
def resumed(traceparent: str | None, name: str, **attributes: Any) -> Iterator[Span]:
    """A span for work that belongs to an earlier trace but runs outside it (a device's
    answer, arriving over its own HTTP request): child of the current span when there is one,
    else of the stored `traceparent`."""
    parent = None
    if not trace.get_current_span().get_span_context().is_valid and traceparent:
        parent = _context_of({"traceparent": traceparent})
    with tracer.start_as_current_span(name, context=parent, attributes=attributes) as span:
        yield span

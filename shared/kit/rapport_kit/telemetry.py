"""OpenTelemetry tracing, exported over OTLP when the standard ``OTEL_*`` variables ask for it."""

from __future__ import annotations

import os

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def build_tracer_provider(
    service: str, *, extra_processors: tuple[SpanProcessor, ...] = ()
) -> TracerProvider:
    """A provider per service; OTLP export only when an endpoint is configured.

    https://opentelemetry.io/docs/specs/otel/protocol/exporter/ — ``OTEL_EXPORTER_OTLP_ENDPOINT``,
    ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` and ``OTEL_TRACES_EXPORTER=none`` are honoured.
    """
    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
    )
    if _otlp_configured():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    for processor in extra_processors:
        provider.add_span_processor(processor)
    return provider


def _otlp_configured() -> bool:
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp") == "none":
        return False
    return any(
        os.environ.get(name)
        for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def instrument_mongodb(provider: TracerProvider) -> None:
    """MongoDB commands as child spans (process-wide: pymongo's command monitoring is global).

    Statements are not captured: filters and documents may hold personal data.
    """
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

    instrumentor = PymongoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider, capture_statement=False)

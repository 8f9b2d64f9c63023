"""OpenTelemetry tracing, exported when the standard ``OTEL_*`` variables ask for it.

https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/ —
``OTEL_TRACES_EXPORTER`` chooses ``otlp`` (with ``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``), ``zipkin`` (Zipkin's JSON v2 API at
``OTEL_EXPORTER_ZIPKIN_ENDPOINT``, what the local ``make observe`` runs) or ``none``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes

log = logging.getLogger(__name__)

# Probes and scrapes answer every few seconds; a trace per call would bury the requests' traces.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/livez", "/metrics"})


class SkipBackgroundRoots(Sampler):
    """Samples traces that start with a request or a message; drops those a background poll
    starts (an outbox sweep's or a due-delivery scan's database query: a CLIENT or INTERNAL span
    without a parent) and probes' and scrapes' requests. Work such a poll finds continues the
    trace it was recorded in."""

    def should_sample(  # noqa: PLR0917 — the SDK's Sampler signature
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind in (SpanKind.CLIENT, SpanKind.INTERNAL, None) or _probe(kind, attributes):
            return SamplingResult(Decision.DROP)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "SkipBackgroundRoots"


def _probe(kind: SpanKind, attributes: Attributes) -> bool:
    if kind is not SpanKind.SERVER or not attributes:
        return False
    path = attributes.get("url.path") or attributes.get("http.target")
    return isinstance(path, str) and path.split("?")[0] in UNTRACED_PATHS


class Quiet(SpanExporter):
    """An exporter that drops spans while its collector is away, saying so once per outage
    (the SDK logs a traceback per failed batch, every few seconds)."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter
        self.failing = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.exporter.export(spans)
        except Exception as error:
            if not self.failing:
                log.warning(
                    "trace export failing; spans dropped",
                    extra={"fields": {"error": type(error).__name__}},
                )
            self.failing = True
            return SpanExportResult.FAILURE
        self.failing = False
        return result

    def shutdown(self) -> None:
        self.exporter.shutdown()


def build_tracer_provider(
    service: str, *, extra_processors: tuple[SpanProcessor, ...] = ()
) -> TracerProvider:
    """A provider per service; export only when the environment configures an exporter."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)}),
        sampler=ParentBased(root=SkipBackgroundRoots()),
    )
    if (exporter := configured_exporter()) is not None:
        provider.add_span_processor(BatchSpanProcessor(Quiet(exporter)))
    for processor in extra_processors:
        provider.add_span_processor(processor)
    return provider


def configured_exporter() -> SpanExporter | None:
    chosen = os.environ.get("OTEL_TRACES_EXPORTER", "otlp")
    if chosen == "zipkin":
        from opentelemetry.exporter.zipkin.json import ZipkinExporter

        return ZipkinExporter()  # OTEL_EXPORTER_ZIPKIN_ENDPOINT, default localhost:9411
    if chosen == "otlp" and any(
        os.environ.get(name)
        for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    return None


def instrument_mongodb(provider: TracerProvider) -> None:
    """MongoDB commands as child spans (process-wide: pymongo's command monitoring is global).

    Statements are not captured: filters and documents may hold personal data.
    """
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

    instrumentor = PymongoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider, capture_statement=False)

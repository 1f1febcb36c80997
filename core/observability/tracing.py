"""OpenTelemetry traces, only when OTEL_EXPORTER_OTLP_ENDPOINT is set (the optional extra ``parley[otel]``).

A span per message (``parley.message``), the model call as its child following the GenAI semantic
conventions (``chat <model>``: ``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.model``,
``gen_ai.request.max_tokens``, ``gen_ai.usage.input_tokens`` / ``output_tokens``), and the standard
instrumentations' spans (SQLAlchemy: each statement; aiohttp client: each HTTP call, which is how the openai
SDK, slack_sdk and discord.py talk) under whichever of them is current.  Nothing here is imported when the
endpoint is not set: the core then holds ``NoTracer``.  No message text, user or channel goes in a span.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog

from core.config import Settings, SettingsError

log = structlog.get_logger(__name__)

MISSING_EXTRA = (
    "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: pip install 'parley[otel]' "
    "(or unset OTEL_EXPORTER_OTLP_ENDPOINT)."
)


class OtelTracer:
    """The ``Tracer`` port over an OpenTelemetry tracer."""

    def __init__(self, tracer: Any, *, provider_name: str) -> None:
        from opentelemetry.trace import SpanKind

        self._tracer = tracer
        self._client = SpanKind.CLIENT
        self._provider_name = provider_name

    @contextmanager
    def message_span(self, *, platform: str) -> Iterator[Any]:
        with self._tracer.start_as_current_span("parley.message", attributes={"parley.platform": platform}) as span:
            yield span

    @contextmanager
    def llm_span(self, *, model: str, max_tokens: int, temperature: float | None) -> Iterator[Any]:
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": self._provider_name,
            "gen_ai.request.model": model, "gen_ai.request.max_tokens": max_tokens,
        }
        if temperature is not None:
            attributes["gen_ai.request.temperature"] = temperature
        with self._tracer.start_as_current_span(f"chat {model}", kind=self._client, attributes=attributes) as span:
            yield span


@dataclass
class Tracing:
    """What ``start_tracing`` set up: the core's tracer, and the provider to flush and shut down at the end."""

    tracer: OtelTracer
    provider: Any
    instrumentors: list[Any] = field(default_factory=list)

    def shutdown(self) -> None:
        for instrumentor in self.instrumentors:
            instrumentor.uninstrument()
        self.provider.shutdown()  # flushes what is batched


def start_tracing(
    settings: Settings, *, service_name: str, exporter: Any = None, instrument: bool = True
) -> Tracing | None:
    """None without OTEL_EXPORTER_OTLP_ENDPOINT (nothing imported).  ``exporter`` replaces the OTLP one
    (a test's in-memory exporter).  Raises SettingsError (one line) when the extra is missing."""
    endpoint = settings.otel_exporter_otlp_endpoint
    if not endpoint and exporter is None:
        return None
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError:
        raise SettingsError(MISSING_EXTRA) from None
    provider = TracerProvider(resource=Resource.create({"service.name": settings.otel_service_name or service_name}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=_traces_url(endpoint))))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    log.info("tracing.started", endpoint=endpoint or "(in memory)", service=settings.otel_service_name or service_name)
    llm_name = "openai" if settings.resolved_llm_provider == "openai" else "llama.cpp"
    tracing = Tracing(tracer=OtelTracer(provider.get_tracer("parley"), provider_name=llm_name), provider=provider)
    if instrument:
        _instrument_http(tracing)
    return tracing


def instrument_database(tracing: Tracing | None, database: Any) -> None:
    """SQLAlchemy's spans for every engine of ``database`` (each statement), under the current span."""
    if tracing is None:
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    instrumentor = SQLAlchemyInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        # skip_dep_check: the instrumentation declares SQLAlchemy < 2.1; it uses only the engine events, which 2.1
        # keeps (tests/infra/test_tracing.py shows its spans).
        instrumentor.instrument(
            engines=list(database.sync_engines), tracer_provider=tracing.provider, skip_dep_check=True
        )
        tracing.instrumentors.append(instrumentor)


def _instrument_http(tracing: Tracing) -> None:
    """Outgoing HTTP (aiohttp: the openai SDK's transport, slack_sdk, discord.py)."""
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor

    instrumentor = AioHttpClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracing.provider)
        tracing.instrumentors.append(instrumentor)


def _traces_url(endpoint: str) -> str:
    """OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL; the HTTP exporter, given one, wants the path."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else endpoint + "/v1/traces"

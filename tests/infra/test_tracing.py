"""OpenTelemetry traces (issue 21): a span per message, the model call its child with the GenAI attributes,
the database and HTTP spans of the standard instrumentations beneath; off, nothing of OpenTelemetry loads.

The core runs for real (``start_core``: SQLite, the real ``openai`` client against the stand-in server) with
an in-memory span exporter in place of the OTLP one.
"""

from __future__ import annotations

import ast
from pathlib import Path

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from core.bootstrap import start_core
from core.config import load_settings
from core.messages import ConversationKey, IncomingMessage, Outcome, OutcomeKind
from core.observability.no_tracing import NoTracer
from core.observability.tracing import start_tracing
from tests.standins.openai_server import OpenAIStandIn

ROOT = Path(__file__).resolve().parents[2]
TEXT = "what is the capital of Portugal, secretly"


async def test_a_message_is_one_trace_with_the_llm_call_and_the_database_and_http_spans_under_it(tmp_path):
    exporter = InMemorySpanExporter()
    async with OpenAIStandIn() as llm:
        settings = load_settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'traced.db'}", openai_base_url=llm.base_url,
            openai_api_key="test-key", llm_max_retries=0, moderation_enabled=False,
        )
        running = await start_core(settings, span_exporter=exporter)
        try:
            message = IncomingMessage(
                event_id="e-traced", key=ConversationKey("slack", "T1", "D1"), user="U-TRACED", text=TEXT, is_dm=True
            )
            outcome = [event async for event in running.core.chat.handle(message)][-1]
        finally:
            await running.aclose()
    assert isinstance(outcome, Outcome) and outcome.kind is OutcomeKind.ANSWERED

    spans = exporter.get_finished_spans()
    (message_span,) = [s for s in spans if s.name == "parley.message"]
    assert message_span.attributes["parley.platform"] == "slack"
    assert message_span.attributes["parley.outcome"] == "answered"
    (chat,) = [s for s in spans if s.name == "chat gpt-4o-mini"]
    assert chat.parent is not None and chat.parent.span_id == message_span.context.span_id
    assert chat.attributes["gen_ai.operation.name"] == "chat"
    assert chat.attributes["gen_ai.provider.name"] == "openai"
    assert chat.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert chat.attributes["gen_ai.usage.input_tokens"] > 0 and chat.attributes["gen_ai.usage.output_tokens"] > 0

    in_trace = [s for s in spans if s.context.trace_id == message_span.context.trace_id]
    http = [s for s in in_trace if "POST" in (s.attributes.get("http.request.method"), s.attributes.get("http.method"))]
    assert http and all(s.parent.span_id == chat.context.span_id for s in http)  # the openai SDK's request
    database = [s for s in in_trace if s.attributes.get("db.system") == "sqlite"]
    assert database, f"no SQL spans under the message: {[s.name for s in in_trace]}"
    for span in spans:
        for value in span.attributes.values():
            assert TEXT not in str(value) and "U-TRACED" not in str(value)


async def test_without_an_endpoint_nothing_is_traced_and_parley_imports_nothing_of_opentelemetry(tmp_path):
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}", openai_api_key="k")
    assert start_tracing(settings, service_name="parley") is None
    running = await start_core(settings)
    try:
        assert running.tracing is None
        assert isinstance(running.core.chat._tracer, NoTracer)  # one shared do-nothing span per message
    finally:
        await running.aclose()
    # Parley's own modules import OpenTelemetry only inside start_tracing (redis-py may import it on its own).
    for path in (ROOT / "core").rglob("*.py"):
        top_level = ast.parse(path.read_text()).body
        imported = [n for node in top_level if isinstance(node, (ast.Import, ast.ImportFrom))
                    for n in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""])]
        assert not [name for name in imported if name.startswith("opentelemetry")], path

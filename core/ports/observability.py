"""Metrics and traces (``core/observability``)."""

from __future__ import annotations

from contextlib import AbstractContextManager

from typing import Protocol


class Metrics(Protocol):
    """What the core counts for the operator's dashboards (``core/observability``: Prometheus).

    Plain calls, no awaits, a counter or two each; labels are small closed sets (platform, outcome, model,
    scope, filter, action): never a person, a channel or any text.  ``NoMetrics`` is the default.
    """

    def message_finished(
        self, *, platform: str, outcome: str, seconds: float | None = None, first_text_seconds: float | None = None
    ) -> None:
        """A message's one outcome (``OutcomeKind`` value); for an answer stream, how long until it and until its
        first text."""
        ...

    def llm_request(self, *, model: str, outcome: str) -> None:
        """One call to the model for an answer: ok | error | busy | stopped (a filter or the reader ended it)."""
        ...

    def llm_usage(self, *, model: str, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None: ...

    def refused(self, *, kind: str, scope: str) -> None:
        """A rate-limit or budget refusal (``kind`` rate_limit | budget; ``scope`` user, channel, workspace …)."""
        ...

    def filter_decision(self, *, filter: str, direction: str, action: str) -> None: ...

    def answers_in_flight(self, change: int) -> None: ...

    def llm_queue_depth(self, waiting: int) -> None: ...

    def inbox_pending(self, messages: int) -> None:
        """This process's unfinished messages, as counted at its last lease renewal."""
        ...


class Span(Protocol):
    def set_attribute(self, key: str, value: str | int | float | bool) -> None: ...


class Tracer(Protocol):
    """Traces (OpenTelemetry, ``core/observability/tracing.py``) when OTEL_EXPORTER_OTLP_ENDPOINT is set;
    ``NoTracer`` otherwise.  Each span is the current one while its block runs, so the database and HTTP
    spans of the standard instrumentations nest under it."""

    def message_span(self, *, platform: str) -> AbstractContextManager[Span]: ...

    def llm_span(self, *, model: str, max_tokens: int, temperature: float | None) -> AbstractContextManager[Span]:
        """One call to the model, a child of the message's span (GenAI semantic conventions)."""
        ...

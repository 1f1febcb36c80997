"""The ``Metrics`` port on prometheus-client, in a registry of this process's own.

One process, one port: every Parley process (a Slack or Discord bot) is one
asyncio process that serves its own ``/metrics`` (beside ``/healthz`` and
``/readyz``), and Prometheus scrapes each of them; totals across processes are
``sum(...)`` in PromQL.  Nothing here uses prometheus-client's global registry
or its multiprocess mode (which is for several workers forked behind one port,
which Parley never does), so two cores in one test process count apart.

Labels are closed sets: platform, outcome, model (the models a persona may
use), kind and scope of a refusal, filter, direction and action.  Never a
user, a channel, a workspace or any text.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import PlatformCollector, ProcessCollector

# Seconds: from a few tens of milliseconds (a refusal) to the LLM's total deadline.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0, 300.0)
FIRST_TEXT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


class PrometheusMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry = registry or CollectorRegistry()
        self._children: dict[tuple, object] = {}
        ProcessCollector(registry=registry)  # process_cpu_seconds_total, resident memory, start time
        PlatformCollector(registry=registry)
        self._messages = Counter(
            "parley_messages", "Messages by platform and outcome (answered, ignored, invalid, limited, blocked, failed).",
            ["platform", "outcome"], registry=registry,
        )
        self._duration = Histogram(
            "parley_message_duration_seconds", "From a message's arrival to its outcome (answer streams only).",
            ["platform", "outcome"], buckets=LATENCY_BUCKETS, registry=registry,
        )
        self._first_text = Histogram(
            "parley_time_to_first_text_seconds", "From a message's arrival to the first text of its answer.",
            ["platform"], buckets=FIRST_TEXT_BUCKETS, registry=registry,
        )
        self._llm_requests = Counter(
            "parley_llm_requests", "Calls to the model for an answer, by model and outcome (ok, error, busy, stopped).",
            ["model", "outcome"], registry=registry,
        )
        self._tokens = Counter(
            "parley_llm_tokens", "Tokens used, by model and kind (prompt, completion).", ["model", "kind"],
            registry=registry,
        )
        self._cost = Counter(
            "parley_llm_cost_usd", "Estimated cost in US dollars (MODEL_PRICES), by model.", ["model"],
            registry=registry,
        )
        self._refusals = Counter(
            "parley_refusals", "Rate-limit and budget refusals, by kind (rate_limit, budget) and scope.",
            ["kind", "scope"], registry=registry,
        )
        self._filters = Counter(
            "parley_filter_decisions", "What the content filters did, by filter, direction and action.",
            ["filter", "direction", "action"], registry=registry,
        )
        self._in_flight = Gauge("parley_answers_in_flight", "Answers being generated or shown now.", registry=registry)
        self._queue = Gauge(
            "parley_llm_queue_depth", "Calls waiting for an LLM slot (LLM_MAX_CONCURRENCY).", registry=registry
        )
        self._pending = Gauge(
            "parley_inbox_pending_messages",
            "Messages this process owns and has not finished, as of its last lease renewal.", registry=registry,
        )

    # --- the Metrics port (each labelled child looked up once, then kept: a dict lookup per event) ---------

    def message_finished(
        self, *, platform: str, outcome: str, seconds: float | None = None, first_text_seconds: float | None = None
    ) -> None:
        key = (platform, outcome)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (self._messages.labels(*key), self._duration.labels(*key))
        children[0].inc()
        if seconds is not None:
            children[1].observe(seconds)
        if first_text_seconds is not None:
            self._child(self._first_text, platform).observe(first_text_seconds)

    def llm_request(self, *, model: str, outcome: str) -> None:
        self._child(self._llm_requests, model, outcome).inc()

    def llm_usage(self, *, model: str, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
        self._child(self._tokens, model, "prompt").inc(prompt_tokens)
        self._child(self._tokens, model, "completion").inc(completion_tokens)
        if cost_usd:
            self._child(self._cost, model).inc(cost_usd)

    def refused(self, *, kind: str, scope: str) -> None:
        self._child(self._refusals, kind, scope).inc()

    def filter_decision(self, *, filter: str, direction: str, action: str) -> None:
        self._child(self._filters, filter, direction, action).inc()

    def answers_in_flight(self, change: int) -> None:
        self._in_flight.inc(change)

    def llm_queue_depth(self, waiting: int) -> None:
        self._queue.set(waiting)

    def inbox_pending(self, messages: int) -> None:
        self._pending.set(messages)

    def _child(self, metric, *labels: str):
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    # --- the scrape ------------------------------------------------------------

    def exposition(self) -> tuple[bytes, str]:
        """The text format of every metric of this process, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

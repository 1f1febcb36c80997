"""The ``Metrics`` port doing nothing: the core's default, for tests and tools that count nothing."""

from __future__ import annotations


class NoMetrics:
    def message_finished(
        self, *, platform: str, outcome: str, seconds: float | None = None, first_text_seconds: float | None = None
    ) -> None:
        pass

    def llm_request(self, *, model: str, outcome: str) -> None:
        pass

    def llm_usage(self, *, model: str, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
        pass

    def refused(self, *, kind: str, scope: str) -> None:
        pass

    def filter_decision(self, *, filter: str, direction: str, action: str) -> None:
        pass

    def answers_in_flight(self, change: int) -> None:
        pass

    def llm_queue_depth(self, waiting: int) -> None:
        pass

    def inbox_pending(self, messages: int) -> None:
        pass

"""The ``Tracer`` port doing nothing (no OTEL_EXPORTER_OTLP_ENDPOINT): one shared object, nothing imported."""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType


class _NoSpan(AbstractContextManager):
    def __enter__(self) -> "_NoSpan":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def set_attribute(self, key: str, value: str | int | float | bool) -> None:
        pass


NO_SPAN = _NoSpan()


class NoTracer:
    def message_span(self, *, platform: str) -> _NoSpan:
        return NO_SPAN

    def llm_span(self, *, model: str, max_tokens: int, temperature: float | None) -> _NoSpan:
        return NO_SPAN

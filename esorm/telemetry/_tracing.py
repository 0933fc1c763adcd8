"""OpenTelemetry spans when a tracer provider is set up, and nothing at all otherwise."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

try:
    from opentelemetry import trace
except ModuleNotFoundError:  # pragma: no cover - the API comes with elasticsearch 9
    trace = None  # type: ignore[assignment]

TRACER_NAME = "esorm"
"""The instrumentation scope of esorm's spans."""

_OFF = os.environ.get("ESORM_TRACING", "").strip().lower() in ("0", "off", "false", "no")


@contextlib.contextmanager
def span(name: str, **attributes: Any) -> Iterator[Any | None]:
    """A span named `name` around the block (the current span inside it), or None when
    nothing records spans. Attributes with a None value are left out."""
    if _OFF or trace is None or isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        yield None
        return
    tracer = trace.get_tracer(TRACER_NAME)
    shown = {key: value for key, value in attributes.items() if value is not None}
    with tracer.start_as_current_span(name, attributes=shown) as current:
        yield current

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


_NOTHING: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
"""What `span` gives while nothing records spans: one shared object, no work."""


def span(name: str, **attributes: Any) -> contextlib.AbstractContextManager[Any | None]:
    """A span named `name` around the block (the current span inside it), or None when
    nothing records spans. Attributes with a None value are left out."""
    if _OFF or trace is None or isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return _NOTHING
    return _recorded(name, attributes)


@contextlib.contextmanager
def _recorded(name: str, attributes: dict[str, Any]) -> Iterator[Any]:
    assert trace is not None
    tracer = trace.get_tracer(TRACER_NAME)
    shown = {key: value for key, value in attributes.items() if value is not None}
    with tracer.start_as_current_span(name, attributes=shown) as current:
        yield current

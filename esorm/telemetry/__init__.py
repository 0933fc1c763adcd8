"""What esorm tells about its work: the `esorm` logger, and OpenTelemetry spans.

Spans (`esorm.commit`, `esorm.search`, `esorm.relations`, ...) become the parents of the
spans elasticsearch-py emits for each request. They cost nothing while no tracer provider
is set up (the OpenTelemetry API alone records nothing) or when `opentelemetry-api` is
not installed; `ESORM_TRACING=off` turns them off entirely.
"""

from esorm.telemetry._logging import logger
from esorm.telemetry._tracing import TRACER_NAME, span

__all__ = ["TRACER_NAME", "logger", "span"]

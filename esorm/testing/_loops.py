"""Which event loop pytest-asyncio runs a test on, read from its public marker and option."""

from __future__ import annotations

from typing import Literal

import pytest

LoopScope = Literal["function", "class", "module", "package", "session"]
LOOP_SCOPES: tuple[LoopScope, ...] = ("function", "class", "module", "package", "session")
_TEST_LOOP_OPTION = "asyncio_default_test_loop_scope"


def loop_scope_of(item: pytest.Item) -> LoopScope:
    """The loop scope of ``item``: its ``asyncio`` marker's, else the configured default.

    Mirrors pytest-asyncio: ``@pytest.mark.asyncio(loop_scope=...)`` wins, then
    ``asyncio_default_test_loop_scope`` (pytest-asyncio 0.26+), then ``function``.
    """
    marker = item.get_closest_marker("asyncio")
    chosen = marker.kwargs.get("loop_scope") or marker.kwargs.get("scope") if marker else None
    if not chosen:
        try:
            chosen = item.config.getini(_TEST_LOOP_OPTION)
        except ValueError:  # a pytest-asyncio without the option
            chosen = None
    for scope in LOOP_SCOPES:
        if chosen == scope:
            return scope
    if chosen:
        raise pytest.UsageError(f"{item.nodeid}: unknown asyncio loop scope {chosen!r}")
    return "function"

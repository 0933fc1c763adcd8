"""`_source` filtering as Elasticsearch does it: include and exclude patterns on dotted paths.

A path is kept when an include pattern matches it whole (with everything below it) or
continues below it (then only the matching parts are kept); an exclude pattern that
matches a path removes it with everything below. `*` matches any characters, dots too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from esorm.testing.memory._errors import BadRequest

_State = frozenset[tuple[int, int]]


class _Patterns:
    """Glob patterns run as one automaton over a path, character by character."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = [str(p) for p in patterns]
        self.start = self._close({(i, 0) for i in range(len(self.patterns))})

    def _close(self, states: set[tuple[int, int]]) -> _State:
        stack = list(states)
        while stack:
            i, pos = stack.pop()
            pattern = self.patterns[i]
            if pos < len(pattern) and pattern[pos] == "*" and (i, pos + 1) not in states:
                states.add((i, pos + 1))
                stack.append((i, pos + 1))
        return frozenset(states)

    def step(self, states: _State, text: str) -> _State:
        for char in text:
            moved: set[tuple[int, int]] = set()
            for i, pos in states:
                pattern = self.patterns[i]
                if pos < len(pattern):
                    if pattern[pos] == "*":
                        moved.add((i, pos))
                    elif pattern[pos] == char:
                        moved.add((i, pos + 1))
            if not moved:
                return frozenset()
            states = self._close(moved)
        return states

    def accepts(self, states: _State) -> bool:
        return any(pos == len(self.patterns[i]) for i, pos in states)


class SourceFilter:
    """A request's `_source` option: whether to return the source, and which parts."""

    def __init__(self, spec: Any) -> None:
        self.enabled = spec is not False
        includes, excludes = _lists(spec)
        self.includes = _Patterns(includes) if includes else None
        self.excludes = _Patterns(excludes) if excludes else None

    @property
    def whole(self) -> bool:
        """True when the whole source is returned unchanged."""
        return self.enabled and self.includes is None and self.excludes is None

    def apply(self, source: dict[str, Any]) -> dict[str, Any]:
        """The filtered copy of a (freshly decoded) source."""
        if self.whole:
            return source
        inc = self.includes.start if self.includes is not None else None
        exc = self.excludes.start if self.excludes is not None else frozenset()
        return self._map(source, inc, exc)

    def _map(self, source: Mapping[str, Any], inc: _State | None, exc: _State) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in source.items():
            inc_k = None if inc is None else self._step_inc(inc, key)
            if inc is not None and not inc_k:
                continue
            exc_k = self._step_exc(exc, key)
            if self.excludes is not None and self.excludes.accepts(exc_k):
                continue
            whole = inc_k is None or (self.includes is not None and self.includes.accepts(inc_k))
            if isinstance(value, Mapping):
                below = None if whole else self._step_inc(inc_k or frozenset(), ".")
                if below is not None and not below:
                    continue
                kept = self._map(value, below, self._step_exc(exc_k, "."))
                if whole or kept:
                    out[key] = kept
            elif isinstance(value, list):
                items = self._list(value, inc_k, exc_k, whole)
                if whole or items:
                    out[key] = items
            elif whole:
                out[key] = value
        return out

    def _list(self, items: list[Any], inc: _State | None, exc: _State, whole: bool) -> list[Any]:
        out: list[Any] = []
        for item in items:
            if isinstance(item, Mapping):
                below = None if whole else self._step_inc(inc or frozenset(), ".")
                if below is not None and not below:
                    continue
                kept = self._map(item, below, self._step_exc(exc, "."))
                if kept:
                    out.append(kept)
            elif isinstance(item, list):
                nested = self._list(item, inc, exc, whole)
                if nested:
                    out.append(nested)
            elif whole:
                out.append(item)
        return out

    def _step_inc(self, states: _State, text: str) -> _State:
        assert self.includes is not None
        return self.includes.step(states, text)

    def _step_exc(self, states: _State, text: str) -> _State:
        return self.excludes.step(states, text) if self.excludes is not None else frozenset()


def _lists(spec: Any) -> tuple[list[str], list[str]]:
    if spec is None or isinstance(spec, bool):
        return [], []
    if isinstance(spec, str):
        return [spec], []
    if isinstance(spec, list | tuple):
        return [str(s) for s in spec], []
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"includes", "include", "excludes", "exclude"}
        if unknown:
            raise BadRequest("parsing_exception", f"unknown _source keys {sorted(unknown)}")
        includes = spec.get("includes", spec.get("include")) or []
        excludes = spec.get("excludes", spec.get("exclude")) or []
        return _names(includes), _names(excludes)
    raise BadRequest("parsing_exception", f"[_source] cannot be {spec!r}")


def _names(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]

"""The Mustache that watch templates use, rendered locally; everything else refused by name.

Supported: `{{dotted.path}}` variables (list items by number), `{{{raw}}}` and `{{& raw}}`,
comments, and Elasticsearch's `{{#toJson}}path{{/toJson}}`, `{{#join}}path{{/join}}` and
`{{#url}}...{{/url}}` lambdas. Refused when the runner starts: sections and inverted
sections over values, partials, delimiter changes, `join` with a delimiter. As in
Watcher, text templates insert values as they are, a `__json__::` prefix makes `{{x}}`
JSON-escape its value, and search request bodies are always rendered as JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from esorm.watchers._errors import NotRunnableLocallyError
from esorm.watchers._paths import MISSING, java_string, resolve

_TAG = re.compile(r"\{\{\{\s*(.*?)\s*\}\}\}|\{\{\s*(.*?)\s*\}\}", re.DOTALL)
_JSON_PREFIX = "__json__::"
_LAMBDAS = ("toJson", "join", "url")
_SUPPORTED = "{{dotted.path}} variables, {{{raw}}} values and the toJson, join and url lambdas"


@dataclass(frozen=True, slots=True)
class _Var:
    path: str
    raw: bool


@dataclass(frozen=True, slots=True)
class _Lambda:
    name: str
    inner: str | Template


class Template:
    """A compiled template; `render(model)` fills it from `{"ctx": {...}}`."""

    __slots__ = ("_json", "_parts", "source")

    def __init__(self, source: str, where: str, *, json_escape: bool = False) -> None:
        self.source = source
        if source.startswith(_JSON_PREFIX):
            source, json_escape = source[len(_JSON_PREFIX) :], True
        self._json = json_escape
        self._parts = _compile(source, where)

    def render(self, model: Mapping[str, Any]) -> str:
        """The text, each variable replaced by its value (missing ones by nothing)."""
        out: list[str] = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, _Var):
                text = java_string(resolve(part.path, model))
                out.append(text if part.raw or not self._json else _json_escape(text))
            else:
                out.append(_run_lambda(part, model))
        return "".join(out)

    @property
    def is_static(self) -> bool:
        """True when the template holds no tag at all."""
        return all(isinstance(p, str) for p in self._parts)


def render_strings(value: Any, model: Mapping[str, Any], where: str) -> Any:
    """A JSON-like value with every string rendered as a JSON template (search bodies)."""
    if isinstance(value, str):
        return Template(value, where, json_escape=True).render(model) if "{{" in value else value
    if isinstance(value, Mapping):
        return {k: render_strings(v, model, where) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render_strings(v, model, where) for v in value]
    return value


def check_strings(value: Any, where: str) -> None:
    """Compile every template string inside a value, so refusals happen at start."""
    if isinstance(value, str):
        if "{{" in value:
            Template(value, where)
    elif isinstance(value, Mapping):
        for item in value.values():
            check_strings(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            check_strings(item, where)


def _compile(source: str, where: str) -> list[str | _Var | _Lambda]:
    parts: list[str | _Var | _Lambda] = []
    position = 0
    while (match := _TAG.search(source, position)) is not None:
        if match.start() > position:
            parts.append(source[position : match.start()])
        position = match.end()
        if match.group(1) is not None:
            parts.append(_Var(_name(match.group(1), match.group(0), where), raw=True))
            continue
        body = match.group(2)
        sigil = body[:1]
        if sigil == "!":
            continue
        if sigil == "&":
            parts.append(_Var(_name(body[1:].strip(), match.group(0), where), raw=True))
        elif sigil == "#" and body[1:].strip() in _LAMBDAS:
            name = body[1:].strip()
            closing = re.compile(r"\{\{\s*/\s*" + re.escape(name) + r"\s*\}\}")
            end = closing.search(source, position)
            if end is None:
                raise _refused(where, match.group(0), f"the {name} lambda is never closed")
            inner = source[position : end.start()]
            parts.append(_Lambda(name, _lambda_inner(name, inner, match.group(0), where)))
            position = end.end()
        elif sigil in ("#", "^", "/", ">", "=", "<", "$"):
            raise _refused(where, match.group(0), _describe(sigil, body))
        else:
            parts.append(_Var(_name(body, match.group(0), where), raw=False))
    if position < len(source):
        parts.append(source[position:])
    return parts


def _lambda_inner(name: str, inner: str, tag: str, where: str) -> str | Template:
    if name == "url":
        return Template(inner, where)
    path = inner.strip()
    if not path or "{{" in path:
        raise _refused(where, tag, f"{{{{#{name}}}}} takes a dotted path, e.g. ctx.payload")
    return path


def _name(name: str, tag: str, where: str) -> str:
    if not name or any(c.isspace() for c in name) or name.startswith(".") or ".." in name:
        raise _refused(where, tag, "a variable needs a dotted path such as ctx.payload.hits.total")
    return name


def _describe(sigil: str, body: str) -> str:
    name = body[1:].strip()
    if sigil == "#":
        if name.split(" ", 1)[0] in _LAMBDAS:
            return f"the {name.split(' ', 1)[0]} lambda with options ({name!r})"
        return f"the section {{{{#{name}}}}}"
    return {
        "^": f"the inverted section {{{{^{name}}}}}",
        "/": f"the closing tag {{{{/{name}}}}} without its section",
        ">": f"the partial {{{{>{name}}}}}",
        "=": "a delimiter change",
    }.get(sigil, f"the tag {{{{{body}}}}}")


def _refused(where: str, tag: str, problem: str) -> NotRunnableLocallyError:
    return NotRunnableLocallyError(
        f"{where}: the Mustache tag {tag!r} cannot be rendered locally: {problem}; the local "
        f"runner renders {_SUPPORTED} (run this watch with Watcher for full Mustache)"
    )


def _run_lambda(part: _Lambda, model: Mapping[str, Any]) -> str:
    if isinstance(part.inner, Template):  # url
        return quote(part.inner.render(model), safe="")
    value = resolve(part.inner, model)
    if part.name == "toJson":
        if value is MISSING:
            return ""
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=java_string)
    if value is MISSING or value is None:
        return ""
    items = value if isinstance(value, list | tuple) else [value]
    return ",".join(java_string(item) for item in items)


def _json_escape(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]

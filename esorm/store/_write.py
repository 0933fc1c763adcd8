"""One bulk item as a value, and its NDJSON form on the wire."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Literal

WriteAction = Literal["create", "index", "update", "delete"]
VersionType = Literal["external", "external_gte"]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(slots=True, eq=False)
class Write:
    """What to do to one document: the action, where, the guard, and the body to send.

    `source` is the JSON line that follows the action line: the document for
    `create`/`index`, the update body for `update`, None for `delete`. A write is
    guarded by `if_seq_no`/`if_primary_term` (optimistic concurrency) or by an
    external `version` (copies that must never overwrite newer data), never both.
    """

    action: WriteAction
    index: str
    id: str
    source: bytes | None = None
    routing: str | None = None
    if_seq_no: int | None = None
    if_primary_term: int | None = None
    version: int | None = None
    version_type: VersionType | None = None
    marker: str | None = None
    """The id of this write, which its source carries in `WRITES_FIELD` (None: it carries
    none, so only its guard can tell whether it was applied)."""
    _line: bytes | None = field(default=None, init=False, repr=False)

    @property
    def guarded(self) -> bool:
        """True when the server checks a version before applying it."""
        return self.if_seq_no is not None or self.version is not None

    @property
    def size(self) -> int:
        """Bytes this write adds to a bulk request."""
        line = self._line
        if line is None:
            line = self._line = action_line(self)
        return len(line) if self.source is None else len(line) + len(self.source) + 1

    def ndjson(self) -> bytes:
        """The action line, and the source line when there is one."""
        return b"".join(self.lines())

    def lines(self) -> tuple[bytes, ...]:
        """The pieces of `ndjson`, for joining many writes at once without copies (the
        action line is built once: a write is not changed after it was planned)."""
        line = self._line
        if line is None:
            line = self._line = action_line(self)
        return (line,) if self.source is None else (line, self.source, b"\n")


def action_line(write: Write) -> bytes:
    """The bulk action line, built from pieces: a dict through the JSON encoder costs more."""
    parts = [_action_prefix(write.action, write.index), _json_string(write.id)]
    if write.routing is not None:
        parts.append(',"routing":')
        parts.append(_json_string(write.routing))
    if write.if_seq_no is not None and write.if_primary_term is not None:
        parts.append(
            f',"if_seq_no":{int(write.if_seq_no)},"if_primary_term":{int(write.if_primary_term)}'
        )
    elif write.version is not None:
        kind = write.version_type or "external"
        parts.append(f',"version":{int(write.version)},"version_type":"{kind}"')
    parts.append("}}\n")
    return "".join(parts).encode()


@functools.lru_cache(maxsize=1024)
def _action_prefix(action: WriteAction, index: str) -> str:
    return f'{{"{action}":{{"_index":{_dumps(index)},"_id":'


def _json_string(value: str) -> str:
    """`value` as a JSON string; plain printable ASCII needs no escaping."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return _dumps(value)

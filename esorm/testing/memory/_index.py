"""One index held in memory: its mapping, its documents in index order, its sequence numbers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from esorm._internal.index_settings import int_setting
from esorm.testing.memory._catalog import Catalog
from esorm.testing.memory._parse import Values
from esorm.testing.memory._types import JsonFloat

PRIMARY_TERM = 1
"""Every index keeps its first primary: no failover happens in memory."""


@dataclass(frozen=True, slots=True)
class Document:
    """One stored document version: the source as written and what Elasticsearch tracks.

    `order` is its place in index order (Lucene's doc id on a one-shard index): every
    write of a document puts it last, as a new Lucene document does.
    """

    id: str
    source: bytes
    seq_no: int
    version: int
    routing: str | None
    order: int
    values: Values = field(repr=False)

    @property
    def primary_term(self) -> int:
        """The primary term of the write that stored this version."""
        return PRIMARY_TERM

    def parsed(self) -> dict[str, Any]:
        """A fresh copy of the `_source`, as a client would decode it."""
        result: dict[str, Any] = json.loads(self.source)
        return result

    def parsed_with_numbers(self) -> dict[str, Any]:
        """The `_source` with floats that remember their JSON text (for re-indexing)."""
        result: dict[str, Any] = json.loads(self.source, parse_float=JsonFloat)
        return result


@dataclass(slots=True)
class Index:
    """An index: documents by id (iterated in index order), the next sequence number."""

    name: str
    mappings: dict[str, Any]
    settings: dict[str, Any]
    catalog: Catalog
    docs: dict[str, Document] = field(default_factory=dict)
    next_seq_no: int = 0
    next_order: int = 0

    @classmethod
    def create(
        cls, name: str, mappings: Mapping[str, Any] | None, settings: Mapping[str, Any] | None
    ) -> Index:
        """A new empty index with this mapping (a copy is kept)."""
        body = json.loads(json.dumps(dict(mappings or {})))
        return cls(name, body, dict(settings or {}), Catalog.of(body))

    def take_seq_no(self) -> int:
        """The sequence number of the next operation on this index (its one shard)."""
        seq_no = self.next_seq_no
        self.next_seq_no += 1
        return seq_no

    def store(
        self, doc_id: str, source: bytes, version: int, routing: str | None, values: Values
    ) -> Document:
        """Write a document version, last in index order; returns it."""
        document = Document(
            doc_id, source, self.take_seq_no(), version, routing, self.next_order, values
        )
        self.next_order += 1
        self.docs.pop(doc_id, None)  # re-inserted: dict order is index order
        self.docs[doc_id] = document
        return document

    @property
    def max_result_window(self) -> int:
        """How deep `from + size` may go (the index setting, 10,000 by default)."""
        return int_setting(self.settings, "max_result_window", 10_000)

    @property
    def shards(self) -> int:
        """The number of primary shards the settings ask for (1 by default)."""
        return int_setting(self.settings, "number_of_shards", 1)

"""What every workload shares: the client, the indices, the peers' models and index resets."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import async_bulk
from pydantic import BaseModel

from benchmarks._harness import Unavailable
from benchmarks._peers import PyEsorm
from esorm.mapping import Registry


@dataclass
class Bench:
    """The shared state of one benchmark run."""

    client: AsyncElasticsearch
    """Built by esorm (`create_client`): orjson for JSON. esorm's rows and "+ orjson" rows."""
    plain: AsyncElasticsearch
    """The same server with the client's default (standard-library) serializers: the raw
    rows and the peers, as their users get them."""
    registry: Registry
    indices: SimpleNamespace  # user, author, post: full index names
    count: int  # entities per workload (10,000; fewer with --quick)
    pyesorm: PyEsorm
    pe: SimpleNamespace | None  # ESORM model classes, when ESORM is installed
    dsl: SimpleNamespace  # elasticsearch.dsl document classes

    def peer(self) -> SimpleNamespace:
        """ESORM's model classes, or `Unavailable` so its row says why it is missing."""
        if self.pe is None:
            raise Unavailable(self.pyesorm.missing)
        return self.pe

    async def reset_index(self, entity: type[BaseModel]) -> str:
        """Drop and recreate an entity's index with esorm's generated mapping."""
        mapping = self.registry.mapping_for(entity)
        await self.client.options(ignore_status=404).indices.delete(index=mapping.index)
        await self.client.indices.create(index=mapping.index, **mapping.index_body())
        return mapping.index

    async def seed(self, entity: type[BaseModel], sources: list[dict[str, Any]]) -> str:
        """A fresh index holding `sources` (ids from their `id` field), refreshed for search."""
        index = await self.reset_index(entity)
        actions = ({"_index": index, "_id": s["id"], "_source": s} for s in sources)
        await async_bulk(self.client, actions, chunk_size=500, refresh="wait_for")
        return index

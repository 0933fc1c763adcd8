"""Relation loading for a whole result at once, level by level, within a depth limit.

Each level runs one request per to-one relation (`mget`) and per to-many relation
(`terms` search), and one search per distinct query for query-defined relations (owners
whose queries are equal share it), all under one concurrency limit. Related entities
join the identity map unless the read streams untracked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from esorm.errors import QueryError
from esorm.mapping import EntityMapping, Registry, Relation
from esorm.repository._context import RepositoryContext
from esorm.repository._relation_fetch import Fetcher, run_all
from esorm.telemetry import span


@dataclass(eq=False, slots=True)
class _Node:
    """Relations to load at one place of the plan; a None child means the target's defaults.

    Relations named by the caller (`explicit`) load at any depth; defaults stop at the limit.
    """

    explicit: bool
    children: dict[str, _Node | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RelationPlan:
    """What one read loads: the relation paths asked for (or the defaults), up to a depth."""

    mapping: EntityMapping[Any]
    root: _Node
    depth: int

    async def load(
        self, context: RepositoryContext, entities: Sequence[BaseModel], *, track: bool = True
    ) -> None:
        """Load the planned relations of `entities` (of the plan's entity type) in batches."""
        if not entities:
            return
        attributes = {"esorm.entity": self.mapping.name, "esorm.owners": len(entities)}
        with span("esorm.relations", **attributes):
            await _Loader(context, self.depth, track).run(self.mapping, entities, self.root)


def plan_relations(
    registry: Registry,
    mapping: EntityMapping[Any],
    load: str | Sequence[str] | None,
    depth: int | None,
) -> RelationPlan | None:
    """The relations a read asked for, checked before anything is sent; None for none.

    Args:
        load: relation paths such as `"posts.author"`; None loads the mapping's defaults.
        depth: how many hops defaults follow; defaults to the mapping's `relation_depth`.
    """
    if depth is None:
        depth = mapping.relation_depth
    elif not isinstance(depth, int) or depth < 0:
        raise QueryError(f"depth must be a number >= 0, got {depth!r}")
    if load is None:
        if not mapping.default_load or depth == 0:
            return None
        defaults = _parse(registry, mapping, mapping.default_load, explicit=False)
        return RelationPlan(mapping, defaults, depth)
    paths = [load] if isinstance(load, str) else list(load)
    if not paths:
        return None
    return RelationPlan(mapping, _parse(registry, mapping, paths, explicit=True), depth)


def _parse(
    registry: Registry, mapping: EntityMapping[Any], paths: Iterable[str], *, explicit: bool
) -> _Node:
    root = _Node(explicit)
    for path in paths:
        node, current = root, mapping
        parts = path.split(".") if isinstance(path, str) else [repr(path)]
        for position, part in enumerate(parts):
            if part not in current.relations:
                known = ", ".join(sorted(current.relations)) or "none"
                raise QueryError(
                    f"{current.name} has no relation {part!r} (in load path {path!r}); "
                    f"its relations: {known}"
                )
            if position == len(parts) - 1:
                node.children.setdefault(part, None)
            else:
                child = node.children.get(part)
                if child is None:
                    child = node.children[part] = _Node(explicit)
                node = child
            current = registry.mapping_for(current.relations[part].target)
    return root


@dataclass(slots=True)
class _Group:
    """Entities of one type reached at one level through the same place of the plan."""

    mapping: EntityMapping[Any]
    node: _Node | None
    entities: dict[int, BaseModel] = field(default_factory=dict)


@dataclass(slots=True)
class _Job:
    """One relation of one group: the owners still to load, and the plan below it."""

    mapping: EntityMapping[Any]
    name: str
    spec: Relation[Any]
    child: _Node | None
    owners: list[BaseModel]
    todo: list[BaseModel]


class _Loader:
    """One load operation: walks the plan level by level, each (entity, relation) once."""

    def __init__(self, context: RepositoryContext, depth: int, track: bool) -> None:
        self._registry = context.registry
        self._depth = depth
        self._fetcher = Fetcher(context, track)
        self._done: set[tuple[int, str]] = set()
        self._defaults: dict[type[BaseModel], _Node] = {}

    async def run(
        self, mapping: EntityMapping[Any], entities: Sequence[BaseModel], root: _Node
    ) -> None:
        group = _Group(mapping, root, {id(e): e for e in entities})
        level: dict[tuple[type[BaseModel], int], _Group] = {(mapping.entity, id(root)): group}
        hop = 1
        while level:
            jobs = [job for group in level.values() for job in self._jobs(group, hop)]
            await run_all(self._fetcher.fetch(j.mapping, j.name, j.spec, j.todo) for j in jobs)
            level = self._next_level(jobs)
            hop += 1

    def _jobs(self, group: _Group, hop: int) -> list[_Job]:
        node = group.node if group.node is not None else self._defaults_of(group.mapping)
        if not node.explicit and hop > self._depth:
            return []
        jobs = []
        owners = list(group.entities.values())
        for name, child in node.children.items():
            todo = [owner for owner in owners if (id(owner), name) not in self._done]
            self._done.update((id(owner), name) for owner in todo)
            spec = group.mapping.relations[name]
            jobs.append(_Job(group.mapping, name, spec, child, owners, todo))
        return jobs

    def _next_level(self, jobs: list[_Job]) -> dict[tuple[type[BaseModel], int], _Group]:
        level: dict[tuple[type[BaseModel], int], _Group] = {}
        for job in jobs:
            target = self._registry.mapping_for(job.spec.target)
            key = (target.entity, id(job.child))
            group = level.get(key)
            if group is None:
                group = level[key] = _Group(target, job.child)
            for owner in job.owners:
                for related in _related(owner, job.name):
                    group.entities.setdefault(id(related), related)
        return {key: group for key, group in level.items() if group.entities}

    def _defaults_of(self, mapping: EntityMapping[Any]) -> _Node:
        node = self._defaults.get(mapping.entity)
        if node is None:
            node = _parse(self._registry, mapping, mapping.default_load, explicit=False)
            self._defaults[mapping.entity] = node
        return node


def _related(owner: BaseModel, name: str) -> list[BaseModel]:
    value = owner.__dict__[name]
    if not value.loaded:
        return []
    loaded = value.get()
    if isinstance(loaded, list):
        return loaded
    return [] if loaded is None else [loaded]

"""(e) Hydration alone from a canned 10,000-hit response, and (f) a commit with nothing changed."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import TypeAdapter
from typing_extensions import TypedDict

from benchmarks._context import Bench
from benchmarks._harness import Case
from benchmarks._models import User, canned_hits, user_sources
from esorm.repository import hydrate_all
from esorm.uow import UnitOfWork


class _Hit(TypedDict):
    _id: str
    _seq_no: int
    _primary_term: int
    _source: User


class _Hits(TypedDict):
    hits: list[_Hit]


class _Response(TypedDict):
    hits: _Hits


_RESPONSE = TypeAdapter(_Response)
"""The search response as one pydantic type, for `validate_json` straight from its bytes."""


def _hits(bench: Bench) -> list[dict[str, Any]]:
    return canned_hits(bench.indices.user, user_sources(bench.count))


def esorm_hydrate(uow: UnitOfWork, hits: list[dict[str, Any]]) -> list[User]:
    """esorm's hydration path as a search takes it: every hit of the result becomes a
    tracked entity in the unit's identity map, in one batch."""
    return hydrate_all(uow.identity_map, uow.registry.mapping_for(User), hits)


async def _open(bench: Bench) -> UnitOfWork:
    uow = UnitOfWork(bench.client, bench.registry)
    await uow.__aenter__()
    return uow


async def _close(state: Any) -> None:
    uow = state[0] if isinstance(state, tuple) else state
    await uow.__aexit__(None, None, None)


def hydrate_cases(bench: Bench) -> list[Case]:
    hits = _hits(bench)

    async def validate(_: None) -> None:
        [User.model_validate(hit["_source"]) for hit in hits]

    body = orjson.dumps({"took": 1, "timed_out": False, "hits": {"hits": hits}})
    validate_hit = User.__pydantic_validator__.validate_python

    async def parse_validate(_: None) -> None:
        parsed = orjson.loads(body)["hits"]["hits"]
        [validate_hit(hit["_source"]) for hit in parsed]

    async def validate_json(_: None) -> None:
        _RESPONSE.validate_json(body)

    async def open_uow() -> UnitOfWork:
        return await _open(bench)

    async def esorm(uow: UnitOfWork) -> None:
        esorm_hydrate(uow, hits)

    async def pe(_: None) -> None:
        model = bench.peer().User
        [model.from_es(hit) for hit in hits]

    async def dsl(_: None) -> None:
        doc = bench.dsl.User
        [doc.from_es(hit) for hit in hits]

    return [
        Case("model_validate loop", "pydantic", "baseline", validate, note="_source only"),
        Case(
            "esorm hydrate_all",
            "esorm",
            "target",
            esorm,
            open_uow,
            _close,
            note="fresh unit of work per run; entity + identity entry + snapshot",
        ),
        Case(
            "orjson.loads + model_validate loop",
            "pydantic",
            "info",
            parse_validate,
            note="from the response bytes: parse, then validate each _source",
        ),
        Case(
            "validate_json, typed response",
            "pydantic",
            "info",
            validate_json,
            note="from the response bytes: one validate_json over a TypedDict of the envelope",
        ),
        Case("ESORM Model.from_es", "pyesorm", "peer", pe),
        Case("dsl Document.from_es", "elasticsearch.dsl", "peer", dsl),
    ]


def noop_commit_cases(bench: Bench) -> list[Case]:
    hits = _hits(bench)

    async def tracked() -> UnitOfWork:
        uow = await _open(bench)
        esorm_hydrate(uow, hits)
        return uow

    async def commit(uow: UnitOfWork) -> None:
        result = await uow.commit()
        assert result.written == 0
        assert result.requests == 0

    return [
        Case(
            "esorm commit, nothing changed",
            "esorm",
            "target",
            commit,
            tracked,
            _close,
            note="dirty check of every tracked entity; no request",
        ),
    ]

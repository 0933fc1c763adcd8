"""The peer libraries' models: ESORM (PyPI `pyesorm`) and elasticsearch.dsl, on esorm's indices.

ESORM's import name is `esorm`, the same as this project's, so it cannot live in the
virtualenv's site-packages: `make bench` installs it with `pip --target .venv/peers --no-deps`
and it is loaded from there under the name `pyesorm`. Its runtime needs (elasticsearch 9,
aiohttp, pydantic 2, typing-extensions) are esorm's own or the `bench` extra's.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from elasticsearch import AsyncElasticsearch

PEERS_ENV = "ESORM_BENCH_PEERS"
ALIAS = "pyesorm"


def peers_dir() -> Path:
    """Where `make bench` installs ESORM; `ESORM_BENCH_PEERS` overrides it."""
    override = os.environ.get(PEERS_ENV, "").strip()
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / ".venv" / "peers"


@dataclass
class PyEsorm:
    """ESORM loaded under an alias, bound to a client, or the reason it is missing."""

    module: ModuleType | None
    version: str | None
    missing: str = ""


def load_pyesorm(client: AsyncElasticsearch) -> PyEsorm:
    """Import ESORM from the peers dir as `pyesorm` and point its global connection at `client`."""
    root = peers_dir()
    package = root / "esorm"
    if not (package / "__init__.py").is_file():
        return PyEsorm(None, None, f"ESORM not installed in {root} (run `make bench`)")
    module = sys.modules.get(ALIAS)
    if module is None:
        spec = importlib.util.spec_from_file_location(
            ALIAS, package / "__init__.py", submodule_search_locations=[str(package)]
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[ALIAS] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[ALIAS]
            return PyEsorm(None, None, f"ESORM failed to import: {type(exc).__name__}: {exc}")
    # Share the one client every library uses (connect() would build a second one).
    module.es.set_client(client)
    version = next((d.version for d in importlib.metadata.distributions(path=[str(root)])), None)
    return PyEsorm(module, version)


def pyesorm_models(pe: ModuleType, indices: SimpleNamespace) -> SimpleNamespace:
    """ESORM model classes for the benchmark entities, as its docs write them."""
    ESModel: Any = pe.ESModel
    lazy_property: Any = pe.lazy_property

    class UserES(ESModel):  # type: ignore[misc]
        id: str
        first_name: str
        last_name: str
        age: int
        region: str

        class ESConfig:
            index = indices.user

    class AuthorES(ESModel):  # type: ignore[misc]
        id: str
        name: str

        class ESConfig:
            index = indices.author

    class PostES(ESModel):  # type: ignore[misc]
        id: str
        title: str
        author_id: str

        class ESConfig:
            index = indices.post

        @lazy_property  # type: ignore[untyped-decorator]
        async def author(self) -> AuthorES:
            author: AuthorES = await AuthorES.get(self.author_id)
            return author

    return SimpleNamespace(User=UserES, Author=AuthorES, Post=PostES)


def dsl_models(indices: SimpleNamespace) -> SimpleNamespace:
    """elasticsearch.dsl document classes for the benchmark entities."""
    from elasticsearch.dsl import AsyncDocument, Keyword, Long

    class UserDoc(AsyncDocument):
        id = Keyword()
        first_name = Keyword()
        last_name = Keyword()
        age = Long()
        region = Keyword()

        class Index:
            name = indices.user

    class AuthorDoc(AsyncDocument):
        id = Keyword()
        name = Keyword()

        class Index:
            name = indices.author

    class PostDoc(AsyncDocument):
        id = Keyword()
        title = Keyword()
        author_id = Keyword()

        class Index:
            name = indices.post

    return SimpleNamespace(User=UserDoc, Author=AuthorDoc, Post=PostDoc)

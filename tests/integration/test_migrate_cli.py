"""`esorm indices` and `esorm migrate` as a user runs them: the installed console script, in a
subprocess against the embedded server, with its output and exit codes."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from pathlib import Path

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.testing import RunningServer

pytestmark = pytest.mark.integration

ESORM = Path(sys.executable).parent / "esorm"
SAFETY = 120  # seconds: only so a broken command cannot hang the suite

V1 = """
import os
from pydantic import BaseModel
from esorm import Registry

class Item(BaseModel):
    id: str
    code: int

registry = Registry(prefix=os.environ["APP_PREFIX"])
registry.register(Item, index="items")
"""

V2 = """
import os
from pydantic import BaseModel
from esorm import Registry

class Item(BaseModel):
    id: str
    code: str

registry = Registry(prefix=os.environ["APP_PREFIX"])
registry.register(Item, index="items")

def as_text(source):
    return {**source, "code": str(source["code"])}
"""


async def esorm(app: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(ESORM),
        *args,
        cwd=app,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), SAFETY)
    return int(process.returncode or 0), out.decode(), err.decode()


@pytest.fixture
def env(esorm_server: RunningServer, index_prefix: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("ESORM_")}
    values.update(ESORM_URL=esorm_server.settings.hosts[0], APP_PREFIX=index_prefix)
    return values


async def test_plan_create_migrate_status_rollback_cleanup(
    tmp_path: Path, env: dict[str, str], es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    (tmp_path / "app_v1.py").write_text(textwrap.dedent(V1))
    (tmp_path / "app_v2.py").write_text(textwrap.dedent(V2))
    v1, v2 = ("--registry", "app_v1:registry"), ("--registry", "app_v2:registry")
    code, out, _ = await esorm(tmp_path, env, "indices", "plan", *v1)
    assert code == 3 and "Item -> " in out and "missing" in out
    code, out, _ = await esorm(tmp_path, env, "indices", "create", *v1)
    assert code == 0 and "created" in out
    name = index_prefix + "items"
    await es_client.bulk(
        operations=[
            x
            for n in range(500)
            for x in ({"index": {"_index": name, "_id": str(n)}}, {"id": str(n), "code": n})
        ],
        refresh=True,
    )
    code, out, _ = await esorm(tmp_path, env, "indices", "plan", *v2)
    assert code == 3 and "needs a new index" in out and "'code': long -> keyword" in out
    code, out, err = await esorm(tmp_path, env, "migrate", "run", "Item", *v2, "--dry-run")
    assert code == 0 and "needs a new index" in out
    code, out, err = await esorm(
        tmp_path, env, "migrate", "run", "Item", *v2, "--transform", "app_v2:as_text"
    )
    assert code == 0, err
    assert f"{name}__v1 -> {name}__v2 done: 500 copied" in out
    assert "copying" in err  # the progress bar
    code, out, _ = await esorm(tmp_path, env, "migrate", "status", "Item", *v2)
    assert code == 0 and "done; 500 copied" in out
    code, out, _ = await esorm(tmp_path, env, "indices", "plan", *v2)
    assert code == 0 and "up to date" in out
    code, out, _ = await esorm(tmp_path, env, "migrate", "rollback", "Item", *v2)
    assert code == 0 and "rolled back" in out
    alias = await es_client.indices.get_alias(name=name)
    assert list(alias.body) == [f"{name}__v1"]
    code, out, _ = await esorm(tmp_path, env, "migrate", "cleanup", "Item", *v2)
    assert code == 0 and "cleaned" in out
    assert not await es_client.indices.exists(index=f"{name}__v2")


async def test_bad_input_gets_clear_messages_and_exit_codes(
    tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / "app_v1.py").write_text(textwrap.dedent(V1))
    code, _, err = await esorm(tmp_path, env, "migrate", "run", "Item", "--registry", "nowhere:x")
    assert code == 2 and "cannot import 'nowhere'" in err
    code, _, err = await esorm(
        tmp_path, env, "migrate", "run", "Missing", "--registry", "app_v1:registry"
    )
    assert code == 2 and "no registered entity 'Missing'; known: Item" in err
    code, _, err = await esorm(
        tmp_path, env, "migrate", "run", "Item", "--registry", "app_v1:registry"
    )
    assert code == 1 and "does not exist: nothing to migrate" in err
    code, _, err = await esorm(
        tmp_path, env, "migrate", "cleanup", "Item", "--registry", "app_v1:registry"
    )
    assert code == 1 and "only a done or rolled back migration can be cleaned up" in err

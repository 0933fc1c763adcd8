"""The blog example end to end: `python -m examples.blog` and its scenario on the test server."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from dependency_injector import providers
from elasticsearch import AsyncElasticsearch

from esorm.indices import IndexManager
from esorm.query import QueryLike
from esorm.testing import RunningServer
from examples.blog import scenario, services
from examples.blog.container import BlogContainer
from examples.blog.mapping import blog_registry
from examples.blog.report import StepFailed
from examples.blog.uow import BlogUnitOfWork

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STEP_LINES = [f"[{number}] {title} " for number, (title, _) in enumerate(scenario.STEPS, 1)]


def test_demo_module_runs_every_step_and_cleans_up(
    esorm_server: RunningServer,
) -> None:
    env = dict(os.environ)
    if esorm_server.kind != "url":  # the url backend's ESORM_* variables are inherited as is
        env["ESORM_URL"] = esorm_server.url
    done = subprocess.run(
        [sys.executable, "-m", "examples.blog"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for line in STEP_LINES:
        assert line in done.stdout
    assert f"all {len(STEP_LINES)} steps passed" in done.stdout
    assert f"cluster at {esorm_server.url}" in done.stdout
    prefix = re.search(r"indices\s+(demo_[0-9a-f]{8}_)users", done.stdout)
    assert prefix is not None, done.stdout
    indices = subprocess.run(
        [sys.executable, "-c", _LIST_INDICES, prefix.group(1)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert indices.stdout.strip() == "[]"  # the demo deleted its indices on the cluster


_LIST_INDICES = """
import asyncio, sys
from esorm import ConnectionSettings, connect

async def main():
    async with connect(ConnectionSettings.from_env()) as client:
        found = await client.indices.get(index=sys.argv[1] + "*", allow_no_indices=True)
        print(sorted(found.body))

asyncio.run(main())
"""


@pytest.fixture
async def container(es_client: AsyncElasticsearch, index_prefix: str) -> BlogContainer:
    """The blog container on the test client, its indices created under the test's prefix."""
    container = BlogContainer(registry=blog_registry(index_prefix))
    container.client.override(providers.Object(es_client))
    await IndexManager(es_client, container.registry()).create_all()
    return container


async def test_scenario_in_process_checks_every_step(container: BlogContainer) -> None:
    out = io.StringIO()
    records = await scenario.run_scenario(container, out)
    assert [record.outcome.requests for record in records] == [1, 4, 6, 2, 1, 3, 7, 8, 5, 9]
    text = out.getvalue()
    for line in STEP_LINES:
        assert line in text
    assert "ConflictError" in text and "post-01" in text and "409" in text
    assert "PUT If-Match: t1 -> 412" in text
    assert "posts_published 6 -> 7" in text  # handled after the commit
    assert "relay pass 1: 1 event delivered from 1 document" in text  # after the crash
    assert "relay pass 2: 0 events delivered from 0 documents" in text


async def test_a_step_that_breaks_its_promise_fails_naming_the_step(
    container: BlogContainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def one_get_per_author(
        uow: BlogUnitOfWork, query: QueryLike | None = None, *, size: int = 10
    ) -> list[services.PostWithAuthor]:
        async with uow:
            posts = (await uow.posts.search(query, size=size)).items
            return [services.PostWithAuthor(p, await uow.users.get(p.author_id)) for p in posts]

    monkeypatch.setattr(services, "load_posts_with_authors", one_get_per_author)
    with pytest.raises(StepFailed) as caught:
        await scenario.run_scenario(container, io.StringIO())
    assert caught.value.number == 4
    assert str(caught.value) == (
        "step 4 (posts with their authors in two requests) failed: took 5 requests, expected 2"
    )

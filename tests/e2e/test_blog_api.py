"""The blog's HTTP API end to end: ETags, 304, conditional PUT and DELETE (200, 412, 428),
create-only PUT, concurrent clients and a forced race, over HTTP against the test server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dependency_injector import providers
from elasticsearch import AsyncElasticsearch
from httpx import ASGITransport, AsyncClient, Response

from esorm.indices import IndexManager
from esorm.mapping import Registry
from esorm.testing import record_requests
from examples.blog.app import create_app
from examples.blog.container import BlogContainer
from examples.blog.domain import Post
from examples.blog.mapping import blog_registry
from examples.blog.uow import BlogUnitOfWork

pytestmark = pytest.mark.e2e

PATH = "/regions/eu/posts/p1"
CONTENT = {"author_id": "ada", "title": "On ETags", "body": "Versions over HTTP."}


class Gate:
    """Holds the first commit that reaches it until the test lets it go."""

    def __init__(self) -> None:
        self.armed = True
        self.reached = asyncio.Event()
        self.opened = asyncio.Event()


class GatedUnitOfWork(BlogUnitOfWork):
    """The blog's unit of work whose first commit waits at a `Gate`: the test decides what
    happens between that request's load and its commit."""

    def __init__(self, *args: Any, gate: Gate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gate = gate

    async def commit(self, **options: Any) -> Any:
        if self._gate.armed:
            self._gate.armed = False
            self._gate.reached.set()
            await self._gate.opened.wait()
        return await super().commit(**options)


@pytest.fixture
async def registry(es_client: AsyncElasticsearch, index_prefix: str) -> Registry:
    registry = blog_registry(index_prefix)
    await IndexManager(es_client, registry).create_all()
    return registry


@pytest.fixture
def container(es_client: AsyncElasticsearch, registry: Registry) -> BlogContainer:
    container = BlogContainer(registry=registry)
    container.client.override(providers.Object(es_client))
    container.refresh.override(providers.Object(False))  # reads by id are realtime
    return container


@pytest.fixture
async def http(container: BlogContainer) -> AsyncIterator[AsyncClient]:
    app = create_app(container, origins=["https://blog.example"])
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://blog") as client:
        yield client


@pytest.fixture
async def created(http: AsyncClient) -> str:
    """Post p1, created through the API; its ETag."""
    answer = await http.put(PATH, json=CONTENT, headers={"If-None-Match": "*"})
    assert answer.status_code == 201, answer.text
    return answer.headers["ETag"]


async def stored(es_client: AsyncElasticsearch, registry: Registry) -> dict[str, Any] | None:
    """What the server holds for p1, read directly."""
    index = registry.mapping_for(Post).index
    answer = await es_client.options(ignore_status=404).get(index=index, id="p1", routing="eu")
    return dict(answer["_source"]) if answer.body.get("found") else None


def edit(**changes: Any) -> dict[str, Any]:
    return {**CONTENT, **changes}


async def test_a_get_answers_a_strong_etag_and_304_while_the_client_copy_is_current(
    http: AsyncClient, created: str
) -> None:
    read = await http.get(PATH)
    assert read.status_code == 200
    tag = read.headers["ETag"]
    assert tag == created and tag.startswith('"') and not tag.startswith("W/")
    for header in (tag, f'"other", {tag}', f"W/{tag}", "*"):
        again = await http.get(PATH, headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["ETag"] == tag
    changed = await http.get(PATH, headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200 and changed.json()["title"] == CONTENT["title"]


async def test_a_put_with_the_current_etag_answers_200_and_the_new_etag(
    http: AsyncClient, created: str, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    answer = await http.put(PATH, json=edit(title="Revised"), headers={"If-Match": created})
    assert answer.status_code == 200, answer.text
    assert answer.json()["revision"] == 2
    new = answer.headers["ETag"]
    assert new != created
    assert (await http.get(PATH)).headers["ETag"] == new
    assert (await stored(es_client, registry) or {})["title"] == "Revised"


async def test_a_put_with_an_old_etag_answers_412_and_changes_nothing(
    http: AsyncClient, created: str, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    first = await http.put(PATH, json=edit(title="First"), headers={"If-Match": created})
    assert first.status_code == 200
    late = await http.put(PATH, json=edit(title="Late"), headers={"If-Match": created})
    assert late.status_code == 412
    assert late.headers["ETag"] == first.headers["ETag"]  # what to start over from
    assert (await stored(es_client, registry) or {})["title"] == "First"


async def test_a_write_without_if_match_answers_428(
    http: AsyncClient, created: str, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    with record_requests(es_client) as log:
        put = await http.put(PATH, json=edit(title="Blind"))
        delete = await http.delete(PATH)
    assert (put.status_code, delete.status_code) == (428, 428)
    assert "If-Match" in put.json()["detail"]
    assert not log.requests  # refused before the endpoint ran
    assert (await stored(es_client, registry) or {})["title"] == CONTENT["title"]


async def test_a_delete_with_an_old_etag_answers_412_and_the_post_stays(
    http: AsyncClient, created: str, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    changed = await http.put(PATH, json=edit(body="Changed."), headers={"If-Match": created})
    stale = await http.delete(PATH, headers={"If-Match": created})
    assert stale.status_code == 412
    assert stale.headers["ETag"] == changed.headers["ETag"]
    assert await stored(es_client, registry) is not None
    gone = await http.delete(PATH, headers={"If-Match": changed.headers["ETag"]})
    assert gone.status_code == 204
    assert await stored(es_client, registry) is None


async def test_if_none_match_star_creates_once(
    http: AsyncClient, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    first = await http.put(PATH, json=CONTENT, headers={"If-None-Match": "*"})
    assert first.status_code == 201 and first.json()["revision"] == 1
    second = await http.put(PATH, json=edit(title="Twice"), headers={"If-None-Match": "*"})
    assert second.status_code == 412
    assert second.headers["ETag"] == first.headers["ETag"]
    assert (await stored(es_client, registry) or {})["title"] == CONTENT["title"]
    missing = await http.put(
        "/regions/eu/posts/p2", json=CONTENT, headers={"If-Match": first.headers["ETag"]}
    )
    assert missing.status_code == 412  # If-Match asks for a version of nothing


async def test_thirty_clients_reading_then_writing_conditionally_lose_no_update(
    http: AsyncClient, created: str, es_client: AsyncElasticsearch, registry: Registry
) -> None:
    clients = 30
    refused: list[int] = []

    async def add_tag(number: int) -> None:
        for _ in range(10 * clients):
            read = await http.get(PATH)
            tags = [*read.json()["tags"], f"c{number}"]  # computed by the client
            answer = await http.put(
                PATH, json=edit(tags=tags), headers={"If-Match": read.headers["ETag"]}
            )
            if answer.status_code == 200:
                return
            assert answer.status_code == 412, answer.text
            refused.append(number)
        pytest.fail(f"client {number} never got its write in")

    await asyncio.gather(*(add_tag(number) for number in range(clients)))
    post = await stored(es_client, registry)
    assert post is not None
    assert sorted(post["tags"]) == sorted(f"c{number}" for number in range(clients))
    assert post["revision"] == 1 + clients  # every accepted PUT incremented it once
    assert refused  # they did contend


async def test_a_stale_etag_is_refused_when_another_request_writes_between_load_and_commit(
    http: AsyncClient,
    created: str,
    container: BlogContainer,
    es_client: AsyncElasticsearch,
    registry: Registry,
) -> None:
    gate = Gate()
    container.unit_of_work.override(
        providers.Factory(
            GatedUnitOfWork,
            client=container.client,
            registry=container.registry,
            refresh=False,
            gate=gate,
        )
    )
    with record_requests(es_client) as log:
        slow = asyncio.create_task(
            http.put(PATH, json=edit(title="Slow"), headers={"If-Match": created})
        )
        await gate.reached.wait()  # loaded and pinned with a tag that is still current
        fast = await http.put(PATH, json=edit(title="Fast"), headers={"If-Match": created})
        assert fast.status_code == 200
        gate.opened.set()
        answer: Response = await slow
    assert answer.status_code == 412
    assert answer.headers["ETag"] == fast.headers["ETag"]
    slow_bulk = log.to("_bulk")[-1].ndjson()[0]["index"]  # sent: the server refused it
    fast_bulk = log.to("_bulk")[0].ndjson()[0]["index"]
    assert (slow_bulk["if_seq_no"], slow_bulk["if_primary_term"]) == (
        fast_bulk["if_seq_no"],
        fast_bulk["if_primary_term"],
    )  # both guarded by the version `created` names
    assert (await stored(es_client, registry) or {})["title"] == "Fast"


async def test_the_api_documents_its_headers_and_cors_exposes_the_etag(
    http: AsyncClient, created: str
) -> None:
    schema = (await http.get("/openapi.json")).json()
    put = schema["paths"]["/regions/{region}/posts/{post_id}"]["put"]
    headers = {p["name"] for p in put["parameters"] if p["in"] == "header"}
    assert headers == {"If-Match", "If-None-Match"}
    assert {"200", "201", "412", "428"} <= set(put["responses"])
    assert "ETag" in put["responses"]["200"]["headers"]
    get = schema["paths"]["/regions/{region}/posts/{post_id}"]["get"]
    assert "304" in get["responses"]
    origin = {"Origin": "https://blog.example"}
    read = await http.get(PATH, headers=origin)
    assert "etag" in read.headers["access-control-expose-headers"].lower()
    preflight = await http.options(
        PATH,
        headers={
            **origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "if-match, content-type",
        },
    )
    assert preflight.status_code == 200
    assert "if-match" in preflight.headers["access-control-allow-headers"].lower()

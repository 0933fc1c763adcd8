"""esorm.fastapi without a server: configuration checks, schemas, headers and the page model."""

import subprocess
import sys
from typing import Annotated, Any

import pytest
from dependency_injector import containers, providers
from fastapi import Depends, FastAPI, Response
from httpx import ASGITransport, AsyncClient

from esorm.errors import ConfigurationError
from esorm.fastapi import (
    ETAG_HEADER,
    EXPOSE_HEADERS,
    PRECONDITION_HEADERS,
    TOTAL_HEADERS,
    PageResponse,
    ReadPreconditions,
    WritePreconditions,
    conditional_responses,
    pagination_dependency,
    read_preconditions,
    set_total_headers,
    sort_dependency,
    unit_of_work_dependency,
    write_preconditions,
)
from esorm.query import Page, Pagination, Sort, SortOptions
from esorm.repository import SearchResult

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "options",
    [
        {"default_page_size": 0},
        {"default_page_size": 11, "max_page_size": 10},
        {"max_page_size": 0},
        {"max_page_size": 200, "max_result_window": 100},
    ],
)
def test_impossible_pagination_settings_fail_at_definition(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        pagination_dependency(**options)


async def test_parameter_names_are_configurable_and_a_single_sort_name_is_still_an_enum() -> None:
    pages = pagination_dependency(page_param="p", page_size_param="per_page")
    sorts = sort_dependency(SortOptions({"only": "-x"}), param="order", description="How.")
    app = FastAPI()

    @app.get("/items")
    async def items(
        pagination: Annotated[Pagination, Depends(pages)],
        sort: Annotated[Sort, Depends(sorts)],
    ) -> dict[str, Any]:
        return {"page": pagination.page, "size": pagination.page_size, "sort": sort.to_list()}

    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        answer = await client.get("/items", params={"p": 3, "per_page": 7, "order": "only"})
        assert answer.json() == {"page": 3, "size": 7, "sort": [{"x": {"order": "desc"}}]}
        assert (await client.get("/items", params={"order": "other"})).status_code == 422
    params = {p["name"]: p for p in app.openapi()["paths"]["/items"]["get"]["parameters"]}
    assert set(params) == {"p", "per_page", "order"}
    assert params["order"]["schema"]["enum"] == ["only"]
    assert params["order"]["description"] == "How."


def test_total_headers_from_a_page_and_from_a_capped_search() -> None:
    response = Response()
    page = Page(items=["a"], total=41, page=1, page_size=1)
    assert set_total_headers(response, page) is page
    assert [response.headers[name] for name in TOTAL_HEADERS] == ["41", "eq"]
    capped: SearchResult[Any] = SearchResult(items=[], total=10_000, total_is_exact=False)
    set_total_headers(response, capped)
    assert [response.headers[name] for name in TOTAL_HEADERS] == ["10000", "gte"]


def test_page_response_of_a_page() -> None:
    page = Page(items=[1, 2], total=5, total_is_exact=True, page=2, page_size=2)
    body = PageResponse[int].of(page)
    assert body.model_dump() == {
        "items": [1, 2],
        "total": 5,
        "total_is_exact": True,
        "page": 2,
        "page_size": 2,
        "pages": 3,
        "has_next": True,
        "has_previous": True,
    }


async def test_unit_of_work_sources_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="factory"):
        unit_of_work_dependency("not callable")  # type: ignore[call-overload]
    with pytest.raises(ConfigurationError, match="unit_of_work provider"):
        unit_of_work_dependency(containers.DynamicContainer())
    container = containers.DynamicContainer()
    container.unit_of_work = providers.Factory(object)
    stream = unit_of_work_dependency(container)()
    with pytest.raises(ConfigurationError, match="not a UnitOfWork"):
        await anext(stream)


def test_esorm_imports_without_fastapi_and_esorm_fastapi_says_what_to_install() -> None:
    code = """
import importlib, pkgutil, sys
sys.modules["fastapi"] = None  # as if FastAPI were not installed
import esorm
for info in pkgutil.iter_modules(esorm.__path__, "esorm."):
    if info.name != "esorm.fastapi":
        importlib.import_module(info.name)
try:
    import esorm.fastapi
except ModuleNotFoundError as error:
    print(error)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'esorm[fastapi]'" in done.stdout


async def test_precondition_dependencies_refuse_before_the_endpoint_runs() -> None:
    app = FastAPI()
    ran: list[str] = []

    @app.put("/strict")
    async def strict(pre: Annotated[WritePreconditions, Depends(write_preconditions())]) -> str:
        ran.append("strict")
        return "ok" if pre.create_only or pre.if_match else "?"

    @app.get("/read")
    async def read(pre: Annotated[ReadPreconditions, Depends(read_preconditions())]) -> str:
        return str(pre.if_none_match)

    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        missing = await client.put("/strict")
        assert missing.status_code == 428 and "If-Match" in missing.json()["detail"]
        assert (await client.put("/strict", headers={"If-None-Match": '"a"'})).status_code == 428
        assert (await client.put("/strict", headers={"If-Match": "bare"})).status_code == 400
        assert (await client.put("/strict", headers={"If-None-Match": "*"})).json() == "ok"
        assert (await client.put("/strict", headers={"If-Match": '"a"'})).json() == "ok"
        assert (await client.get("/read", headers={"If-None-Match": 'W/"a"'})).json() == 'W/"a"'
        assert (await client.get("/read", headers={"If-None-Match": "a,"})).status_code == 400
    assert ran == ["strict", "strict"]


def test_conditional_responses_document_the_etag_and_the_precondition_statuses() -> None:
    read = conditional_responses()
    assert set(read) == {200, 304} and ETAG_HEADER in read[200]["headers"]
    write = conditional_responses(200, 201, write=True)
    assert set(write) == {200, 201, 412, 428}
    assert write[201]["description"] == "Created" and ETAG_HEADER in write[412]["headers"]
    deleting = conditional_responses(204, write=True, require=False)
    assert set(deleting) == {412}  # no body, no new version to tag
    assert set(EXPOSE_HEADERS) == {*TOTAL_HEADERS, ETAG_HEADER}
    assert set(PRECONDITION_HEADERS) == {"If-Match", "If-None-Match"}

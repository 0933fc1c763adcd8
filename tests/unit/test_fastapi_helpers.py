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
    TOTAL_HEADERS,
    PageResponse,
    pagination_dependency,
    set_total_headers,
    sort_dependency,
    unit_of_work_dependency,
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

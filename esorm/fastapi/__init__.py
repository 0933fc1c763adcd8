"""FastAPI integration: pagination and sort query parameters, total-hit headers, a page model,
ETags and conditional requests (304, 412, 428).

Needs the `fastapi` extra (`pip install esorm[fastapi]`); `import esorm` does not.

Example:
    pages = pagination_dependency(default_page_size=20, max_page_size=100)
    sorts = sort_dependency(SortOptions({"newest": "-created_at", "title": "title"}))
    get_uow = unit_of_work_dependency(container)

    @app.get("/posts")
    async def list_posts(
        response: Response,
        pagination: Annotated[Pagination, Depends(pages)],
        sort: Annotated[Sort, Depends(sorts)],
        uow: Annotated[UnitOfWork, Depends(get_uow)],
    ) -> PageResponse[Post]:
        page = await uow.repository(Post).page(pagination=pagination, sort=sort)
        return PageResponse.of(set_total_headers(response, page))

    writes = write_preconditions()  # If-Match required: 428 without it

    @app.put("/posts/{post_id}", responses=conditional_responses(write=True))
    async def edit_post(
        post_id: str, edit: PostEdit, response: Response, uow: Uow,
        preconditions: Annotated[WritePreconditions, Depends(writes)],
    ) -> Post:
        post = await preconditions.load(uow.posts, post_id)   # pinned: 412 when stale
        post.title = edit.title
        await uow.commit()                                      # 412 if it went stale meanwhile
        return set_etag(response, uow, post)
"""

try:
    import fastapi as _fastapi  # noqa: F401
except ModuleNotFoundError as _missing:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        "esorm.fastapi needs FastAPI; install it with `pip install 'esorm[fastapi]'`"
    ) from _missing

from esorm.fastapi._conditional import (
    conditional_responses,
    read_preconditions,
    write_preconditions,
)
from esorm.fastapi._errors import STATUS_OF, install_error_handlers
from esorm.fastapi._etags import (
    ETAG_HEADER,
    EXPOSE_HEADERS,
    IF_MATCH_HEADER,
    IF_NONE_MATCH_HEADER,
    PRECONDITION_HEADERS,
    set_etag,
)
from esorm.fastapi._pagination import pagination_dependency
from esorm.fastapi._preconditions import ReadPreconditions, WritePreconditions
from esorm.fastapi._sort import sort_dependency
from esorm.fastapi._totals import (
    TOTAL_HEADERS,
    TOTAL_HITS_HEADER,
    TOTAL_RELATION_HEADER,
    PageResponse,
    Totalled,
    set_total_headers,
)
from esorm.fastapi._unit_of_work import unit_of_work_dependency

__all__ = [
    "ETAG_HEADER",
    "EXPOSE_HEADERS",
    "IF_MATCH_HEADER",
    "IF_NONE_MATCH_HEADER",
    "PRECONDITION_HEADERS",
    "STATUS_OF",
    "TOTAL_HEADERS",
    "TOTAL_HITS_HEADER",
    "TOTAL_RELATION_HEADER",
    "PageResponse",
    "ReadPreconditions",
    "Totalled",
    "WritePreconditions",
    "conditional_responses",
    "install_error_handlers",
    "pagination_dependency",
    "read_preconditions",
    "set_etag",
    "set_total_headers",
    "sort_dependency",
    "unit_of_work_dependency",
    "write_preconditions",
]

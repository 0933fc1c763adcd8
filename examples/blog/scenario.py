"""The scripted run: ten steps, each printed with its request count and checked."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from elasticsearch import AsyncElasticsearch
from httpx import ASGITransport, AsyncClient

from esorm import ConflictError, InvalidEntityError
from esorm.testing import record_requests
from examples.blog import services
from examples.blog.app import create_app
from examples.blog.container import BlogContainer
from examples.blog.domain import Post, User
from examples.blog.event_steps import published_event_handled, relayed_after_a_crash
from examples.blog.mapping import POSTS_SORT
from examples.blog.report import (
    CheckFailed,
    Outcome,
    Printer,
    StepFailed,
    StepRecord,
    check,
    plural,
)
from examples.blog.seed import demo_posts, demo_users
from examples.blog.uow import BlogUnitOfWork

POST_COUNT = 24
LISTING_PAGE_SIZE = 10
ITERATION_PAGE_SIZE = 5


@dataclass
class Demo:
    """What the steps share: the container, its client, the seed data, the first bulk body."""

    container: BlogContainer
    client: AsyncElasticsearch
    users: list[User]
    posts: list[Post]
    first_bulk: list[dict[str, Any]] = field(default_factory=list)

    def uow(self) -> BlogUnitOfWork:
        """A fresh unit of work from the container, as a request handler would get one."""
        return self.container.unit_of_work()

    @property
    def contested(self) -> Post:
        """The post two editors fight over in steps 2 and 3."""
        return self.posts[0]


async def create_in_one_commit(demo: Demo) -> Outcome:
    with record_requests(demo.client) as log:
        result = await services.onboard(demo.uow(), demo.users, demo.posts)
    expected = len(demo.users) + len(demo.posts)
    check(result.created == expected, f"expected {expected} creates, got {result.created}")
    bulks = log.to("_bulk")
    check(len(bulks) == 1, f"expected exactly one _bulk request, got {len(bulks)}")
    demo.first_bulk = bulks[0].ndjson()
    return Outcome(
        len(log),
        1,
        [
            f"{len(demo.users)} users + {len(demo.posts)} posts -> created {result.created}, "
            f"updated {result.updated}, deleted {result.deleted}",
            f"one _bulk request of {len(demo.first_bulk) // 2} operations "
            f"(commit.requests = {result.requests})",
        ],
    )


async def conflicting_edits(demo: Demo) -> Outcome:
    target = demo.contested
    conflict: ConflictError | None = None
    with record_requests(demo.client) as log:
        async with demo.uow() as alice, demo.uow() as bob:
            alices = await services.change_post(
                alice, target.id, target.region, title="Title by Alice"
            )
            bobs = await services.change_post(bob, target.id, target.region, body="Body by Bob")
            loaded_at = alice.version_of(alices), bob.version_of(bobs)
            await alice.commit()
            try:
                await bob.commit()
            except ConflictError as error:
                conflict = error
    if conflict is None:
        raise CheckFailed("the second commit was not refused with a ConflictError")
    check(len(conflict.failures) == 1, f"expected one failure, got {len(conflict.failures)}")
    failure = conflict.failures[0]
    check(failure.entity is bobs, "the failure does not name bob's instance of the post")
    check(failure.status == 409, f"expected status 409, got {failure.status}")
    return Outcome(
        len(log),
        4,
        [
            f"alice and bob load {target.id} at (seq_no, primary_term) = {loaded_at[0]} "
            f"and {loaded_at[1]}",
            "alice commits a new title, then bob commits a new body",
            "bob's commit raises ConflictError:",
            f"  entity  {type(failure.entity).__name__} (bob's instance, still pending)",
            f"  id      {failure.id}   operation {failure.operation}   status {failure.status}",
            f"  type    {failure.error_type}",
            *(f"  {label:<6}  {text}" for label, text in _labelled("reason", failure.reason)),
        ],
    )


async def retry_succeeds(demo: Demo) -> Outcome:
    target = demo.contested
    loaded: list[int] = []

    async def bobs_edit(unit: BlogUnitOfWork) -> Post:
        post = await services.change_post(unit, target.id, target.region, body="Body by Bob")
        loaded.append(post.revision - 1)
        if len(loaded) == 1:  # carol lands her edit between bob's first load and commit
            await services.edit_post(demo.uow(), target.id, target.region, title="Title by Carol")
        return post

    with record_requests(demo.client) as log:
        post = await demo.uow().run(bobs_edit, attempts=3)
    check(len(loaded) == 2, f"expected a conflict then a success, got {len(loaded)} attempts")
    check(
        (post.title, post.body) == ("Title by Carol", "Body by Bob"),
        f"the retried edit lost a change: title {post.title!r}, body {post.body!r}",
    )
    return Outcome(
        len(log),
        6,
        [
            f"uow.run(bobs_edit): attempt 1 loads revision {loaded[0]}, carol commits "
            f"meanwhile -> conflict",
            f"attempt 2 loads revision {loaded[1]} afresh and commits -> revision {post.revision}",
            f"{post.id}: title {post.title!r} (carol), body {post.body!r} (bob)",
        ],
    )


async def posts_with_authors(demo: Demo) -> Outcome:
    renamed = await services.rename_user(demo.uow(), "ada", "Ada King")
    with record_requests(demo.client) as log:
        pairs = await services.load_posts_with_authors(demo.uow(), size=10)
    endpoints = " + ".join(request.endpoint for request in log.requests)
    check(len(pairs) == 10, f"expected 10 posts, got {len(pairs)}")
    check(
        all(pair.author.id == pair.post.author_id for pair in pairs),
        "a post came back with someone else as its author",
    )
    names = {pair.author.id: pair.author.name for pair in pairs}
    check(names.get("ada") == renamed.name, f"ada's new name is not loaded: {names.get('ada')}")
    lines = [
        f"{len(pairs)} posts, {len(names)} distinct authors: {endpoints} "
        f"(not 1 + {len(pairs)} requests)",
        f"(before: rename_user('ada') -> {renamed.name!r}, its own unit of work)",
    ]
    lines += [f"{p.post.id}  {p.post.title:<34} by {p.author.name}" for p in pairs[:4]]
    return Outcome(len(log), 2, [*lines, f"... and {len(pairs) - 4} more"])


async def routed_documents(demo: Demo) -> Outcome:
    posts_index = demo.container.registry().mapping_for(Post).index
    creates = [
        line["create"]
        for line in demo.first_bulk
        if "create" in line and line["create"].get("_index") == posts_index
    ]
    regions = {post.id: post.region for post in demo.posts}
    check(
        all(action.get("routing") == regions[action["_id"]] for action in creates),
        "a post was written without its region as routing",
    )
    target = demo.posts[-1]
    with record_requests(demo.client) as log:
        found = await services.find_post(demo.uow(), target.id, target.region)
        refused: InvalidEntityError | None = None
        async with demo.uow() as uow:
            try:
                await uow.posts.get(target.id)
            except InvalidEntityError as error:
                refused = error
    check(found.id == target.id, f"got {found.id} instead of {target.id}")
    check(f"routing={target.region}" in log.requests[0].path, "the get was not routed")
    check(refused is not None, "a get without routing was not refused")
    return Outcome(
        len(log),
        1,
        [
            "step 1's _bulk routed every post by its region, e.g.",
            *(f"  {json.dumps({'create': action})}" for action in creates[:3]),
            f"GET {log.requests[0].path}  -> found {found.id}",
            f"get({target.id!r}) without routing -> {type(refused).__name__} (nothing sent):",
            *(f"  {text}" for text in textwrap.wrap(str(refused), 70)),
        ],
    )


async def paginated_listing(demo: Demo) -> Outcome:
    expected = [post.id for post in sorted(demo.posts, key=lambda p: p.published_at)][::-1]
    seen: list[str] = []
    lines: list[str] = []
    with record_requests(demo.client) as log:
        number, pages = 1, 1
        while number <= pages:
            page = await services.list_posts(demo.uow(), number, LISTING_PAGE_SIZE)
            check(page.total == len(expected), f"total {page.total}, expected {len(expected)}")
            pages = page.pages
            ids = [post.id for post in page.items]
            seen += ids
            lines.append(
                f"page {page.page}/{page.pages}  {plural(len(ids), 'post'):>8}  "
                f"{ids[0]} .. {ids[-1]}  (total {page.total})"
            )
            number += 1
    check(seen == expected, "the pages do not list every post once, newest first")
    return Outcome(
        len(log), pages, [f"Sort.by{tuple(POSTS_SORT)}, {LISTING_PAGE_SIZE} a page", *lines]
    )


async def deep_iteration(demo: Demo) -> Outcome:
    with record_requests(demo.client) as log:
        walk = await services.walk_all_posts(demo.uow(), page_size=ITERATION_PAGE_SIZE)
    check(len(walk.ids) == len(demo.posts), f"visited {len(walk.ids)} of {len(demo.posts)}")
    check(set(walk.ids) == {post.id for post in demo.posts}, "some post was missed or repeated")
    pages = len(demo.posts) // ITERATION_PAGE_SIZE + 1  # the last page is the short one
    check(walk.pages == pages, f"expected {pages} pages, got {walk.pages}")
    endpoints = [request.endpoint for request in log.requests]
    return Outcome(
        len(log),
        pages + 2,
        [
            f"{len(walk.ids)} posts in {walk.pages} pages of up to {ITERATION_PAGE_SIZE} "
            f"(point in time + search_after)",
            f"requests: open PIT, {endpoints.count('_search')} x _search, close PIT",
        ],
    )


async def conditional_http_edits(demo: Demo) -> Outcome:
    target = demo.posts[1]
    path = f"/regions/{target.region}/posts/{target.id}"
    app = create_app(demo.container)
    transport = ASGITransport(app=app)
    with record_requests(demo.client) as log:
        async with AsyncClient(transport=transport, base_url="http://blog") as http:
            alice, bob = await http.get(path), await http.get(path)
            alices = await http.put(
                path, json=_content(alice.json(), title="Title by Alice"), headers=_if(alice)
            )
            stale = await http.put(
                path, json=_content(bob.json(), body="Body by Bob"), headers=_if(bob)
            )
            again = await http.get(path)
            bobs = await http.put(
                path, json=_content(again.json(), body="Body by Bob"), headers=_if(again)
            )
    statuses = [r.status_code for r in (alice, bob, alices, stale, again, bobs)]
    check(statuses == [200, 200, 200, 412, 200, 200], f"answers were {statuses}")
    check(stale.headers["ETag"] == alices.headers["ETag"], "the 412 did not carry the ETag")
    final = bobs.json()
    check(
        (final["title"], final["body"]) == ("Title by Alice", "Body by Bob"),
        f"an edit was lost: {final['title']!r}, {final['body']!r}",
    )
    t1, t2, t3 = alice.headers["ETag"], alices.headers["ETag"], bobs.headers["ETag"]
    return Outcome(
        len(log),
        8,
        [
            f"alice and bob GET {path} -> 200, ETag t1",
            "alice PUT If-Match: t1 -> 200, ETag t2",
            "bob   PUT If-Match: t1 -> 412, ETag t2 (nothing written)",
            "bob   GET -> 200, ETag t2; PUT If-Match: t2 -> 200, ETag t3",
            *(f"{name} = {tag}" for name, tag in (("t1", t1), ("t2", t2), ("t3", t3))),
            f"revision {final['revision']}: title {final['title']!r} (alice), body "
            f"{final['body']!r} (bob)",
        ],
    )


def _content(post: dict[str, Any], **changes: str) -> dict[str, Any]:
    fields = ("author_id", "title", "body", "tags")
    return {**{name: post[name] for name in fields}, **changes}


def _if(read: Any) -> dict[str, str]:
    return {"If-Match": read.headers["ETag"]}


Step = Callable[[Demo], Awaitable[Outcome]]

STEPS: list[tuple[str, Step]] = [
    ("create users and posts in one commit", create_in_one_commit),
    ("concurrent edit reported as a conflict", conflicting_edits),
    ("retry on conflict with fresh loads", retry_succeeds),
    ("posts with their authors in two requests", posts_with_authors),
    ("routed documents", routed_documents),
    ("sorted, paginated listing with its total", paginated_listing),
    ("deep iteration over every post", deep_iteration),
    ("an HTTP client's stale write answered 412", conditional_http_edits),
    ("a post's event, handled after the commit", published_event_handled),
    ("crash before dispatch; the outbox relay delivers", relayed_after_a_crash),
]


async def run_scenario(container: BlogContainer, out: TextIO) -> list[StepRecord]:
    """Run every step against the container's indices (already created) and print them.

    Raises:
        StepFailed: a step's outcome differs from what it claims; names the step.
    """
    printer = Printer(out)
    users = demo_users()
    demo = Demo(container, container.client(), users, demo_posts(users, POST_COUNT))
    records: list[StepRecord] = []
    for number, (title, step) in enumerate(STEPS, start=1):
        try:
            outcome = await step(demo)
            check(
                outcome.requests == outcome.expected_requests,
                f"took {plural(outcome.requests, 'request')}, expected {outcome.expected_requests}",
            )
        except CheckFailed as failed:
            raise StepFailed(number, title, str(failed)) from None
        except Exception as error:
            raise StepFailed(number, title, f"{type(error).__name__}: {error}") from error
        printer.step(number, title, outcome)
        records.append(StepRecord(number, title, outcome))
    printer.summary(records)
    return records


def _labelled(label: str, text: str) -> list[tuple[str, str]]:
    lines = textwrap.wrap(text, 62) or [""]
    return [(label if i == 0 else "", line) for i, line in enumerate(lines)]

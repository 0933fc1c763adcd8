"""The blog's service-layer checks: each runs the use cases on a fresh store and checks them.

The same checks run on the embedded server and on `InMemoryStore` (`examples/blog/tests`),
and `make bench` times them on both. A check talks to the store only through the use
cases and a `RecordingStore` that counts what they ask it; a failed expectation raises
`CheckFailed` naming it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from esorm import ConflictError, InvalidEntityError
from esorm.testing import RecordingStore
from examples.blog import services
from examples.blog.domain import Post, User
from examples.blog.report import CheckFailed, check
from examples.blog.seed import demo_posts, demo_users
from examples.blog.uow import BlogUnitOfWork

POSTS = 12


@dataclass(frozen=True)
class Blog:
    """One store with the blog's indices: units of work on it, and what they asked it."""

    calls: RecordingStore
    unit_of_work: Callable[[], BlogUnitOfWork]

    async def seeded(self, posts: int = POSTS) -> tuple[list[User], list[Post]]:
        """Onboard the demo users and `posts` posts; forget the calls it took."""
        users = demo_users()
        written = demo_posts(users, posts)
        await services.onboard(self.unit_of_work(), users, written)
        self.calls.clear()
        return users, written


Check = Callable[[Blog], Awaitable[None]]


async def refused(attempt: Awaitable[object], error: type[Exception], text: str) -> Exception:
    """The error `attempt` raised; fails the check unless it is `error` mentioning `text`."""
    try:
        await attempt
    except error as raised:
        check(text in str(raised), f"the {error.__name__} does not say {text!r}: {raised}")
        return raised
    raise CheckFailed(f"expected {error.__name__} ({text}), nothing was raised")


async def onboarding_is_one_commit(blog: Blog) -> None:
    users, posts = demo_users(), demo_posts(demo_users(), POSTS)
    result = await services.onboard(blog.unit_of_work(), users, posts)
    expected = (len(users) + POSTS, 1)
    check((result.created, result.requests) == expected, f"created/requests: {result}")
    check(blog.calls.methods() == ["bulk"], f"expected one bulk, got {blog.calls.methods()}")
    found = await services.find_post(blog.unit_of_work(), "post-03", posts[2].region)
    check(found.author_id == posts[2].author_id, f"post-03 came back as {found}")


async def onboarding_refuses_a_post_outside_its_authors_region(blog: Blog) -> None:
    users = demo_users()
    stray = demo_posts(users, 1)[0].model_copy(update={"region": "mars"})
    await refused(services.onboard(blog.unit_of_work(), users, [stray]), ValueError, "region")
    check(not blog.calls.calls, f"the refused onboarding sent {blog.calls.methods()}")


async def concurrent_edits_report_the_loser(blog: Blog) -> None:
    _, posts = await blog.seeded()
    target = posts[0]
    async with blog.unit_of_work() as alice, blog.unit_of_work() as bob:
        await services.change_post(alice, target.id, target.region, title="Alice's")
        bobs = await services.change_post(bob, target.id, target.region, body="Bob's")
        await alice.commit()
        conflict = await refused(bob.commit(), ConflictError, "version conflict")
        (failure,) = conflict.failures if isinstance(conflict, ConflictError) else ()
        check(failure.entity is bobs, "the failure does not name bob's instance")
        check(failure.status == 409, f"expected status 409, got {failure.status}")
    stored = await services.find_post(blog.unit_of_work(), target.id, target.region)
    check((stored.title, stored.revision) == ("Alice's", 2), f"stored: {stored}")


async def a_retried_edit_starts_from_fresh_loads(blog: Blog) -> None:
    _, posts = await blog.seeded()
    target = posts[1]
    attempts: list[int] = []

    async def bobs_edit(unit: BlogUnitOfWork) -> Post:
        post = await services.change_post(unit, target.id, target.region, body="Bob's body")
        attempts.append(post.revision)
        if len(attempts) == 1:  # carol commits between bob's first load and his commit
            await services.edit_post(blog.unit_of_work(), target.id, target.region, title="C")
        return post

    post = await blog.unit_of_work().run(bobs_edit, attempts=3, base_delay=0)
    check(attempts == [2, 3], f"expected a conflict, then revision 3 loaded: {attempts}")
    check((post.title, post.body) == ("C", "Bob's body"), f"the retry lost a change: {post}")


async def renames_compose_with_an_entered_unit(blog: Blog) -> None:
    await blog.seeded()
    async with blog.unit_of_work() as request_unit:  # as a request-scoped unit is
        ada = await request_unit.users.get("ada")
        renamed = await services.rename_user(request_unit, "ada", "  Ada King ")
        check(renamed is ada, "the use case did not work on the request unit's instance")
        check(ada.name == "Ada King", f"renamed to {ada.name!r}")
    check(len(blog.calls.to("bulk")) == 1, f"expected one bulk, got {blog.calls.methods()}")
    pairs = await services.load_posts_with_authors(blog.unit_of_work(), size=POSTS)
    names = {pair.author.name for pair in pairs if pair.author.id == "ada"}
    check(names == {"Ada King"}, f"ada's posts show {names}")


async def blank_names_are_refused_by_the_domain(blog: Blog) -> None:
    await blog.seeded()
    rename = services.rename_user(blog.unit_of_work(), "linus", "   ")
    await refused(rename, ValueError, "cannot be blank")
    check(blog.calls.methods() == ["get"], f"loaded, refused: sent {blog.calls.methods()}")


async def posts_come_with_their_authors_in_two_requests(blog: Blog) -> None:
    users, _ = await blog.seeded()
    pairs = await services.load_posts_with_authors(blog.unit_of_work(), size=10)
    check(blog.calls.methods() == ["search", "mget"], f"sent {blog.calls.methods()}")
    check(len(pairs) == 10, f"expected 10 posts, got {len(pairs)}")
    check(all(p.author.id == p.post.author_id for p in pairs), "a post came with another author")
    newest = [f"post-{POSTS:02d}", f"post-{POSTS - 1:02d}"]
    check([p.post.id for p in pairs[:2]] == newest, "the posts are not newest first")
    check({p.author.id for p in pairs} == {u.id for u in users}, "an author is missing")


async def routed_posts_need_their_region(blog: Blog) -> None:
    _, posts = await blog.seeded()
    target = posts[-1]
    found = await services.find_post(blog.unit_of_work(), target.id, target.region)
    check(found.id == target.id, f"found {found.id} instead of {target.id}")
    async with blog.unit_of_work() as uow:
        await refused(uow.posts.get(target.id), InvalidEntityError, "routing=")
    check(blog.calls.methods() == ["get"], f"the refused get sent: {blog.calls.methods()}")


async def listings_page_newest_first_with_their_total(blog: Blog) -> None:
    _, posts = await blog.seeded()
    newest = [post.id for post in sorted(posts, key=lambda p: p.published_at, reverse=True)]
    seen: list[str] = []
    for number in (1, 2, 3):
        page = await services.list_posts(blog.unit_of_work(), number, 5)
        totals = (page.total, page.total_is_exact, page.pages)
        check(totals == (POSTS, True, 3), f"page {number}: total, exact, pages = {totals}")
        seen += [post.id for post in page.items]
    check(seen == newest, "the pages do not list every post once, newest first")
    P = blog.unit_of_work().posts.fields
    eu = await services.list_posts(blog.unit_of_work(), 1, 50, P.region == "eu")
    in_eu = sum(post.region == "eu" for post in posts)
    check(eu.total == in_eu, f"{eu.total} posts in eu, expected {in_eu}")


async def deep_iteration_visits_every_post_once(blog: Blog) -> None:
    _, posts = await blog.seeded()
    walk = await services.walk_all_posts(blog.unit_of_work(), page_size=5)
    check(sorted(walk.ids) == sorted(post.id for post in posts), "a post was missed or repeated")
    check(walk.pages == POSTS // 5 + 1, f"expected {POSTS // 5 + 1} pages, got {walk.pages}")
    methods = blog.calls.methods()
    check(methods[0] == "open_point_in_time", f"the walk began with {methods[0]}")
    check(methods[-1] == "close_point_in_time", f"the walk ended with {methods[-1]}")


CHECKS: list[Check] = [
    onboarding_is_one_commit,
    onboarding_refuses_a_post_outside_its_authors_region,
    concurrent_edits_report_the_loser,
    a_retried_edit_starts_from_fresh_loads,
    renames_compose_with_an_entered_unit,
    blank_names_are_refused_by_the_domain,
    posts_come_with_their_authors_in_two_requests,
    routed_posts_need_their_region,
    listings_page_newest_first_with_their_total,
    deep_iteration_visits_every_post_once,
]
"""Every check, in the order the benchmark runs them."""

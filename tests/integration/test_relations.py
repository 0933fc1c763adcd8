"""Relations against a real server: batched loading, request counts, depth, identity, commits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel

from esorm.domain import Many, One
from esorm.errors import RelationNotLoadedError
from esorm.indices import IndexManager
from esorm.mapping import Registry, by_query, to_many, to_one
from esorm.query import Pagination
from esorm.repository import Repository
from esorm.testing import record_requests
from esorm.uow import UnitOfWork
from tests.integration._stored import without_writes
from tests.integration._support import seed

pytestmark = pytest.mark.integration


class Profile(BaseModel):
    """Routed by region, so a to-one relation to it must say how to route."""

    id: str
    region: str
    bio: str


class User(BaseModel):
    id: str
    first_name: str
    region: str = "eu"
    mentor_id: str | None = None
    profile_id: str | None = None
    posts: Many[Post] = Many()
    namesakes: Many[User] = Many()
    mentor: One[User] = One()
    profile: One[Profile] = One()


class Post(BaseModel):
    id: str
    author_id: str
    title: str
    author: One[User] = One()
    comments: Many[Comment] = Many()


class Comment(BaseModel):
    id: str
    post_id: str
    text: str


User.model_rebuild()
Post.model_rebuild()


class TermQuery:
    """A query object with `to_dict()`, as elasticsearch.dsl's are."""

    def __init__(self, field: str, value: str) -> None:
        self.field, self.value = field, value

    def to_dict(self) -> dict[str, Any]:
        return {"term": {self.field: self.value}}


def same_first_name(user: User) -> dict[str, Any]:
    return {
        "bool": {
            "filter": [{"term": {"first_name": user.first_name}}],
            "must_not": [{"ids": {"values": [user.id]}}],
        }
    }


class RelationsUow(UnitOfWork):
    users: Repository[User]
    posts: Repository[Post]
    profiles: Repository[Profile]
    comments: Repository[Comment]


MakeUow = Callable[..., RelationsUow]
Setup = Callable[..., Awaitable[MakeUow]]


@pytest.fixture
def setup(es_client: AsyncElasticsearch, index_prefix: str) -> Setup:
    """Build the registry under this test's prefix (with chosen defaults), create indices."""

    async def build(
        *,
        user_load: Sequence[str] | None = None,
        post_load: Sequence[str] | None = None,
        user_depth: int | None = None,
        comment_window: int | None = None,
        namesakes: Callable[[User], Any] = same_first_name,
    ) -> MakeUow:
        registry = Registry().with_prefix(index_prefix)
        registry.register(Profile, routing=lambda profile: profile.region)
        window = {"index": {"max_result_window": comment_window}} if comment_window else None
        registry.register(Comment, settings=window)
        registry.register(
            User,
            relations={
                "namesakes": by_query(User, namesakes, sort="id"),
                "mentor": to_one(User, key="mentor_id"),
                "profile": to_one(Profile, key="profile_id", routing=lambda user: user.region),
            },
        )
        registry.register(
            Post,
            relations={
                "author": to_one(User, key="author_id"),
                "comments": to_many(Comment, key="post_id", sort="id"),
            },
            load=post_load,
        )
        registry.relate(
            User,
            {"posts": to_many(Post, key="author_id", sort="id")},
            load=user_load,
            relation_depth=user_depth,
        )
        await IndexManager(es_client, registry).create_all()

        def make(**options: Any) -> RelationsUow:
            return RelationsUow(es_client, registry, **options)

        return make

    return build


def blog(users: int = 20, posts: int = 100) -> list[BaseModel]:
    """`users` authors, `posts` posts spread evenly over them."""
    authors: list[BaseModel] = [User(id=f"u{i:02}", first_name=f"n{i}") for i in range(users)]
    written: list[BaseModel] = [
        Post(id=f"p{i:03}", author_id=f"u{i % users:02}", title=f"t{i}") for i in range(posts)
    ]
    return authors + written


# -- request counts ---------------------------------------------------------------------------


async def test_posts_with_authors_take_two_requests(
    setup: Setup, es_client: AsyncElasticsearch
) -> None:
    make_uow = await setup()
    await seed(make_uow, *blog())
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            result = await uow.posts.search(size=100, load=["author"])
        assert [r.endpoint for r in log.requests] == ["_search", "_mget"]
        assert len(log.to("_mget")[0].body["docs"]) == 20  # de-duplicated ids
        assert len(result) == 100
        for post in result:
            author = post.author.get()
            assert author is not None and author.id == post.author_id
        with record_requests(es_client) as log:
            direct = await uow.users.get("u03")
        assert len(log) == 0  # answered from the identity map
        assert all(p.author.get() is direct for p in result if p.author_id == "u03")


async def test_posts_authors_and_their_posts_take_three_requests(
    setup: Setup, es_client: AsyncElasticsearch
) -> None:
    make_uow = await setup()
    await seed(make_uow, *blog())
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            result = await uow.posts.search(size=100, load=["author", "author.posts"])
        assert [r.endpoint for r in log.requests] == ["_search", "_mget", "_search"]
        by_id = {post.id: post for post in result}
        for post in result:
            author = post.author.get()
            assert author is not None
            written = author.posts.get()
            assert [p.id for p in written] == sorted(
                p.id for p in result if p.author_id == author.id
            )
            assert all(by_id[p.id] is p for p in written)  # one instance per document


async def test_every_read_loads_relations(setup: Setup, es_client: AsyncElasticsearch) -> None:
    make_uow = await setup()
    await seed(make_uow, *blog(users=4, posts=12))
    async with make_uow() as uow:
        one = await uow.posts.get("p001", load=["author"])
        assert one.author.get() is not None
        found = await uow.users.find("u01", load=["posts"])
        assert found is not None and [p.id for p in found.posts] == ["p001", "p005", "p009"]
        many = await uow.posts.get_many(["p002", "p003", "nope"], load=["author"])
        assert [p.author.value.id for p in many if p.author.value] == ["u02", "u03"]
        first = await uow.posts.search_one({"term": {"id": "p004"}}, load=["author"])
        assert first is not None and first.author.get() is not None
        page = await uow.posts.page(
            pagination=Pagination(page=2, page_size=5), sort="id", load=["author"]
        )
        assert [p.id for p in page.items] == ["p005", "p006", "p007", "p008", "p009"]
        assert all(p.author.loaded for p in page.items)
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            async with uow.posts.iterate(sort="id", page_size=5, load=["author"]) as stream:
                streamed = [post async for post in stream]
        assert len(streamed) == 12 and all(p.author.get() is not None for p in streamed)
        assert len(log.to("_mget")) == 3  # one per page of 5, 5 and 2


async def test_load_later_is_one_batch_and_reading_before_raises(
    setup: Setup, es_client: AsyncElasticsearch
) -> None:
    make_uow = await setup()
    await seed(make_uow, *blog(users=5, posts=30))
    async with make_uow() as uow:
        posts = (await uow.posts.search(size=30)).items
        with pytest.raises(RelationNotLoadedError) as raised:
            posts[0].author.get()
        message = str(raised.value)
        assert "Post.author" in message and "load=['author']" in message
        assert ".load(entities, 'author')" in message
        assert not posts[0].author.loaded
        with record_requests(es_client) as log:
            same = await uow.posts.load(posts, "author", "comments")
        assert same == posts
        assert sorted(r.endpoint for r in log.requests) == ["_mget", "_search"]
        assert all(p.author.loaded and p.comments.get() == [] for p in posts)


# -- query-defined relations, concurrency and depth ---------------------------------------------


async def test_namesakes_are_the_same_at_depth_one_and_two_within_the_limit(
    setup: Setup, es_client: AsyncElasticsearch
) -> None:
    make_uow = await setup(user_load=["namesakes"])  # always loaded, as a lazy property
    anns = [User(id=f"a{i}", first_name="Ann") for i in range(10)]
    bobs = [User(id=f"b{i}", first_name="Bob") for i in range(3)]
    await seed(make_uow, *anns, *bobs)
    seen: dict[int, dict[str, list[str]]] = {}
    for depth in (1, 2):
        async with make_uow(relation_concurrency=3) as uow:
            with record_requests(es_client) as log:
                result = await uow.users.search({"term": {"first_name": "Ann"}}, depth=depth)
            assert 1 < log.max_in_flight <= 3
            assert len(log.to("_search")) == 1 + 10  # the search, then one per owner
            seen[depth] = {u.id: [n.id for n in u.namesakes] for u in result}
            namesake = result.items[0].namesakes.get()[0]
            assert any(namesake is u for u in result)  # the instances the search returned
    assert seen[1] == seen[2]
    assert seen[1]["a0"] == [f"a{i}" for i in range(1, 10)]


async def test_query_objects_with_to_dict_and_none_queries(
    setup: Setup, es_client: AsyncElasticsearch
) -> None:
    def query(user: User) -> TermQuery | None:
        return None if user.first_name == "Nobody" else TermQuery("first_name", user.first_name)

    make_uow = await setup(namesakes=query)
    await seed(
        make_uow,
        User(id="1", first_name="Ann"),
        User(id="2", first_name="Ann"),
        User(id="3", first_name="Nobody"),
    )
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            found = await uow.users.get_many(["1", "2", "3"], load=["namesakes"])
        assert len(log.to("_search")) == 1  # one search per distinct query
        ann, ann2, nobody = found.entities
        assert [u.id for u in ann.namesakes] == ["1", "2"] == [u.id for u in ann2.namesakes]
        assert nobody.namesakes.get() == []


async def test_depth_limits_default_loads_and_cycles_stop_without_error(
    setup: Setup, es_client: AsyncElasticsearch
) -> None:
    make_uow = await setup(user_load=["mentor"], user_depth=2)
    chain = [User(id=f"m{i}", first_name="x", mentor_id=f"m{(i + 1) % 4}") for i in range(4)]
    await seed(make_uow, *chain)  # m0 -> m1 -> m2 -> m3 -> m0
    async with make_uow() as uow:
        m0 = await uow.users.get("m0")  # the registry's depth: 2
        m1 = m0.mentor.get()
        assert m1 is not None and m1.id == "m1"
        m2 = m1.mentor.get()
        assert m2 is not None and m2.id == "m2"
        assert not m2.mentor.loaded
    async with make_uow() as uow:
        m0 = await uow.users.get("m0", depth=1)
        assert not mentor_of(m0).mentor.loaded
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            m0 = await uow.users.get("m0", depth=10)
        assert [r.endpoint for r in log.requests] == ["_doc", "_mget", "_mget", "_mget"]
        assert mentor_of(mentor_of(mentor_of(mentor_of(m0)))) is m0


def mentor_of(user: User) -> User:
    mentor = user.mentor.get()
    assert mentor is not None
    return mentor


async def test_cycle_through_defaults_stops_at_the_limit(
    setup: Setup, es_client: AsyncElasticsearch
) -> None:
    make_uow = await setup(user_load=["posts"], post_load=["author"], user_depth=6)
    await seed(make_uow, *blog(users=2, posts=4))
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            user = await uow.users.get("u00")
        assert [r.endpoint for r in log.requests] == ["_doc", "_search"]  # authors: identity map
        for post in user.posts:
            assert post.author.get() is user
            assert post.comments.loaded is False  # not a default
        dumped = user.model_dump()  # a loaded cycle still dumps: cut where the user repeats
        assert [p["id"] for p in dumped["posts"]] == ["p000", "p002"]
        assert dumped["posts"][0]["author"] is None
    async with make_uow() as uow:
        posts = await uow.posts.get_many(["p000", "p001"], depth=1)
        author = posts.entities[0].author.get()
        assert author is not None and not author.posts.loaded  # defaults stop at depth 1


# -- identity, change tracking and what is stored -----------------------------------------------


async def test_related_entity_changes_are_committed_and_owners_stay_clean(
    setup: Setup, es_client: AsyncElasticsearch
) -> None:
    make_uow = await setup()
    await seed(make_uow, *blog(users=2, posts=4))
    async with make_uow() as uow:
        posts = (await uow.posts.search(size=10, load=["author", "author.posts"])).items
        with record_requests(es_client) as log:
            nothing = await uow.commit()
        assert nothing.written == 0 and len(log) == 0  # loading did not make anything dirty
        author = posts[0].author.get()
        assert author is not None
        author.first_name = "Changed"
        with record_requests(es_client) as log:
            result = await uow.commit()
        assert result.updated == 1
        lines = log.to("_bulk")[0].ndjson()
        assert lines[0]["index"]["_id"] == author.id
        assert without_writes(lines[1]) == {"id": author.id, "first_name": "Changed",
                            "region": "eu", "mentor_id": None, "profile_id": None}  # fmt: skip
    async with make_uow() as uow:
        assert (await uow.users.get(author.id)).first_name == "Changed"


async def test_stored_source_and_mapping_never_hold_relations(
    setup: Setup, es_client: AsyncElasticsearch
) -> None:
    make_uow = await setup()
    ann = User(id="1", first_name="Ann")
    await seed(make_uow, ann, Post(id="p", author_id="1", title="t", author=One(ann)))
    async with make_uow() as uow:
        post = await uow.posts.get("p", load=["author", "comments"])
        post.title = "changed"
        await uow.commit()
        index = uow.posts.mapping.index
        properties = uow.posts.mapping.properties
    stored = await es_client.get(index=index, id="p")
    assert without_writes(stored["_source"]) == {"id": "p", "author_id": "1", "title": "changed"}
    assert "author" not in properties and "comments" not in properties
    users = await es_client.indices.get_mapping(index=uow.users.mapping.index)
    stored_fields = next(iter(users.body.values()))["mappings"]["properties"]
    assert {"posts", "namesakes", "mentor", "profile"}.isdisjoint(stored_fields)


async def test_dumps_leave_relations_out_until_loaded_then_show_the_related_data(
    setup: Setup,
) -> None:
    make_uow = await setup()
    await seed(make_uow, *blog(users=1, posts=2))
    async with make_uow() as uow:
        post = await uow.posts.get("p000")
        assert post.model_dump() == {"id": "p000", "author_id": "u00", "title": "t0"}
        await uow.posts.load([post], "author")
        dumped = post.model_dump(mode="json")
        assert dumped["author"]["first_name"] == "n0"
        assert "posts" not in dumped["author"]  # not loaded on that side
        assert post.model_dump_json().startswith('{"id":"p000"')


# -- bad input and routing ----------------------------------------------------------------------


async def test_missing_targets_read_as_none_or_are_left_out(
    setup: Setup, es_client: AsyncElasticsearch
) -> None:
    make_uow = await setup()
    await seed(
        make_uow,
        User(id="ann", first_name="Ann"),
        User(id="lonely", first_name="Lonely"),
        Post(id="p1", author_id="ann", title="ok"),
        Post(id="p2", author_id="ghost", title="orphan"),
        Comment(id="c1", post_id="p1", text="hi"),
        Comment(id="c2", post_id="deleted-post", text="orphan"),
    )
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            posts = await uow.posts.get_many(["p1", "p2"], load=["author", "comments"])
        assert len(log) == 3
        p1, p2 = posts.entities
        assert p1.author.get() is not None and p2.author.get() is None
        assert [c.id for c in p1.comments] == ["c1"] and p2.comments.get() == []
        lonely = await uow.users.get("lonely", load=["posts", "mentor"])
        assert lonely.posts.get() == [] and lonely.mentor.get() is None
    async with make_uow() as uow:
        ann = await uow.users.get("ann")
        uow.users.remove(ann)
        post = await uow.posts.get("p1", load=["author"])
        assert post.author.get() is None  # removed in this unit of work


async def test_to_one_routing_is_sent(setup: Setup, es_client: AsyncElasticsearch) -> None:
    make_uow = await setup()
    await seed(
        make_uow,
        Profile(id="pr1", region="us", bio="hello"),
        User(id="1", first_name="Ann", region="us", profile_id="pr1"),
    )
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            user = await uow.users.get("1", load=["profile"])
        profile = user.profile.get()
        assert profile is not None and profile.bio == "hello"
        assert log.to("_mget")[0].body["docs"] == [
            {"_index": uow.profiles.mapping.index, "_id": "pr1", "routing": "us"}
        ]
        assert await uow.profiles.get("pr1", routing="us") is profile


async def test_to_many_beyond_the_window_falls_back_to_a_point_in_time(
    setup: Setup, es_client: AsyncElasticsearch
) -> None:
    make_uow = await setup(comment_window=5)
    comments = [Comment(id=f"c{i:02}", post_id="p1", text="x") for i in range(12)]
    await seed(make_uow, Post(id="p1", author_id="a", title="t"), *comments)
    async with make_uow() as uow:
        with record_requests(es_client) as log:
            post = await uow.posts.get("p1", load=["comments"])
        assert [c.id for c in post.comments] == [f"c{i:02}" for i in range(12)]
        assert log.to("_search")[0].body["size"] == 5
        assert len(log.to("_pit")) == 2  # opened, then closed


async def test_to_many_includes_targets_added_in_the_unit_and_leaves_out_removed_ones(
    setup: Setup,
) -> None:
    make_uow = await setup()
    await seed(make_uow, *blog(users=2, posts=4))
    async with make_uow() as uow:
        author = await uow.users.get("u00")
        gone = await uow.posts.get("p000")
        uow.posts.remove(gone)
        draft = uow.posts.add(Post(id="draft", author_id="u00", title="unsent"))
        newcomer = uow.users.add(User(id="new", first_name="N"))
        first = uow.posts.add(Post(id="first", author_id="new", title="hello"))
        await uow.users.load([author, newcomer], "posts")
        assert [p.id for p in author.posts.get()] == ["p002", "draft"]
        assert author.posts.get()[-1] is draft
        assert newcomer.posts.get() == [first]

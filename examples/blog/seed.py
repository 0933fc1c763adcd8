"""The demo's data: four users in three regions and the posts they publish."""

from __future__ import annotations

import datetime

from examples.blog.domain import Post, User

_TOPICS = (
    "the unit of work",
    "identity maps",
    "one bulk request",
    "optimistic concurrency",
    "shard routing",
    "points in time",
)
_FIRST_POST = datetime.datetime(2024, 5, 1, 9, 0, tzinfo=datetime.UTC)


def demo_users() -> list[User]:
    """Fresh user instances (a unit of work keeps the instances it is given)."""
    return [
        User(id="ada", name="Ada Lovelace", email="ada@example.org", region="eu"),
        User(id="grace", name="Grace Hopper", email="grace@example.org", region="us"),
        User(id="linus", name="Linus Torvalds", email="linus@example.org", region="eu"),
        User(id="matz", name="Yukihiro Matsumoto", email="matz@example.org", region="asia"),
    ]


def demo_posts(users: list[User], count: int) -> list[Post]:
    """`count` posts, one an hour, written by the users in turn, each in its author's region."""
    posts = []
    for number in range(1, count + 1):
        author = users[(number - 1) % len(users)]
        topic = _TOPICS[(number - 1) % len(_TOPICS)]
        posts.append(
            Post(
                id=f"post-{number:02d}",
                author_id=author.id,
                region=author.region,
                title=f"On {topic} ({number})",
                body=f"{author.name} writes about {topic}.",
                tags=[topic.split()[-1]],
                published_at=_FIRST_POST + datetime.timedelta(hours=number),
            )
        )
    return posts

"""`If-Match` and `If-None-Match` as values: parsed once, evaluated as RFC 9110 section 13 says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from esorm.etags._tags import EntityTag, parse_tag_list


@dataclass(frozen=True, slots=True)
class IfMatch:
    """An `If-Match` header: proceed only if the current version is one of `tags`, or
    (`wildcard`, `*`) if there is a current version at all.

    Compared strongly: a weak tag never matches, so a list of weak tags always fails.
    """

    tags: tuple[EntityTag, ...] = ()
    wildcard: bool = False

    @property
    def strong_tags(self) -> tuple[EntityTag, ...]:
        """The tags that can match (weak ones never do)."""
        return tuple(tag for tag in self.tags if not tag.weak)

    def holds(self, current: str | EntityTag | None) -> bool:
        """Whether a write may proceed, given the current ETag (None: no such document)."""
        if current is None:
            return False
        if self.wildcard:
            return True
        tag = _tag(current)
        return any(candidate.strong_match(tag) for candidate in self.tags)

    def __str__(self) -> str:
        return "*" if self.wildcard else ", ".join(str(tag) for tag in self.tags)


@dataclass(frozen=True, slots=True)
class IfNoneMatch:
    """An `If-None-Match` header: proceed only if the current version is none of `tags`, or
    (`wildcard`, `*`) if there is no current version at all.

    Compared weakly. When it fails, a read answers 304 Not Modified and a write 412.
    """

    tags: tuple[EntityTag, ...] = ()
    wildcard: bool = False

    def holds(self, current: str | EntityTag | None) -> bool:
        """Whether the request may proceed, given the current ETag (None: no such document)."""
        if current is None:
            return True
        if self.wildcard:
            return False
        tag = _tag(current)
        return not any(candidate.weak_match(tag) for candidate in self.tags)

    def __str__(self) -> str:
        return "*" if self.wildcard else ", ".join(str(tag) for tag in self.tags)


Precondition: TypeAlias = IfMatch | IfNoneMatch
"""What an entity can be pinned to: the version a client expects, or that it must not exist."""


def parse_if_match(header: str | None) -> IfMatch | None:
    """An `If-Match` header value (several header lines joined with commas); None when absent.

    Raises:
        InvalidETagError: it is empty or not `*` or a list of entity tags.
    """
    if header is None:
        return None
    tags = parse_tag_list(header, "If-Match")
    return IfMatch(wildcard=True) if tags is None else IfMatch(tags)


def parse_if_none_match(header: str | None) -> IfNoneMatch | None:
    """An `If-None-Match` header value; None when absent.

    Raises:
        InvalidETagError: it is empty or not `*` or a list of entity tags.
    """
    if header is None:
        return None
    tags = parse_tag_list(header, "If-None-Match")
    return IfNoneMatch(wildcard=True) if tags is None else IfNoneMatch(tags)


def _tag(current: str | EntityTag) -> EntityTag:
    return current if isinstance(current, EntityTag) else EntityTag.parse(current)

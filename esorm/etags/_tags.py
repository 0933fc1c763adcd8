"""Entity tags as RFC 9110 defines them: one tag, a list of them, and the two comparisons."""

from __future__ import annotations

import re
from dataclasses import dataclass

from esorm.errors import InvalidETagError

_OPAQUE = re.compile(r"[\x21\x23-\x7e\x80-\xff]*")
"""`etagc`: any visible character but the double quote, and obs-text."""

_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
_SPACE = " \t"


@dataclass(frozen=True, slots=True)
class EntityTag:
    """One entity tag: its opaque text (without quotes) and whether it is weak (`W/"..."`).

    `str(tag)` is its header form. Strong comparison (If-Match) needs both tags strong and
    equal; weak comparison (If-None-Match) compares the text only (RFC 9110 8.8.3.2).
    """

    opaque: str
    weak: bool = False

    def __post_init__(self) -> None:
        if not _OPAQUE.fullmatch(self.opaque):
            raise InvalidETagError(
                f"{self.opaque!r} cannot be an entity tag: it may hold visible characters "
                f"other than the double quote only"
            )

    @classmethod
    def parse(cls, text: str) -> EntityTag:
        """One tag in its header form: `"abc"` or `W/"abc"`.

        Raises:
            InvalidETagError: it is not an entity tag (an unquoted value, for one).
        """
        match = _TAG.fullmatch(text.strip(_SPACE))
        if match is None:
            raise InvalidETagError(
                f'{text!r} is not an entity tag: an ETag is quoted, as in "abc" or W/"abc"'
            )
        return cls(match.group(2), weak=match.group(1) is not None)

    def strong_match(self, other: EntityTag) -> bool:
        """RFC 9110's strong comparison: neither tag weak, the same text."""
        return not self.weak and not other.weak and self.opaque == other.opaque

    def weak_match(self, other: EntityTag) -> bool:
        """RFC 9110's weak comparison: the same text, weak or not."""
        return self.opaque == other.opaque

    def __str__(self) -> str:
        return f'{"W/" if self.weak else ""}"{self.opaque}"'


def parse_tag_list(header: str, name: str) -> tuple[EntityTag, ...] | None:
    """The tags of an `If-Match`/`If-None-Match` value, None for `*`.

    Follows the list rule: elements separated by commas with optional spaces, empty
    elements ignored; a tag may itself hold commas, so the text is scanned, not split.

    Raises:
        InvalidETagError: the value is empty, mixes `*` with tags, or holds anything but
            quoted tags; the message names the header and where it went wrong.
    """
    text = header.strip(_SPACE)
    if text == "*":
        return None
    tags: list[EntityTag] = []
    position, end = 0, len(text)
    while position < end:
        while position < end and text[position] in " \t,":
            position += 1
        if position == end:
            break
        match = _TAG.match(text, position)
        if match is None:
            raise InvalidETagError(_malformed(name, header, text[position:]))
        tags.append(EntityTag(match.group(2), weak=match.group(1) is not None))
        position = match.end()
        while position < end and text[position] in _SPACE:
            position += 1
        if position < end and text[position] != ",":
            raise InvalidETagError(_malformed(name, header, text[position:]))
    if not tags:
        raise InvalidETagError(
            f"{name} is empty: send `*` or the ETag (quotes included) that a GET answered with"
        )
    return tuple(tags)


def _malformed(name: str, header: str, rest: str) -> str:
    return (
        f"{name}: {header!r} is not `*` or a list of entity tags (cannot read {rest[:40]!r}); "
        f'send the ETag a GET answered with, quotes included, as in {name}: "abc"'
    )

"""Entity tags, If-Match / If-None-Match and esorm's ETag format, without a server."""

from __future__ import annotations

import pytest

from esorm.errors import InvalidETagError
from esorm.etags import (
    EntityTag,
    EntityVersion,
    IfMatch,
    IfNoneMatch,
    kind_of,
    parse_if_match,
    parse_if_none_match,
    place_of,
)

pytestmark = pytest.mark.unit


# -- one tag ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "opaque", "weak"),
    [
        ('"abc"', "abc", False),
        ('W/"abc"', "abc", True),
        ('  "a,b"\t', "a,b", False),
        ('""', "", False),
        ('"caf\xe9"', "caf\xe9", False),  # obs-text, as a server decodes header bytes
    ],
)
def test_a_tag_is_read_in_its_header_form(text: str, opaque: str, weak: bool) -> None:
    tag = EntityTag.parse(text)
    assert (tag.opaque, tag.weak) == (opaque, weak)
    assert str(tag) == text.strip(" \t")


@pytest.mark.parametrize("text", ["abc", '"abc', 'w/"abc"', '"a"b"', '"a\x01"', 'W/ "a"', ""])
def test_anything_but_a_quoted_tag_is_refused(text: str) -> None:
    with pytest.raises(InvalidETagError, match="not an entity tag"):
        EntityTag.parse(text)


def test_a_tag_cannot_hold_a_quote() -> None:
    with pytest.raises(InvalidETagError, match="double quote"):
        EntityTag('a"b')


def test_strong_and_weak_comparison_follow_rfc_9110() -> None:
    strong, weak = EntityTag("1"), EntityTag("1", weak=True)
    assert strong.strong_match(EntityTag("1"))
    assert not strong.strong_match(weak) and not weak.strong_match(weak)
    assert strong.weak_match(weak) and weak.weak_match(weak)
    assert not strong.weak_match(EntityTag("2"))


# -- the headers --------------------------------------------------------------------------------


def test_lists_are_scanned_not_split() -> None:
    parsed = parse_if_match('"a,b", , W/"c",\t"d" ,')
    assert parsed is not None
    assert [str(tag) for tag in parsed.tags] == ['"a,b"', 'W/"c"', '"d"']
    assert [tag.opaque for tag in parsed.strong_tags] == ["a,b", "d"]
    assert str(parsed) == '"a,b", W/"c", "d"'


@pytest.mark.parametrize("header", ["*", " * "])
def test_a_star_means_any_version(header: str) -> None:
    assert parse_if_match(header) == IfMatch(wildcard=True)
    assert parse_if_none_match(header) == IfNoneMatch(wildcard=True)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", "If-Match is empty"),
        (" , ", "If-Match is empty"),
        ('*, "a"', "not `\\*` or a list"),
        ('"a" "b"', "cannot read '\"b\"'"),
        ("abc", "cannot read 'abc'"),
        ('"a", b', "cannot read 'b'"),
    ],
)
def test_malformed_headers_say_what_to_send(header: str, message: str) -> None:
    with pytest.raises(InvalidETagError, match=message):
        parse_if_match(header)


def test_absent_headers_are_none() -> None:
    assert parse_if_match(None) is None and parse_if_none_match(None) is None


def test_if_match_holds_only_for_a_strongly_matching_current_version() -> None:
    listed = IfMatch((EntityTag("1"), EntityTag("2", weak=True)))
    assert listed.holds('"1"') and listed.holds(EntityTag("1"))
    assert not listed.holds('"2"')  # weak tags never match If-Match
    assert not listed.holds('W/"1"')
    assert not listed.holds(None)  # no current version: a tag cannot match
    assert IfMatch(wildcard=True).holds('"9"') and not IfMatch(wildcard=True).holds(None)


def test_if_none_match_holds_unless_a_tag_matches_weakly() -> None:
    listed = IfNoneMatch((EntityTag("1", weak=True),))
    assert not listed.holds('"1"')  # weak comparison: the client's copy is current
    assert listed.holds('"2"') and listed.holds(None)
    assert not IfNoneMatch(wildcard=True).holds('"2"')
    assert IfNoneMatch(wildcard=True).holds(None)


# -- esorm's format ------------------------------------------------------------------------------


def test_a_version_round_trips_through_its_etag() -> None:
    version = EntityVersion.of("Post", "blog_posts_v2", "p1", 17, 3)
    tag = version.etag
    assert not tag.weak
    assert EntityVersion.read(tag) == version
    assert EntityVersion.read(EntityTag.parse(str(version))) == version
    assert (version.seq_no, version.primary_term) == (17, 3)


def test_the_format_is_stable_across_releases() -> None:
    # tags handed out before an upgrade must still be read after it
    assert str(EntityVersion.of("Post", "blog_posts", "p1", 5, 1)) == (
        f'"{kind_of("Post")}.{place_of("blog_posts", "p1")}.1.5"'
    )
    assert kind_of("Post") == "fd6bcffe"
    assert place_of("blog_posts", "p1") == "c36f958fce95"


def test_type_index_and_id_each_change_the_tag() -> None:
    base = EntityVersion.of("Post", "posts_v1", "p1", 5, 1)
    assert EntityVersion.of("User", "posts_v1", "p1", 5, 1).kind != base.kind
    assert EntityVersion.of("Post", "posts_v2", "p1", 5, 1).place != base.place
    assert EntityVersion.of("Post", "posts_v1", "p2", 5, 1).place != base.place


@pytest.mark.parametrize(
    "text",
    [
        '"abc"',
        'W/"fd6bcffe.c36f958fce95.1.5"',  # weak: never one of esorm's
        '"fd6bcffe.c36f958fce95.01.5"',  # leading zeros would make two texts of one version
        '"FD6BCFFE.c36f958fce95.1.5"',
        '"fd6bcffe.c36f958fce95.1"',
    ],
)
def test_other_tags_carry_no_version(text: str) -> None:
    assert EntityVersion.read(EntityTag.parse(text)) is None

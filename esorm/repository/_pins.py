"""A tracked entity's ETag, and pinning it to the version a client expects (`If-Match`,
`If-None-Match`), so that its next write is guarded by the client's version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esorm.errors import (
    ConflictError,
    InvalidEntityError,
    InvalidETagError,
    PreconditionFailedError,
    WriteFailure,
)
from esorm.etags import (
    EntityVersion,
    IfMatch,
    IfNoneMatch,
    Precondition,
    kind_of,
    parse_if_match,
)
from esorm.mapping import EntityMapping
from esorm.repository._identity import Entry, IdentityMap, Pin, State

Expected = str | Precondition
"""An `If-Match` header value as sent, or a parsed `IfMatch` / `IfNoneMatch`."""


def entry_version(entry: Entry) -> EntityVersion | None:
    """The version the server last confirmed for an entry; None before it has one."""
    if entry.seq_no is None or entry.primary_term is None:
        return None
    mapping_name = entry.mapping.name
    return EntityVersion.of(mapping_name, entry.index, entry.id, entry.seq_no, entry.primary_term)


def entry_etag(entry: Entry) -> str | None:
    """The strong ETag of the version the server last confirmed for an entry."""
    version = entry_version(entry)
    return None if version is None else str(version)


def precondition_of(expected: Expected) -> Precondition:
    """A precondition as given: a string is read as an `If-Match` header value.

    Raises:
        InvalidETagError: the string is not `*` or a list of entity tags.
    """
    if isinstance(expected, IfMatch | IfNoneMatch):
        return expected
    parsed = parse_if_match(expected)
    assert parsed is not None  # a string is never "absent"
    return parsed


def pin_entry(identity: IdentityMap, entry: Entry, expected: Precondition) -> None:
    """Pin an entry to what a client expects of its document, or refuse now.

    `If-Match` pins the entry only when it holds exactly one of the client's versions;
    its next write is then guarded by it, so a write that lands meanwhile makes the server
    refuse ours. A tracked version newer than the client's is refused at once (the
    client's copy is stale); one older than a tag means this unit loaded the document
    before a change the client saw (a `ConflictError`: load it again). `If-None-Match: *`
    pins an added entity as create-only: the server refusing its create is the client's
    precondition failing.

    Raises:
        PreconditionFailedError: the tracked version is not one the client accepts.
        ConflictError: this unit holds an older version than the client saw.
        InvalidETagError: no tag matched, and one of them esorm did not make, or made for
            another entity type (a request that may proceed is never refused for it).
    """
    if isinstance(expected, IfNoneMatch):
        _pin_absent(identity, entry, expected)
    else:
        _pin_version(identity, entry, expected)


def _pin_version(identity: IdentityMap, entry: Entry, expected: IfMatch) -> None:
    current = entry_version(entry)
    if current is None:
        _unversioned(entry, "If-Match")
        raise _refused(entry, "the document does not exist yet (it was added in this unit)")
    if not expected.wildcard:
        versions, unreadable = _versions(entry.mapping, expected)
        if current not in versions:
            if unreadable:  # nothing matched, and the client sent tags that cannot match
                raise unreadable[0]
            if not versions:
                raise _refused(entry, "weak ETags never match If-Match, which compares strongly")
            _refuse_version(entry, current, versions)
    identity.pins[id(entry)] = Pin(entry, entry.seq_no, entry.primary_term)


def _refuse_version(entry: Entry, current: EntityVersion, versions: list[EntityVersion]) -> None:
    here = [version for version in versions if version.place == current.place]
    if any(version.seq_no > current.seq_no for version in here):
        name = f"{entry.mapping.name} {entry.id!r}"
        reason = (
            f"this unit of work holds {name} at {current}, older than the version the client "
            f"expects: it was loaded before a change the client has seen; load it again in "
            f"a new unit of work"
        )
        raise ConflictError([_failure(entry, 409, "stale_tracked_version", reason)])
    if here:
        raise _refused(entry, f"the client expects {_listed(here)}, an older version")
    raise _refused(
        entry,
        f"the client's ETag {_listed(versions)} was made for another document, or for an "
        f"index this document is no longer in",
    )


def _pin_absent(identity: IdentityMap, entry: Entry, expected: IfNoneMatch) -> None:
    current = entry_version(entry)
    if current is None:
        _unversioned(entry, "If-None-Match")
        if expected.wildcard:  # added in this unit: its create must not meet a document
            identity.pins[id(entry)] = Pin(entry, None, None)
        return
    if expected.wildcard:
        raise _refused(entry, "the document exists, and If-None-Match: * allows creating only")
    if not expected.holds(current.etag):
        raise _refused(entry, "the client's copy is the current version (If-None-Match)")


def _unversioned(entry: Entry, header: str) -> None:
    """Refuse entities written by `put()` without a loaded version: nothing to compare."""
    if entry.state is not State.NEW:
        raise InvalidEntityError(
            f"{entry.mapping.name} {entry.id!r} is written by put() without a loaded version, "
            f"so {header} cannot be checked against it: load it with get(), or add() it to "
            f"create it"
        )


def _versions(
    mapping: EntityMapping[Any], expected: IfMatch
) -> tuple[list[EntityVersion], list[InvalidETagError]]:
    """The versions the strong tags of `expected` carry (weak tags never match), and the
    errors naming tags esorm did not make or made for another entity type."""
    kind = kind_of(mapping.name)
    versions: list[EntityVersion] = []
    unreadable: list[InvalidETagError] = []
    for tag in expected.strong_tags:
        version = EntityVersion.read(tag)
        if version is None:
            unreadable.append(
                InvalidETagError(
                    f"If-Match: {tag} is not an ETag esorm made for a {mapping.name}; send "
                    f"the ETag that a GET of it answered with"
                )
            )
        elif version.kind != kind:
            unreadable.append(
                InvalidETagError(
                    f"If-Match: {tag} is an ETag of another entity type, not of a {mapping.name}"
                )
            )
        else:
            versions.append(version)
    return versions, unreadable


def check_pin_kept(identity: IdentityMap, entry: Entry, hit: Mapping[str, Any]) -> None:
    """Refuse to complete a pinned, partially loaded entity from a newer version.

    Raises:
        PreconditionFailedError: the document changed since the entity was pinned.
    """
    pin = identity.pin_of(entry)
    if pin is None or pin.seq_no is None:
        return
    seq_no, term = hit.get("_seq_no"), hit.get("_primary_term")
    if (seq_no, term) == (pin.seq_no, pin.primary_term) and hit.get("_index") == entry.index:
        return
    if not isinstance(seq_no, int) or not isinstance(term, int):
        raise _refused(entry, "the document changed after it was pinned")
    index = str(hit.get("_index", entry.index))
    current = EntityVersion.of(entry.mapping.name, index, entry.id, seq_no, term)
    raise _refused(entry, "the document changed after it was pinned", str(current))


def _refused(entry: Entry, reason: str, current: str | None = None) -> PreconditionFailedError:
    """The refusal of a pin, with the document's current ETag: by default the entry's."""
    failure = _failure(entry, 412, "precondition_failed", reason)
    return PreconditionFailedError([failure], current_etag=current or entry_etag(entry))


def _failure(entry: Entry, status: int, kind: str, reason: str) -> WriteFailure:
    return WriteFailure(entry.entity, "pin", entry.index, entry.id, status, kind, reason)


def _listed(versions: list[EntityVersion]) -> str:
    return ", ".join(str(version) for version in versions)

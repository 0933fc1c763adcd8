"""Facts about the installed elasticsearch client's version."""

from __future__ import annotations

import re

from elasticsearch._version import __versionstr__ as _CLIENT_VERSION

from esorm.errors import VersionMismatchError


def parse_version(number: str) -> tuple[int, int, int]:
    """Read ``major.minor.patch`` from a version string such as ``8.15.3-SNAPSHOT``."""
    match = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", number)
    if match is None:
        raise VersionMismatchError(f"cannot read a version from {number!r}")
    return int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)


def client_version_string() -> str:
    """The installed ``elasticsearch`` package's version string, e.g. ``9.5.1``."""
    return _CLIENT_VERSION


def client_version() -> tuple[int, int, int]:
    """The installed ``elasticsearch`` package's version, e.g. ``(9, 5, 1)``."""
    return parse_version(_CLIENT_VERSION)


def install_hint(major: int) -> str:
    """The pip command that installs the client for a server of ``major``."""
    return f'pip install "elasticsearch[async]>={major},<{major + 1}"'

"""Redaction of credentials from URLs and messages."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?(?P<userinfo>[^/?#@\s]*)@")
_MASK = "***"


def redact_url(url: str) -> str:
    """Return ``url`` with any ``user:password@`` part replaced by ``***@``.

    Safe for any string: text that does not parse as a URL is still scrubbed.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO.sub(lambda m: f"{m.group('scheme') or ''}{_MASK}@", url, count=1)
    if "@" not in parts.netloc:
        return _USERINFO.sub(lambda m: f"{m.group('scheme') or ''}{_MASK}@", url, count=1)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{_MASK}@{host}"))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each non-empty secret in ``text`` by ``***``."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text

"""Redaction of credentials from URLs and messages."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Without a scheme: everything up to the last "@" of the first word is credentials.
_USERINFO = re.compile(r"^[^\s]*@")
_MASK = "***"


def split_userinfo(url: str) -> tuple[str | None, str]:
    """``url`` as (userinfo or None, the URL without it).

    The userinfo is everything between ``://`` and the last ``@``: a password may hold
    ``/``, ``?``, ``#`` or ``@``, which URL parsers read as the start of a path, a query,
    a fragment or the host, leaving the secret in the host or the path.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return None, url
    userinfo, _, host = rest.rpartition("@")
    return userinfo, f"{scheme}://{host}"


def redact_url(url: str) -> str:
    """Return ``url`` with any ``user:password@`` part replaced by ``***@``.

    Safe for any string: text that does not parse as a URL is still scrubbed.
    """
    userinfo, clean = split_userinfo(url)
    if userinfo is not None:
        scheme, _, host = clean.partition("://")
        return f"{scheme}://{_MASK}@{host}"
    if "://" in url:
        return url
    return _USERINFO.sub(f"{_MASK}@", url, count=1)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each non-empty secret in ``text`` by ``***``."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text

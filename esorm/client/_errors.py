"""One boundary that turns transport failures into esorm errors with redacted URLs."""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from elasticsearch import ApiError, AsyncElasticsearch, TransportError, UnsupportedProductError

from esorm._internal import server_errors
from esorm.client._compat import client_version, install_hint
from esorm.client._redact import redact_url, scrub
from esorm.client._settings import ConnectionSettings
from esorm.errors import (
    ClusterAccessError,
    ConnectionFailedError,
    EsormError,
    IndexMissingError,
    QueryError,
    ServerError,
    VersionMismatchError,
)

_HostsLike = ConnectionSettings | str | Iterable[str]


def _hosts_of(where: _HostsLike) -> tuple[list[str], list[str]]:
    """Return (redacted hosts, secrets) for the settings, URL or URLs given."""
    if isinstance(where, ConnectionSettings):
        return [redact_url(h) for h in where.hosts], where.secrets()
    urls = [where] if isinstance(where, str) else list(where)
    return [redact_url(u) for u in urls], []


def client_secrets(client: AsyncElasticsearch) -> list[str]:
    """The credentials a client sends (decoded too), for scrubbing them from messages:
    an answer to a refused login may quote the user, an error may echo a header."""
    found: list[str] = []
    headers = [getattr(client, "_headers", None) or {}]
    headers += [node.config.headers for node in client.transport.node_pool.all()]
    for header in headers:
        value = str(header.get("authorization") or "")
        scheme, _, token = value.partition(" ")
        if not token:
            continue
        found.append(token)
        if scheme.lower() in ("basic", "apikey"):
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                found.extend(base64.b64decode(token, validate=True).decode().split(":", 1))
    return [secret for secret in found if len(secret) > 2]


def client_hosts(client: AsyncElasticsearch) -> list[str]:
    """The base URLs of the client's configured nodes, redacted."""
    urls: list[str] = []
    for node in client.transport.node_pool.all():
        config = node.config
        host = f"[{config.host}]" if ":" in config.host else config.host
        urls.append(redact_url(f"{config.scheme}://{host}:{config.port}{config.path_prefix}"))
    return urls


def _root_cause(exc: BaseException) -> str:
    """The most specific message a transport error carries, e.g. ``Connection refused``."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        errors = getattr(exc, "errors", ())
        inner = errors[0] if errors else exc.__cause__
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return f"{type(exc).__name__}: {exc}"


def describe_connection_error(exc: BaseException, where: _HostsLike) -> str:
    """Say what failed and where, with credentials removed.

    Args:
        exc: The underlying error (transport, API or timeout).
        where: The settings, URL or URLs the client was talking to.
    """
    hosts, secrets = _hosts_of(where)
    target = ", ".join(hosts) or "<no host>"
    if isinstance(exc, ApiError):
        text = f"the server at {target} answered HTTP {exc.meta.status}: {error_reason(exc)}"
    elif isinstance(exc, TimeoutError):
        text = f"could not reach Elasticsearch at {target}: no answer before the deadline"
    else:
        text = f"could not reach Elasticsearch at {target}: {_root_cause(exc)}"
    # Foreign messages may quote a URL with its userinfo or echo a secret: scrub both.
    return scrub(redact_all_urls(text), secrets)


def redact_all_urls(text: str) -> str:
    """Redact the userinfo of every URL found inside free text."""
    return re.sub(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+", lambda m: redact_url(m.group(0)), text)


def is_compat_header_rejection(exc: BaseException) -> bool:
    """True when the server refused the client's ``compatible-with`` media type.

    A real Elasticsearch 8 answers any request of the 9.x client (which sends
    ``Accept: application/vnd.elasticsearch+json; compatible-with=9``) with
    ``400 media_type_header_exception`` "Invalid media-type value on headers
    [Content-Type, Accept]", caused by "Accept version must be either version
    8 or 7, but found 9".
    """
    if not isinstance(exc, ApiError) or exc.meta.status not in (400, 406):
        return False
    text = f"{exc.message} {exc.body}"
    return "media_type_header_exception" in text or "compatible-with" in text


def version_mismatch_from(exc: ApiError, where: _HostsLike) -> VersionMismatchError:
    """Build the error for a server that refused the client's compatibility headers."""
    hosts, secrets = _hosts_of(where)
    major = client_version()[0]
    reason = scrub(error_reason(exc), secrets)
    return VersionMismatchError(
        f"the server at {', '.join(hosts)} rejected the requests of elasticsearch-py "
        f"{major}.x (it sends 'compatible-with={major}' headers): {reason}. The server is "
        f"most likely Elasticsearch {major - 1}.x or older; install the client matching "
        f"the server's major version, e.g. {install_hint(major - 1)}"
    )


def probe_failure(exc: ApiError, where: _HostsLike) -> EsormError:
    """Translate an error answer to ``GET /`` (the readiness and version probe).

    Any error answer there means the client cannot work with this server:
    rejected compatibility headers become ``VersionMismatchError``; refused
    credentials, a non-Elasticsearch product or a wrong URL path become
    ``ConnectionFailedError`` saying what to check.
    """
    if is_compat_header_rejection(exc):
        return version_mismatch_from(exc, where)
    secrets = _hosts_of(where)[1]
    base = describe_connection_error(exc, where)
    if isinstance(exc, UnsupportedProductError):
        hint = "the server does not identify as Elasticsearch (no X-Elastic-Product header)"
    elif exc.meta.status in (401, 403):
        hint = "check the credentials (api key, user and password, or token)"
    else:
        hint = "check that the URL points at Elasticsearch, including any path prefix"
    return ConnectionFailedError(scrub(f"{base}; {hint}", secrets))


def _error_object(source: object) -> object:
    """The `error` object of an API error, a response body, or a bulk item's error."""
    if isinstance(source, ApiError):
        source = source.body
    if isinstance(source, Mapping) and "error" in source:
        source = source["error"]
    return source


def error_type(source: object) -> str:
    """The server's error type (`index_not_found_exception`...), or "" when it gives none.

    Args:
        source: an `ApiError`, an error response body, or the `error` object itself.
    """
    return server_errors.error_type(_error_object(source))


def error_reason(source: object) -> str:
    """The server's most specific reason ("type: reason (caused by ...)"), to quote in a
    message; the exception's text when its body has no error object."""
    error = _error_object(source)
    if error is None or (isinstance(error, Mapping) and not error):
        return str(getattr(source, "message", None) or source or "")
    return server_errors.error_reason(error)


@contextmanager
def translate_transport_errors(where: _HostsLike) -> Iterator[None]:
    """Turn transport failures raised inside the block into ``ConnectionFailedError``.

    ``ConnectionError``, ``ConnectionTimeout`` and other ``TransportError``s
    become ``ConnectionFailedError``; a rejection of the client's
    compatibility headers becomes ``VersionMismatchError``. Other API errors
    (404, 409, ...) pass through untouched. Messages name the redacted URL and
    never a credential; the original is chained as ``__cause__``.
    """
    try:
        yield
    except TransportError as exc:
        raise ConnectionFailedError(describe_connection_error(exc, where)) from exc
    except ApiError as exc:
        if is_compat_header_rejection(exc):
            raise version_mismatch_from(exc, where) from exc
        raise


@contextmanager
def translate_errors(
    action: str, hosts: Iterable[str], secrets: Iterable[str] = ()
) -> Iterator[None]:
    """The boundary of document requests: every failure below becomes an esorm error.

    Transport failures become `ConnectionFailedError`; refused credentials or rights
    (401/403) `ClusterAccessError`; the cluster's own failures (5xx) `ServerError`; a
    missing index `IndexMissingError`; a refused request (400) `QueryError` with the
    server's reason; rejected compatibility headers `VersionMismatchError`. Messages
    start with `action` ("search User") and never carry `secrets` nor URL credentials.
    """
    hosts, secrets = list(hosts), list(secrets)
    try:
        yield
    except TransportError as exc:
        message = describe_connection_error(exc, hosts)
        raise ConnectionFailedError(scrub(f"{action}: {message}", secrets)) from exc
    except ApiError as exc:
        translated = translate_api_error(exc, action, hosts, secrets)
        if translated is exc:
            raise
        raise translated from exc


def translate_api_error(
    exc: ApiError, action: str, hosts: list[str], secrets: list[str]
) -> EsormError | ApiError:
    """The esorm error for an error answer to a document request (the answer itself when
    no esorm error says more: a 404 or 409 its caller handles)."""
    status = exc.meta.status
    where = ", ".join(hosts)
    if is_compat_header_rejection(exc):
        return version_mismatch_from(exc, hosts)
    if error_type(exc) == "index_not_found_exception":
        error = _error_object(exc)
        index = error.get("index", "?") if isinstance(error, Mapping) else "?"
        return IndexMissingError.of(str(index), action=action)
    reason = scrub(error_reason(exc), secrets)
    if status in (401, 403):
        what = "the credentials" if status == 401 else "what the credentials may do"
        return ClusterAccessError(
            f"{action}: the cluster at {where} refused {what} (HTTP {status}): {reason}; "
            f"check the api key, user and password, or token, and the user's roles"
        )
    if status >= 500:
        return ServerError(
            f"{action}: the cluster at {where} failed (HTTP {status}): {reason}", status=status
        )
    if status == 400:
        return QueryError(f"{action}: the server refused the request: {reason}")
    return exc

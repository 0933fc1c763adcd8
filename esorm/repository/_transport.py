"""The boundary where transport failures of repository and commit requests become esorm errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from elasticsearch import ApiError, AsyncElasticsearch, TransportError

from esorm.client import client_hosts, describe_connection_error
from esorm.errors import ConnectionFailedError, IndexMissingError, QueryError


@contextmanager
def translate_errors(client: AsyncElasticsearch, action: str) -> Iterator[None]:
    """Raise `ConnectionFailedError` naming the action and the node when the transport fails."""
    try:
        yield
    except TransportError as exc:
        message = describe_connection_error(exc, client_hosts(client))
        raise ConnectionFailedError(f"{action}: {message}") from exc
    except ApiError as exc:
        error = exc.body.get("error") if isinstance(exc.body, dict) else None
        if isinstance(error, dict) and error.get("type") == "index_not_found_exception":
            raise IndexMissingError(
                f"{action}: index {error.get('index', '?')!r} does not exist; create it with "
                f"IndexManager(client, registry).create_all()"
            ) from exc
        if exc.meta.status == 400:
            raise QueryError(f"{action}: the server refused the request: {_reason(error)}") from exc
        raise


def _reason(error: object) -> str:
    """The most specific type and reason of an Elasticsearch error body."""
    if not isinstance(error, dict):
        return str(error)
    root = error.get("root_cause")
    if isinstance(root, list) and root and isinstance(root[0], dict):
        error = root[0]
    cause = error.get("caused_by")
    reason = f"{error.get('type', 'error')}: {error.get('reason', '')}"
    if isinstance(cause, dict) and cause.get("reason"):
        reason += f" (caused by {cause.get('type')}: {cause['reason']})"
    return reason

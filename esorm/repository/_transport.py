"""The boundary where transport failures of repository and commit requests become esorm errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from elasticsearch import AsyncElasticsearch, TransportError

from esorm.client import describe_connection_error
from esorm.errors import ConnectionFailedError


def node_urls(client: AsyncElasticsearch) -> list[str]:
    """The URLs of the client's nodes; node configs hold no credentials (those are headers)."""
    return [
        f"{node.config.scheme}://{node.config.host}:{node.config.port}{node.config.path_prefix}"
        for node in client.transport.node_pool.all()
    ]


@contextmanager
def translate_errors(client: AsyncElasticsearch, action: str) -> Iterator[None]:
    """Raise `ConnectionFailedError` naming the action and the node when the transport fails."""
    try:
        yield
    except TransportError as exc:
        message = describe_connection_error(exc, node_urls(client))
        raise ConnectionFailedError(f"{action}: {message}") from exc

"""The error boundary of index management: transport failures and the server's refusals."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from elasticsearch import ApiError, AsyncElasticsearch

from esorm.client import client_hosts, error_type, translate_transport_errors
from esorm.errors import MappingError
from esorm.indices._plan import IndexPlan


@contextmanager
def transport_boundary(client: AsyncElasticsearch) -> Iterator[None]:
    """Re-raise transport failures as `ConnectionFailedError` naming the redacted node URLs."""
    with translate_transport_errors(client_hosts(client)):
        yield


def is_refusal(exc: ApiError) -> bool:
    """True when the server refused the request's content (400), not the client's headers."""
    return exc.meta.status == 400 and error_type(exc) != "media_type_header_exception"


class IndexDriftError(MappingError):
    """Live indices that do not match the registry; every problem of every one is named."""

    def __init__(self, plans: Sequence[IndexPlan]) -> None:
        self.plans = tuple(plans)
        lines = "\n".join(str(plan) for plan in self.plans)
        super().__init__(
            f"{len(self.plans)} indices do not match their entities; run "
            f"IndexManager.create_all() for missing indices and fields, migrate the others:\n"
            f"{lines}"
        )

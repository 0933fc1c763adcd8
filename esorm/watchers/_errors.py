"""The watcher errors, and the one boundary that turns the server's answers into them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from elasticsearch import ApiError, AsyncElasticsearch

from esorm.client import client_hosts, error_reason, error_type, translate_transport_errors
from esorm.errors import ConfigurationError, EsormError

NO_WATCHER_API = (
    "this server has no Watcher API (needs Elasticsearch with a license that includes Watcher)"
)
_MASK = "***"


class WatchDefinitionError(ConfigurationError):
    """A watch that cannot work: bad name, interval, cron, input, condition or action.

    Raised before any request for what esorm can check, and for a definition the server
    refused (its reason included, secrets masked).
    """


class NotRunnableLocallyError(WatchDefinitionError):
    """A watch esorm's local runner cannot run as Watcher would: a Painless script, an
    email action, a cron form croniter lacks... Raised when the runner starts, naming the
    watch and the part; such a watch needs Elasticsearch's Watcher."""


class WatcherUnavailableError(EsormError):
    """The server offers no usable Watcher API: an emulator, Watcher disabled, or the basic
    license. Any license above basic includes Watcher, a trial too."""


class WatchBusyError(EsormError):
    """A watch asked to run now is being executed by a runner (this one or another)."""


class WatchNotFoundError(EsormError):
    """A watch that was named does not exist on the server."""

    def __init__(self, watch_id: str, doing: str) -> None:
        self.watch_id = watch_id
        super().__init__(
            f"{doing}: watch {watch_id!r} does not exist; put it first with WatcherManager.put(...)"
        )


@contextmanager
def watcher_boundary(client: AsyncElasticsearch, doing: str) -> Iterator[None]:
    """Translate transport failures, and a server without Watcher, raised inside the block.

    Other API errors (404, 400 refusals) pass through for the caller to translate.
    """
    hosts = client_hosts(client)
    with translate_transport_errors(hosts):
        try:
            yield
        except ApiError as exc:
            problem = _unavailable(exc)
            if problem is None:
                raise
            raise WatcherUnavailableError(
                f"{doing}: {NO_WATCHER_API}; the server at {', '.join(hosts)} {problem}"
            ) from exc


def _unavailable(exc: ApiError) -> str | None:
    """Why the server cannot run watches, or None when the error is about something else."""
    text = f"{exc.message} {exc.body}"
    status = exc.meta.status
    if status in (400, 404, 405) and "no handler found" in text:
        return f"answered HTTP {status}: {error_reason(exc)} (Watcher is missing or disabled)"
    if status == 410 or error_type(exc) == "api_not_available_exception":
        return f"answered HTTP {status}: {error_reason(exc)}"
    if status == 403 and ("license.expired.feature" in text or "non-compliant" in text):
        return (
            f"refused it: {error_reason(exc)}; start a trial (POST "
            f"/_license/start_trial?acknowledge=true) or install a license that includes Watcher"
        )
    return None


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every non-empty secret in `text` by `***`, longest first."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text

"""The installed client's version and the server-version check."""

from __future__ import annotations

from dataclasses import dataclass

from elasticsearch import ApiError, AsyncElasticsearch

from esorm.client._compat import client_version, client_version_string, install_hint, parse_version
from esorm.client._errors import client_hosts, probe_failure, translate_transport_errors
from esorm.errors import VersionMismatchError


@dataclass(frozen=True, slots=True)
class ServerVersion:
    """What the server says it is, as read from ``GET /``."""

    number: str
    major: int
    minor: int
    distribution: str = "elasticsearch"


async def check_server_version(client: AsyncElasticsearch) -> ServerVersion:
    """Check that the server and the installed client can talk; return the server version.

    The elasticsearch client sends ``compatible-with=<client major>`` media
    types on every request. The rules:

    * The server refuses those headers (a real Elasticsearch 8 answers a 9.x
      client with ``400 media_type_header_exception``): ``VersionMismatchError``
      naming the client to install.
    * The server's major is newer than the client's: ``VersionMismatchError``
      asking for the newer client.
    * The server's major is older but it answered anyway: accepted. The server
      evidently understands the headers; the embedded noida-db server reports
      8.15.3 and accepts the 9.x client this way.
    * Same major: accepted.

    Raises:
        VersionMismatchError: As above.
        ConnectionFailedError: The server could not be reached, refused the
            credentials or is not Elasticsearch.
    """
    where = client_hosts(client)
    try:
        with translate_transport_errors(where):
            info = await client.info()
    except ApiError as exc:
        raise probe_failure(exc, where) from exc
    version = info.body.get("version", {})
    number = str(version.get("number", ""))
    distribution = str(version.get("distribution", "elasticsearch"))
    if distribution != "elasticsearch":
        raise VersionMismatchError(
            f"the server at {', '.join(where)} is {distribution} {number}, "
            f"not Elasticsearch; use that product's own client"
        )
    server_major, server_minor, _ = parse_version(number)
    client_major = client_version()[0]
    if server_major > client_major:
        raise VersionMismatchError(
            f"the server at {', '.join(where)} is Elasticsearch {number} but "
            f"the installed client is elasticsearch-py {client_version_string()}; "
            f"install the matching client: {install_hint(server_major)}"
        )
    return ServerVersion(number=number, major=server_major, minor=server_minor)

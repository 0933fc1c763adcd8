"""Run the official Elasticsearch image through testcontainers (needs Docker)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from esorm.client import client_version
from esorm.errors import ConfigurationError, ConnectionFailedError

IMAGE_ENV = "ESORM_DOCKER_IMAGE"
_DEFAULT_TAGS = {8: "8.19.4", 9: "9.1.4"}
_ENV = {
    "discovery.type": "single-node",
    "xpack.security.enabled": "false",
    "xpack.security.http.ssl.enabled": "false",
    "ES_JAVA_OPTS": "-Xms512m -Xmx512m",
}


def default_image() -> str:
    """The official image whose major matches the installed client's major."""
    override = os.environ.get(IMAGE_ENV, "").strip()
    if override:
        return override
    major = client_version()[0]
    tag = _DEFAULT_TAGS.get(major, f"{major}.0.0")
    return f"docker.elastic.co/elasticsearch/elasticsearch:{tag}"


@contextmanager
def docker_elasticsearch(image: str | None = None) -> Iterator[str]:
    """Start a single-node Elasticsearch without security; yield its URL; remove it after."""
    try:
        # testcontainers >= 4.14 moved the module under ``community``.
        from testcontainers.community.elasticsearch import ElasticSearchContainer
    except ModuleNotFoundError:
        try:
            from testcontainers.elasticsearch import ElasticSearchContainer
        except ModuleNotFoundError:
            raise ConfigurationError(
                "ESORM_TEST_BACKEND=docker needs testcontainers and Docker: "
                'pip install "testcontainers[elasticsearch]"'
            ) from None
    name = image or default_image()
    container = None
    try:
        container = ElasticSearchContainer(name, mem_limit="2g")
        for key, value in _ENV.items():
            container.with_env(key, value)
        container.start()
    except Exception as exc:
        if container is not None:
            with contextlib.suppress(Exception):
                container.stop()
        raise ConnectionFailedError(
            f"could not start the Elasticsearch container {name!r}: "
            f"{type(exc).__name__}: {exc}. Is Docker running? Or pick another backend "
            f"with ESORM_TEST_BACKEND=embedded or url"
        ) from exc
    try:
        host = container.get_container_host_ip()
        yield f"http://{host}:{container.get_exposed_port(container.port)}"
    finally:
        container.stop()

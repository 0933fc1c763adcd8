"""Run the official Elasticsearch image through testcontainers (needs Docker)."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any, cast

from esorm.client import client_version
from esorm.errors import ConfigurationError, ConnectionFailedError

IMAGE_ENV = "ESORM_DOCKER_IMAGE"
IMAGE_REPOSITORY = "docker.elastic.co/elasticsearch/elasticsearch"
TESTCONTAINERS_FOR_9 = (4, 14, 1)
"""The first testcontainers whose ElasticSearchContainer accepts 9.x images."""
SERVER_SETTINGS = {
    "discovery.type": "single-node",
    "xpack.security.enabled": "false",
    "xpack.security.http.ssl.enabled": "false",
    # a nearly full CI disk would otherwise turn the test indices read-only
    "cluster.routing.allocation.disk.threshold_enabled": "false",
    "ES_JAVA_OPTS": "-Xms512m -Xmx512m",
}


def default_image(
    client: tuple[int, int, int] | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The official image of the client's ``major.minor``: client 9.5.1 runs server 9.5.0.

    Elastic tags full versions only (no floating ``9.5``), and each client minor
    ships with that server minor's ``.0``, so ``major.minor.0`` always exists.
    ``ESORM_DOCKER_IMAGE`` picks another image (a later patch, a mirror).
    """
    override = (os.environ if environ is None else environ).get(IMAGE_ENV, "").strip()
    if override:
        return override
    major, minor, _ = client or client_version()
    return f"{IMAGE_REPOSITORY}:{major}.{minor}.0"


def image_major(image: str) -> int | None:
    """The major version in an image's tag (``...:9.5.0`` -> 9), as testcontainers reads it."""
    match = re.match(r"(\d+)\.\d+\.\d+", image.rsplit(":", 1)[-1])
    return int(match.group(1)) if match else None


def installed_testcontainers() -> str | None:
    """The installed testcontainers version, or ``None`` when it is missing."""
    try:
        return version("testcontainers")
    except PackageNotFoundError:
        return None


def unsupported_image(image: str, installed: str | None) -> str | None:
    """Why this testcontainers cannot run ``image``, or ``None`` when it can."""
    if installed is None:
        return (
            'the docker backend needs testcontainers: pip install "testcontainers[elasticsearch]"'
        )
    major = image_major(image)
    found = tuple(int(part) for part in re.findall(r"\d+", installed)[:3])
    if major is not None and major >= 9 and found < TESTCONTAINERS_FOR_9:
        floor = ".".join(map(str, TESTCONTAINERS_FOR_9))
        return (
            f"testcontainers {installed} does not accept Elasticsearch {major}.x images "
            f"({image!r}); {floor} is the first that does: "
            f'pip install "testcontainers[elasticsearch]>={floor}"'
        )
    return None


def container_class() -> type[Any]:
    """testcontainers' ``ElasticSearchContainer``, wherever this version keeps it."""
    try:  # 4.15 moved it under ``community`` (the old path still works there, with a warning)
        from testcontainers.community.elasticsearch import ElasticSearchContainer
    except ModuleNotFoundError:
        from testcontainers.elasticsearch import ElasticSearchContainer
    return cast("type[Any]", ElasticSearchContainer)


def refused_image(exc: ValueError, image: str, installed: str | None) -> ConfigurationError:
    """What to raise when ElasticSearchContainer refuses the image (it has no Docker problem)."""
    return ConfigurationError(
        f"testcontainers {installed} refused the image {image!r} (ValueError: {exc}); "
        f"set {IMAGE_ENV} to an image it accepts, or upgrade testcontainers"
    )


def docker_failure(exc: Exception, image: str) -> ConnectionFailedError:
    """What to raise when Docker could not be reached or the container did not start."""
    return ConnectionFailedError(
        f"could not start the Elasticsearch container {image!r}: "
        f"{type(exc).__name__}: {exc}. Is Docker running? Or pick another backend "
        f"with ESORM_TEST_BACKEND=embedded or url"
    )


@contextmanager
def docker_elasticsearch(image: str | None = None) -> Iterator[str]:
    """Start a single-node Elasticsearch without security; yield its URL; remove it after."""
    name = image or default_image()
    installed = installed_testcontainers()
    problem = unsupported_image(name, installed)
    if problem is not None:
        raise ConfigurationError(problem)
    try:
        container = container_class()(name, mem_limit="2g")  # contacts Docker first
    except ValueError as exc:
        raise refused_image(exc, name, installed) from exc
    except Exception as exc:
        raise docker_failure(exc, name) from exc
    try:
        for key, value in SERVER_SETTINGS.items():
            container.with_env(key, value)
        container.start()
    except Exception as exc:
        with contextlib.suppress(Exception):
            container.stop()
        raise docker_failure(exc, name) from exc
    try:
        host = container.get_container_host_ip()
        yield f"http://{host}:{container.get_exposed_port(container.port)}"
    finally:
        container.stop()

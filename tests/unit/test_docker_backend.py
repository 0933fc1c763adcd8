"""How the docker backend picks its image and settings, and what it says when it cannot run."""

from __future__ import annotations

import importlib

import pytest

from esorm.client import client_version
from esorm.errors import ConfigurationError
from esorm.testing import _docker
from esorm.testing._docker import (
    IMAGE_REPOSITORY,
    SERVER_SETTINGS,
    container_class,
    default_image,
    docker_elasticsearch,
    docker_failure,
    image_major,
    refused_image,
    unsupported_image,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("client", "tag"),
    [((9, 5, 1), "9.5.0"), ((9, 1, 0), "9.1.0"), ((8, 19, 3), "8.19.0"), ((8, 13, 0), "8.13.0")],
)
def test_the_image_follows_the_clients_major_and_minor(
    client: tuple[int, int, int], tag: str
) -> None:
    assert default_image(client, environ={}) == f"{IMAGE_REPOSITORY}:{tag}"


def test_the_installed_client_picks_the_image_by_default() -> None:
    major, minor, _ = client_version()
    assert default_image(environ={}).endswith(f":{major}.{minor}.0")


def test_the_environment_picks_another_image() -> None:
    environ = {"ESORM_DOCKER_IMAGE": " elasticsearch:9.5.2 "}
    assert default_image((8, 19, 0), environ=environ) == "elasticsearch:9.5.2"
    assert default_image((9, 5, 1), environ={"ESORM_DOCKER_IMAGE": " "}).endswith(":9.5.0")


def test_testcontainers_reads_the_major_from_the_tag_and_accepts_it() -> None:
    # testcontainers falls back to 8.x settings for a tag it cannot read, such as "9.5"
    module = importlib.import_module(container_class().__module__)
    _major_version_from_image_name = module._major_version_from_image_name
    _environment_by_version = module._environment_by_version
    image = default_image(environ={})
    assert _major_version_from_image_name(image) == image_major(image) == client_version()[0]
    assert _environment_by_version(client_version()[0])["xpack.security.enabled"] == "false"


def test_the_server_is_one_node_without_security() -> None:
    assert SERVER_SETTINGS["discovery.type"] == "single-node"
    assert SERVER_SETTINGS["xpack.security.enabled"] == "false"
    assert "-Xmx512m" in SERVER_SETTINGS["ES_JAVA_OPTS"]


@pytest.mark.parametrize(
    ("installed", "image", "refused"),
    [
        ("4.14.0", f"{IMAGE_REPOSITORY}:9.5.0", True),
        ("4.4.0", f"{IMAGE_REPOSITORY}:9.0.0", True),
        ("4.14.1", f"{IMAGE_REPOSITORY}:9.5.0", False),
        ("4.15.0rc2", f"{IMAGE_REPOSITORY}:9.5.0", False),
        ("4.4.0", f"{IMAGE_REPOSITORY}:8.19.0", False),
    ],
)
def test_testcontainers_too_old_for_9_is_named(installed: str, image: str, refused: bool) -> None:
    problem = unsupported_image(image, installed)
    if refused:
        assert problem is not None
        assert f"testcontainers {installed} does not accept Elasticsearch 9.x" in problem
        assert '"testcontainers[elasticsearch]>=4.14.1"' in problem
    else:
        assert problem is None


def test_missing_testcontainers_says_what_to_install() -> None:
    assert "pip install" in (unsupported_image("elasticsearch:9.5.0", None) or "")


def test_an_old_testcontainers_fails_before_docker_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_docker, "installed_testcontainers", lambda: "4.13.3")
    with (
        pytest.raises(ConfigurationError, match=r"testcontainers 4\.13\.3 does not accept"),
        docker_elasticsearch(f"{IMAGE_REPOSITORY}:9.5.0"),
    ):
        pytest.fail("started a container")


def test_a_refused_image_is_not_blamed_on_docker() -> None:
    error = refused_image(
        ValueError("Unknown elasticsearch version given: 10"), "es:10.0.0", "4.15.0"
    )
    assert "testcontainers 4.15.0 refused the image 'es:10.0.0'" in str(error)
    assert "Unknown elasticsearch version given: 10" in str(error)
    assert "Docker" not in str(error)
    assert "Is Docker running?" in str(docker_failure(OSError("no socket"), "es:9.5.0"))

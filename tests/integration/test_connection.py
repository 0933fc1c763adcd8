"""Connecting to a real server: readiness, errors without secrets, versions, process hygiene."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.client import (
    ConnectionSettings,
    check_server_version,
    client_version,
    connect,
    create_client,
    translate_transport_errors,
    wait_until_ready,
)
from esorm.errors import ConfigurationError, ConnectionFailedError, VersionMismatchError
from esorm.testing import EmbeddedServer, RunningServer, delete_prefixed, find_free_port
from esorm.testing._embedded import noida_binary

pytestmark = pytest.mark.integration

SECRET = "pa55-W0rd-never-shown"
API_KEY = "YXBpLWtleS1uZXZlci1zaG93bg=="


# --- readiness and connect ---------------------------------------------------------------


async def test_connect_waits_checks_and_closes(esorm_server: RunningServer) -> None:
    async with connect(esorm_server.settings, wait=10.0) as client:
        info = await client.info()
        assert info["version"]["number"]


async def test_es_client_fixture_is_ready(es_client: AsyncElasticsearch) -> None:
    assert (await es_client.ping()) is True


async def test_check_server_version_accepts_the_server(es_client: AsyncElasticsearch) -> None:
    version = await check_server_version(es_client)
    assert version.major >= 8
    assert version.number.startswith(f"{version.major}.{version.minor}")


async def test_wait_until_ready_polls_until_a_late_server_answers() -> None:
    server = EmbeddedServer(port=find_free_port())
    client = create_client(ConnectionSettings(hosts=[server.url]))
    loop = asyncio.get_running_loop()

    def start_later() -> None:
        time.sleep(0.7)
        server.start()

    starting = loop.run_in_executor(None, start_later)
    try:
        await wait_until_ready(client, timeout=30.0, interval=0.1)
        assert (await client.info())["version"]["number"]
    finally:
        await starting
        server.stop()
        await client.close()


# --- failures name the URL and never a secret --------------------------------------------


@pytest.fixture
def closed_port() -> int:
    return find_free_port()


@pytest.mark.parametrize(
    "credentials",
    [
        {"basic_auth": ("elastic", SECRET)},
        {"api_key": SECRET},
        {"api_key": ("key-id", SECRET)},
        {"bearer_auth": SECRET},
        {"url_userinfo": True},
    ],
    ids=["basic", "api_key", "api_key_pair", "bearer", "url_userinfo"],
)
async def test_unreachable_server_fails_fast_without_secrets(
    closed_port: int, credentials: dict[str, object]
) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    if credentials.pop("url_userinfo", False):
        settings = ConnectionSettings(hosts=[f"http://elastic:{SECRET}@127.0.0.1:{closed_port}"])
    else:
        settings = ConnectionSettings(hosts=[url], **credentials)
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError) as info:
        async with connect(settings, wait=1.0):
            pytest.fail("connected to a closed port")
    assert time.monotonic() - started < 5.0
    message = str(info.value)
    assert url in message
    assert "gave up after 1s" in message
    assert SECRET not in message
    assert SECRET not in repr(info.value)


async def test_unreachable_without_wait_is_translated_too(closed_port: int) -> None:
    settings = ConnectionSettings(
        hosts=[f"http://127.0.0.1:{closed_port}"], api_key=API_KEY, max_retries=0
    )
    with pytest.raises(ConnectionFailedError) as info:
        async with connect(settings, check_version=True):
            pass
    assert f"127.0.0.1:{closed_port}" in str(info.value)
    assert API_KEY not in str(info.value)
    assert isinstance(info.value.__cause__, Exception)


async def test_translate_transport_errors_at_a_call_site(closed_port: int) -> None:
    settings = ConnectionSettings(
        hosts=[f"http://127.0.0.1:{closed_port}"], basic_auth=("u", SECRET), max_retries=0
    )
    client = create_client(settings)
    try:
        with (
            pytest.raises(ConnectionFailedError, match=f"127.0.0.1:{closed_port}") as info,
            translate_transport_errors(settings),
        ):
            await client.search(index="anything")
        assert SECRET not in str(info.value)
    finally:
        await client.close()


async def test_api_errors_pass_through_translation(es_client: AsyncElasticsearch) -> None:
    from elasticsearch import NotFoundError

    with pytest.raises(NotFoundError), translate_transport_errors("http://ignored"):
        await es_client.get(index="esorm-no-such-index", id="1")


# --- version check against servers that answer like other Elasticsearch majors ------------


class _FakeEs(BaseHTTPRequestHandler):
    """Answers ``GET /`` like Elasticsearch ``number`` would, including ES 8's rejection.

    A real Elasticsearch 8 refuses ``compatible-with=9`` media types with
    ``400 media_type_header_exception`` (elastic/elasticsearch-py#2927). Not a
    mock of the client: the real client talks HTTP to this server.
    """

    number = "8.19.0"
    url = ""
    answers: list[int] = []  # statuses to answer first, one per request
    product = True

    def do_GET(self) -> None:
        if self.answers:
            status = self.answers.pop(0)
            self._send(status, {"error": {"type": f"status_{status}", "reason": "x"}})
            return
        major = int(self.number.split(".")[0])
        accept = self.headers.get("Accept", "")
        wanted = re.search(r"compatible-with=(\d+)", accept)
        if wanted and int(wanted.group(1)) > major:
            reason = "Invalid media-type value on headers [Accept]"
            body = {
                "error": {
                    "root_cause": [{"type": "media_type_header_exception", "reason": reason}],
                    "type": "media_type_header_exception",
                    "reason": reason,
                    "caused_by": {
                        "type": "status_exception",
                        "reason": f"Accept version must be either version {major} or "
                        f"{major - 1}, but found {wanted.group(1)}. Accept={accept}",
                    },
                },
                "status": 400,
            }
            self._send(400, body)
            return
        self._send(
            200,
            {"name": "fake", "cluster_name": "fake", "version": {"number": self.number}},
        )

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if self.product:
            self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def fake_es() -> Iterator[type[_FakeEs]]:
    """Yield a handler class whose ``number`` the test sets; the server runs meanwhile."""

    class Handler(_FakeEs):
        number = f"{client_version()[0]}.1.0"
        answers: list[int] = []

    handler = Handler
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


async def test_older_server_rejecting_headers_names_the_client_to_install(
    fake_es: type[_FakeEs],
) -> None:
    major = client_version()[0]
    if major <= 8:
        pytest.skip("needs a client newer than Elasticsearch 8")
    fake_es.number = f"{major - 1}.17.0"
    settings = ConnectionSettings(hosts=[fake_es.url], basic_auth=("u", SECRET))
    for wait in (None, 2.0):
        with pytest.raises(VersionMismatchError) as info:
            async with connect(settings, wait=wait):
                pytest.fail("the check should have failed")
        message = str(info.value)
        assert f'pip install "elasticsearch[async]>={major - 1},<{major}"' in message
        assert "media_type_header_exception" in message
        assert fake_es.url in message
        assert SECRET not in message


async def test_newer_server_asks_for_newer_client(fake_es: type[_FakeEs]) -> None:
    major = client_version()[0]
    fake_es.number = f"{major + 1}.0.1"
    async with connect(ConnectionSettings(hosts=[fake_es.url]), check_version=False) as client:
        with pytest.raises(VersionMismatchError, match=rf">={major + 1},<{major + 2}"):
            await check_server_version(client)


async def test_older_server_that_accepts_the_headers_is_accepted(
    fake_es: type[_FakeEs],
) -> None:
    # This is the embedded server's case: it reports 8.x and answers the 9.x client.
    major = client_version()[0]
    fake_es.number = f"{major}.1.0"
    async with connect(ConnectionSettings(hosts=[fake_es.url])) as client:
        assert (await check_server_version(client)).major == major


async def test_wait_retries_while_the_server_is_unavailable(fake_es: type[_FakeEs]) -> None:
    fake_es.answers = [503, 503]
    client = create_client(ConnectionSettings(hosts=[fake_es.url], max_retries=0))
    try:
        await wait_until_ready(client, timeout=10.0, interval=0.05)
        assert fake_es.answers == []
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("status", "product", "hint"),
    [
        (401, True, "check the credentials"),
        (403, True, "check the credentials"),
        (404, True, "check that the URL points at Elasticsearch"),
        (200, False, "does not identify as Elasticsearch"),
    ],
)
async def test_answers_that_waiting_cannot_fix_fail_at_once(
    fake_es: type[_FakeEs], status: int, product: bool, hint: str
) -> None:
    fake_es.product = product
    settings = ConnectionSettings(hosts=[fake_es.url], api_key=API_KEY)
    for wait in (30.0, None):
        fake_es.answers = [status] * 10 if status != 200 else []
        started = time.monotonic()
        with pytest.raises(ConnectionFailedError, match=hint) as info:
            async with connect(settings, wait=wait):
                pytest.fail("connected although the server refused")
        assert time.monotonic() - started < 5.0
        assert fake_es.url in str(info.value)
        assert API_KEY not in str(info.value)


# --- the per-test prefix and its cleanup ---------------------------------------------------


async def test_index_prefix_is_unique_lower_case(index_prefix: str) -> None:
    assert re.fullmatch(r"t[0-9a-f]{8}_", index_prefix)


async def test_cleanup_removes_indices_and_templates(
    es_client: AsyncElasticsearch, index_prefix: str
) -> None:
    other = "zz" + index_prefix  # does not start with the prefix: must survive
    await es_client.indices.create(index=index_prefix + "one")
    await es_client.indices.create(index=index_prefix + "two")
    await es_client.indices.create(index=other)
    await es_client.indices.put_index_template(
        name=index_prefix + "tpl", index_patterns=[index_prefix + "x*"], template={}
    )
    await es_client.cluster.put_component_template(
        name=index_prefix + "ct", template={"settings": {"number_of_shards": 1}}
    )
    await es_client.indices.put_template(
        name=index_prefix + "legacy", index_patterns=[index_prefix + "y*"]
    )
    try:
        await delete_prefixed(es_client, index_prefix)
        left = await es_client.indices.get(index=index_prefix + "*", expand_wildcards="all")
        assert dict(left.body) == {}
        templates = await es_client.options(ignore_status=404).indices.get_index_template(
            name=index_prefix + "*"
        )
        assert templates.body.get("index_templates", []) == []
        components = await es_client.options(ignore_status=404).cluster.get_component_template(
            name=index_prefix + "*"
        )
        assert components.body.get("component_templates", []) == []
        legacy = await es_client.indices.get_template(name=index_prefix + "*")
        assert dict(legacy.body) == {}
        assert await es_client.indices.exists(index=other)
        await delete_prefixed(es_client, index_prefix)  # nothing left: still fine
    finally:
        await es_client.indices.delete(index=other, ignore_unavailable=True)


async def test_cleanup_refuses_wildcards(es_client: AsyncElasticsearch) -> None:
    for prefix in ("", "*", "t*"):
        with pytest.raises(ValueError, match="refusing"):
            await delete_prefixed(es_client, prefix)


# --- the embedded server leaves nothing behind ---------------------------------------------


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def _running(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (an orphan waits for init to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=1.0):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def test_embedded_server_stops_its_whole_process_group() -> None:
    with EmbeddedServer() as server:
        pid = server.pid
        pgid = os.getpgid(pid)
        assert pgid == pid, "the server runs as leader of its own process group"
        assert pgid != os.getpgid(0)
        assert _answers(server.url)
        url = server.url
    assert not server.running
    assert _group_gone(pgid)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not _answers(url)
    server.stop()  # idempotent


def test_a_failing_test_run_leaves_no_server_behind(tmp_path: Path) -> None:
    pid_file = tmp_path / "server.pid"
    (tmp_path / "test_inner.py").write_text(
        "import pathlib\n"
        "async def test_fails(esorm_server, es_client, index_prefix):\n"
        "    await es_client.indices.create(index=index_prefix + 'x')\n"
        f"    pathlib.Path({str(pid_file)!r}).write_text(str(esorm_server.pid))\n"
        "    raise AssertionError('on purpose')\n"
    )
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = session\n"
        "asyncio_default_test_loop_scope = session\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESORM_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "on purpose" in result.stdout
    pid = int(pid_file.read_text())
    assert not _running(pid)
    assert _group_gone(pid)


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "fake-noida"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_server_that_exits_early_raises_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real binary, given an option it rejects: it exits at once.
    wrapper = _script(tmp_path, f'exec "{noida_binary()}" "$@" --no-such-option\n')
    monkeypatch.setenv("ESORM_NOIDA_BIN", str(wrapper))
    server = EmbeddedServer(startup_timeout=10.0)
    with pytest.raises(ConnectionFailedError, match="exited with code") as info:
        server.start()
    assert "no-such-option" in str(info.value)
    assert server.log()  # kept for the caller after the failure
    assert not server.running


def test_server_that_never_answers_is_killed_with_its_children(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    binary = _script(
        tmp_path,
        f'echo "starting slowly"\nsleep 60 &\necho $! > "{marker}"\nwait\n',
    )
    server = EmbeddedServer(binary=binary, startup_timeout=1.0, grace=1.0)
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError, match="did not answer") as info:
        server.start()
    assert "starting slowly" in str(info.value)
    assert time.monotonic() - started < 10.0
    assert not _running(int(marker.read_text()))


def test_server_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    port = find_free_port()
    # Answers HTTP (so start() succeeds) but ignores SIGTERM: stop() must escalate to SIGKILL.
    binary = _script(
        tmp_path,
        "trap '' TERM\n"
        f'exec python3 -c "import http.server, signal, pathlib; '
        f"signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"s = http.server.HTTPServer(('127.0.0.1', {port}), http.server.BaseHTTPRequestHandler); "
        f"pathlib.Path('{ready}').touch(); s.serve_forever()\"\n",
    )
    server = EmbeddedServer(binary=binary, port=port, grace=0.5)
    server.start()
    pgid = server.pid
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5.0
    assert _group_gone(pgid)
    assert ready.exists()


def test_occupied_port_is_refused_before_starting() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"port {port}"):
            EmbeddedServer(port=port).start()


def test_missing_binary_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESORM_NOIDA_BIN", str(tmp_path / "nowhere"))
    with pytest.raises(ConfigurationError, match="not found"):
        EmbeddedServer().start()

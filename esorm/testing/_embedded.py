"""Run the noida-db binary as an embedded Elasticsearch-compatible server."""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO

from esorm.errors import ConfigurationError, ConnectionFailedError
from esorm.testing._process import (
    can_die_with_parent,
    die_with_parent,
    find_free_port,
    kill_group,
    port_is_free,
)

BINARY_ENV = "ESORM_NOIDA_BIN"
_LOG_TAIL = 4000


def noida_binary() -> Path:
    """Locate the real noida-db binary (not its Python wrapper) and make it executable.

    ``ESORM_NOIDA_BIN`` overrides the location.

    Raises:
        ConfigurationError: noida-db is not installed or the binary is missing.
    """
    override = os.environ.get(BINARY_ENV, "").strip()
    if override:
        path = Path(override)
    else:
        try:
            from importlib.resources import files

            path = Path(str(files("noida_db") / "noida-db"))
        except ModuleNotFoundError:
            raise ConfigurationError(
                "the embedded test server needs the noida-db package: pip install noida-db "
                "(or set ESORM_TEST_BACKEND=docker or url)"
            ) from None
    if not path.is_file():
        raise ConfigurationError(f"noida-db binary not found at {path}")
    mode = path.stat().st_mode
    if not mode & stat.S_IXUSR:
        path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


class EmbeddedServer:
    """An embedded Elasticsearch-compatible server (noida-db) on a free loopback port.

    The binary runs directly, in its own process group, and is stopped by
    signalling that group: SIGTERM, then SIGKILL after ``grace`` seconds. An
    ``atexit`` hook stops it too if the caller forgets. Use as a context
    manager or call ``start``/``stop``.

    Args:
        port: Port to listen on; a free one when ``None``.
        data_dir: Where data lives; a temporary directory (removed on stop)
            when ``None``.
        binary: The noida-db binary; found by ``noida_binary`` when ``None``.
        startup_timeout: Seconds to wait for the server to answer.
        grace: Seconds between SIGTERM and SIGKILL on stop.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        port: int | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        binary: str | os.PathLike[str] | None = None,
        startup_timeout: float = 30.0,
        grace: float = 5.0,
    ) -> None:
        self._port = port
        self._data_dir = Path(data_dir) if data_dir is not None else None
        self._binary = Path(binary) if binary is not None else None
        self._startup_timeout = startup_timeout
        self._grace = grace
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._tmp: Path | None = None

    @property
    def port(self) -> int:
        """The port the server listens on (known once started)."""
        if self._port is None:
            raise ConfigurationError("the embedded server has no port before start()")
        return self._port

    @property
    def url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """Process id of the server (also its process group id)."""
        if self._process is None:
            raise ConfigurationError("the embedded server is not running")
        return self._process.pid

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def log(self) -> str:
        """The server's output so far (stdout and stderr), at most the last few KB."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace")
        self._log.seek(0, os.SEEK_END)
        return text[-_LOG_TAIL:]

    def start(self) -> EmbeddedServer:
        """Start the server and wait until ``GET /`` answers.

        Raises:
            ConnectionFailedError: It exited early or did not answer in time;
                the message carries its log.
        """
        if self._process is not None:
            raise ConfigurationError("the embedded server is already started")
        binary = self._binary or noida_binary()
        if self._port is None:
            self._port = find_free_port(self.host)
        elif not port_is_free(self.host, self._port):
            # Checked up front: another server on the port would answer our readiness probe.
            raise ConfigurationError(f"port {self._port} on {self.host} is already in use")
        if self._data_dir is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="esorm-noida-"))
            data_dir = self._tmp
        else:
            data_dir = self._data_dir
            data_dir.mkdir(parents=True, exist_ok=True)
        # Outlives this method: closed by stop().
        self._log = tempfile.TemporaryFile(prefix="esorm-noida-log-")  # noqa: SIM115
        command = [
            str(binary),
            "start",
            "--only",
            "elasticsearch",
            "--elasticsearch-port",
            str(self._port),
            "--host",
            self.host,
            "--data-dir",
            str(data_dir),
        ]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent() if can_die_with_parent() else None,
        )
        atexit.register(self.stop)
        try:
            self._wait_ready()
        except BaseException:
            self.stop(keep_log=True)
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._startup_timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            assert self._process is not None
            code = self._process.poll()
            if code is not None:
                raise ConnectionFailedError(
                    f"the embedded server (noida-db) exited with code {code} before "
                    f"answering on {self.url}; its log:\n{self.log()}"
                )
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1.0) as response:
                    response.read()
            except urllib.error.HTTPError:
                pass  # it answered, if not with 200: the HTTP layer is up
            except (OSError, ValueError) as exc:
                last = f"{type(exc).__name__}: {exc}"
                time.sleep(0.05)
                continue
            if self._process.poll() is None:
                return
        raise ConnectionFailedError(
            f"the embedded server (noida-db) did not answer on {self.url} within "
            f"{self._startup_timeout:g}s (last error: {last}); its log:\n{self.log()}"
        )

    def stop(self, keep_log: bool = False) -> None:
        """Stop the server's process group and remove the temporary data dir. Idempotent."""
        atexit.unregister(self.stop)
        process, self._process = self._process, None
        if process is not None:
            kill_group(process, self._grace)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self._log is not None and not keep_log:
            self._log.close()
            self._log = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid={self._process.pid}" if self._process else "stopped"
        return f"EmbeddedServer(url={self.url if self._port else None!r}, {state})"

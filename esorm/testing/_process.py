"""Process and port helpers: free ports, process groups that die with their parent."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def find_free_port(host: str = "127.0.0.1") -> int:
    """Ask the OS for a currently free TCP port on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host:port`` (it can be bound now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as servers do: connections of a stopped server in TIME_WAIT must not block a restart
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def can_die_with_parent() -> bool:
    """Linux only, and only from the main thread: the signal fires when the forking thread ends."""
    return sys.platform == "linux" and threading.current_thread() is threading.main_thread()


def die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn`` asking Linux to SIGTERM the server when this process dies.

    The safety net for a test run killed with SIGKILL, where neither fixtures
    nor ``atexit`` run.
    """
    parent = os.getpid()
    # Resolved before fork: the child must not take the dynamic loader's lock.
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def kill_group(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group, SIGKILL what is left after ``grace`` seconds."""
    pgid = process.pid  # start_new_session=True makes the child its group leader
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    if _wait_group_gone(process, pgid, grace):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    _wait_group_gone(process, pgid, grace)


def _wait_group_gone(process: subprocess.Popen[bytes], pgid: int, timeout: float) -> bool:
    """Reap the leader and wait until no live process of the group is left."""
    deadline = time.monotonic() + timeout
    while True:
        process.poll()  # reap the leader, or its zombie keeps the group alive
        if not group_alive(pgid):
            # The leader may have died after the poll above: reap it now (it has exited,
            # so this returns at once), or its zombie stays in the group and Popen warns.
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=1.0)
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def group_alive(pgid: int) -> bool:
    """True while a process of the group runs; orphaned zombies awaiting init do not count."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat_line = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after ')'.
        fields = stat_line.rpartition(")")[2].split()
        if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False

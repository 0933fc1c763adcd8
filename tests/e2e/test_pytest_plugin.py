"""A user's project runs esorm's pytest plugin as installed, on per-test and on session loops.

The project in ``user_project/`` is copied to a temporary directory beside a plain
``pytest.ini`` and run by this environment's Python, where esorm is installed: the plugin
comes in through its ``pytest11`` entry point, nothing is imported from this checkout.
Its service tests run twice, against the server and on the plugin's ``memory_store``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from esorm.testing import backend_kind

pytestmark = pytest.mark.e2e

USER_PROJECT = Path(__file__).parent / "user_project"
LOOP_SETTINGS = {
    "pytest-asyncio-defaults": "",  # a loop per test
    "session-test-loop": "asyncio_default_test_loop_scope = session\n",
}


def run_user_project(tmp_path: Path, settings: str) -> subprocess.CompletedProcess[str]:
    for source in USER_PROJECT.glob("*.py"):
        shutil.copy(source, tmp_path)
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n" + settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
    env["ESORM_TEST_BACKEND"] = backend_kind()  # the server choice goes by the environment
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
            # a client left open would be reported as an unclosed aiohttp session
            "-W", "error::ResourceWarning",
            "-W", "error::pytest.PytestUnraisableExceptionWarning",
            "-v",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("settings", LOOP_SETTINGS.values(), ids=LOOP_SETTINGS.keys())
def test_the_user_project_passes(tmp_path: Path, settings: str) -> None:
    result = run_user_project(tmp_path, settings)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"esorm-{version('esorm')}" in output  # loaded by the entry point
    scope = "session" if settings else "function"
    assert f"asyncio_default_test_loop_scope={scope}" in output
    passed = re.search(r"(\d+) passed", output)
    assert passed is not None and int(passed.group(1)) >= 11, output
    assert "[memory]" in output or "memory" in output, output
    assert not re.search(r"\d+ (skipped|xfailed|deselected)", output), output

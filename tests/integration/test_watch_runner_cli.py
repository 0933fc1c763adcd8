"""`esorm watchers run` as a user runs it: the installed console script, in a subprocess,
against the embedded server, stopped by SIGTERM while an execution is in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest
from elasticsearch import AsyncElasticsearch

from esorm.testing import RunningServer
from tests.integration._webhook_target import WebhookTarget

pytestmark = pytest.mark.integration

ESORM = Path(sys.executable).parent / "esorm"
SAFETY = 60  # seconds: only so a broken command cannot hang the suite

APP = textwrap.dedent(
    """
    import os

    from esorm import Registry
    from esorm.watchers import Action, Schedule, Watch

    registry = Registry(prefix=os.environ["APP_PREFIX"])
    watches = [
        Watch(
            "cli-beat",
            trigger=Schedule.every("1s"),
            actions={"hook": Action.webhook(os.environ["HOOK_URL"], body="{{ctx.watch_id}}")},
        )
    ]
    """
)


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "watchapp.py").write_text(APP)
    return tmp_path


def environment(server: RunningServer, prefix: str, hook: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESORM_")}
    env.update(ESORM_URL=server.settings.hosts[0], APP_PREFIX=prefix, HOOK_URL=hook)
    return env


async def read_until(stream: asyncio.StreamReader, text: str, seen: list[str]) -> None:
    while True:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError(f"the command ended before logging {text!r}: {seen}")
        seen.append(line)
        if text in line:
            return


async def test_run_executes_locally_and_stops_cleanly_on_sigterm(
    es_client: AsyncElasticsearch, esorm_server: RunningServer, index_prefix: str, app_dir: Path
) -> None:
    async with WebhookTarget(hold=True) as target:
        process = await asyncio.create_subprocess_exec(
            str(ESORM),
            *("watchers", "run", "--registry", "watchapp:registry", "--node", "cli-node"),
            *("--mode", "local"),
            cwd=app_dir,
            env=environment(esorm_server, index_prefix, f"{target.url}/hook"),
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        logged: list[str] = []
        try:
            async with asyncio.timeout(SAFETY):
                await read_until(process.stderr, "watches run locally by esorm", logged)
                await target.received.wait()  # an execution is in flight
                process.send_signal(signal.SIGTERM)
                await read_until(process.stderr, "stop requested", logged)
                assert process.returncode is None  # still finishing the execution
                target.release()
                rest = (await process.stderr.read()).decode()
                code = await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

    assert code == 0, "".join(logged) + rest
    assert "esorm watch runner cli-node stopped" in rest
    assert target.calls[0].body == f"{index_prefix}cli-beat"
    await es_client.indices.refresh(index=f"{index_prefix}watcher-history")
    found = await es_client.search(index=f"{index_prefix}watcher-history", size=10)
    records = [hit["_source"] for hit in found["hits"]["hits"]]
    assert [(r["node"], r["state"], r["actions"][0]["status"]) for r in records] == [
        ("cli-node", "executed", "success")
    ]


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["--registry", "watchapp"], "write MODULE:ATTRIBUTE, got 'watchapp'"),
        (["--registry", "nowhere:registry"], "cannot import 'nowhere'"),
        (["--registry", "watchapp:missing"], "'watchapp' has no attribute 'missing'"),
        (["--registry", "watchapp:watches"], "is a list, not an esorm Registry"),
        (["--registry", "watchapp:registry", "--mode", "cloud"], "'cloud' is not one of"),
    ],
)
async def test_bad_arguments_are_usage_errors_naming_the_problem(
    esorm_server: RunningServer,
    index_prefix: str,
    app_dir: Path,
    arguments: list[str],
    problem: str,
) -> None:
    process = await asyncio.create_subprocess_exec(
        str(ESORM),
        "watchers",
        "run",
        *arguments,
        cwd=app_dir,
        env=environment(esorm_server, index_prefix, "http://127.0.0.1:9/hook"),
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(SAFETY):
        _, errors = await process.communicate()
    assert process.returncode == 2
    assert problem in errors.decode()


async def test_the_command_lists_its_groups(app_dir: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        str(ESORM), "--help", cwd=app_dir, stdout=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(SAFETY):
        output, _ = await process.communicate()
    assert process.returncode == 0
    assert "watchers" in output.decode()

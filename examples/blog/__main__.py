"""`python -m examples.blog`: the scripted scenario on the embedded server or on `ESORM_URL`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from typing import TextIO

from dependency_injector import providers

from esorm import ConnectionSettings, EsormError, IndexManager
from esorm.testing import EmbeddedServer
from examples.blog.container import BlogContainer
from examples.blog.mapping import blog_registry
from examples.blog.report import Printer, StepFailed
from examples.blog.scenario import run_scenario

WAIT_FOR_SERVER = 30.0


async def run_demo(settings: ConnectionSettings, where: str, out: TextIO) -> None:
    """Create the demo's indices under a fresh prefix, run the scenario, delete them again."""
    prefix = f"demo_{uuid.uuid4().hex[:8]}_"
    container = BlogContainer(registry=blog_registry(prefix))
    container.settings.override(providers.Object(settings))
    container.wait_for_server.override(providers.Object(WAIT_FOR_SERVER))
    await container.init_resources()
    try:
        manager = IndexManager(container.client(), container.registry())
        reports = await manager.create_all()
        try:
            Printer(out).banner(
                "esorm blog demo",
                [
                    ("server", where),
                    ("indices", ", ".join(report.index for report in reports)),
                ],
            )
            await run_scenario(container, out)
        finally:
            await manager.delete_all()
    finally:
        await container.shutdown_resources()


def main() -> int:
    """Run the demo; 0 when every step did what it claims, 1 naming the step otherwise."""
    with contextlib.ExitStack() as stack:
        try:
            if os.environ.get("ESORM_URL", "").strip():
                settings = ConnectionSettings.from_env()
                where = f"cluster at {settings.url} (ESORM_URL)"
            else:
                server = stack.enter_context(EmbeddedServer())
                settings = ConnectionSettings(hosts=(server.url,))
                where = f"embedded (noida-db) at {server.url}"
            asyncio.run(run_demo(settings, where, sys.stdout))
        except StepFailed as failed:
            print(f"\nesorm blog demo: {failed}", file=sys.stderr)
            return 1
        except EsormError as error:
            print(f"\nesorm blog demo failed outside the steps: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

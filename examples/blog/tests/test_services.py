"""Every service-layer check of the blog, on the test server and in memory."""

from __future__ import annotations

import pytest

from examples.blog.service_checks import CHECKS, Blog, Check


@pytest.mark.parametrize("check", CHECKS, ids=[check.__name__ for check in CHECKS])
async def test_service(blog: Blog, check: Check) -> None:
    await check(blog)

"""Shared fixtures: a local web of virtual hosts and a runner for real Scrapy crawls against it.

Crawls use the real engine (``scrapy.utils.test.get_crawler`` + ``Crawler.crawl_async``) on the
asyncio reactor that pytest-twisted installs. Every HTTP request of a crawl, the plugin's own
robots.txt fetches included, reaches the LocalWeb through Scrapy's proxy support (the
``http_proxy`` variable that HttpProxyMiddleware reads), so URLs keep host names like
``http://news.test/``.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import scrapy
from crawling import BASE_SETTINGS, ListSpider
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from scrapy_policyguard.demo.web import LocalWeb


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with LocalWeb() as local:
        monkeypatch.setenv("http_proxy", local.proxy_url)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        yield local


Crawl = Callable[..., Awaitable[Crawler]]


@pytest.fixture
def crawl() -> Crawl:
    async def run(
        spidercls: type[scrapy.Spider] = ListSpider, settings: dict[str, Any] | None = None, **kwargs: Any
    ) -> Crawler:
        crawler = get_crawler(spidercls, {**BASE_SETTINGS, **(settings or {})})
        await crawler.crawl_async(**kwargs)
        return crawler

    return run


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With POLICYGUARD_NO_SKIPS (set by .ci/run), a skipped test fails the run: a missing
    redis-server or test dependency must not turn CI green with the tests that need it left out."""
    if not os.environ.get("POLICYGUARD_NO_SKIPS"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        for report in skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            print(f"\nPOLICYGUARD_NO_SKIPS: skipped {report.nodeid}: {reason}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

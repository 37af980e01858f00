"""Test helpers shared by the crawl tests: a spider that records outcomes, settings, audit reading,
and the structure of a rendered HTML page."""

from __future__ import annotations

import asyncio
import functools
import json
from collections import Counter
from collections.abc import Callable, Coroutine
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest_twisted
import scrapy
from scrapy.crawler import Crawler
from twisted.internet.defer import Deferred

from scrapy_policyguard import PolicyDenied

#: Settings every test crawl starts from; a test's own settings override them.
BASE_SETTINGS: dict[str, Any] = {
    "ADDONS": {"scrapy_policyguard.Addon": 0},
    "POLICYGUARD_USER_AGENT": "TestBot",
    "ROBOTSTXT_OBEY": True,  # as startproject sets it: the add-on must retire Scrapy's middleware
    "RETRY_ENABLED": False,
    "DOWNLOAD_TIMEOUT": 5,
    "LOG_LEVEL": "INFO",
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}


class ListSpider(scrapy.Spider):
    """Requests the given URLs (and follows links when asked), recording what happened to each."""

    name = "list"

    def __init__(self, urls: list[str] | None = None, follow: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = list(urls or [])
        self.follow = follow
        self.fetched: list[str] = []
        self.decisions: dict[str, Any] = {}
        self.denied: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True)

    def parse(self, response: scrapy.http.Response):  # type: ignore[no-untyped-def]
        self.fetched.append(response.url)
        self.decisions[response.url] = response.meta.get("policyguard")
        if self.follow and isinstance(response, scrapy.http.TextResponse):
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href, callback=self.parse, errback=self.failed)

    def failed(self, failure: Any) -> None:
        url = failure.request.url
        if failure.check(PolicyDenied):
            self.denied[url] = failure.value.decision
        else:
            self.errors[url] = repr(failure.value)


class ChainSpider(scrapy.Spider):
    """Requests ``urls`` one at a time, in order; ``before`` runs a step before a URL is requested."""

    name = "chain"

    def __init__(self, urls: list[str], before: dict[int, Callable[[], None]] | None = None, **kw: Any):
        super().__init__(**kw)
        self.urls = urls
        self.before = before or {}
        self.fetched: list[str] = []
        self.denied: list[str] = []

    def _request(self, index: int) -> scrapy.Request | None:
        if index >= len(self.urls):
            return None
        if index in self.before:
            self.before[index]()
        return scrapy.Request(
            self.urls[index],
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            cb_kwargs={"index": index},
        )

    async def start(self):  # type: ignore[no-untyped-def]
        yield self._request(0)

    def parse(self, response: scrapy.http.Response, index: int):  # type: ignore[no-untyped-def]
        self.fetched.append(response.url)
        yield {"url": response.url}
        following = self._request(index + 1)
        if following is not None:
            yield following

    def failed(self, failure: Any):  # type: ignore[no-untyped-def]
        if failure.check(PolicyDenied):
            self.denied.append(failure.request.url)
        following = self._request(failure.request.cb_kwargs["index"] + 1)
        if following is not None:
            yield following


def coroutine_test(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., Any]:
    """Run an ``async def`` test as an asyncio task on the reactor pytest-twisted installed.

    Scrapy's asyncio code (``asyncio.gather`` in its signal handling) needs a running task, which
    ``pytest_twisted.ensureDeferred`` does not provide.
    """

    @functools.wraps(test)
    @pytest_twisted.inlineCallbacks
    def wrapper(*args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        yield Deferred.fromFuture(asyncio.ensure_future(test(*args, **kwargs)))

    return wrapper


def read_audit(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def guard_stats(crawler: Crawler) -> dict[str, Any]:
    assert crawler.stats is not None
    return {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("policyguard/")}


class PageStructure(HTMLParser):
    """Tags of an HTML page, and every ``src`` or ``href`` that would load something from outside."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.external: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(value)

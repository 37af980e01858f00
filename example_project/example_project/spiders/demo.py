"""The demo crawl: start at the portal, follow every link across the demo sites, keep the articles.

``demo`` declares the purpose ai-train; ``search_demo`` runs the same crawl for a search index, to
show which decisions depend on the purpose. Neither spider checks any policy itself: the add-on
enabled in settings.py does, before each request and on each response and item.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from scrapy_policyguard import PolicyDenied

#: The sites of the demo web (demoweb/sites/), all served locally through the http_proxy.
DEMO_HOSTS = [
    "portal.example",
    "x.com",
    "www.reddit.com",
    "dailyherald.example",
    "artfolio.example",
    "bookhouse.example",
    "cloudnews.example",
    "licensed.example",
    "flaky.example",
    "opencommons.example",
    "en.wikipedia.org",
    "tidewater.example",
    "freebooks-mirror.example",
]

RSL_TYPE = "application/rsl+xml"


class DemoSpider(scrapy.Spider):
    name = "demo"
    allowed_domains = DEMO_HOSTS
    start_url = "http://portal.example/"
    custom_settings: ClassVar[dict[str, Any]] = {
        # What the items are for: decisions are taken for this purpose.
        "POLICYGUARD_PURPOSE": "ai-train",
        # Tag every item with its decision instead of dropping the denied ones (the default for
        # ai-train), so the FEEDS filters fill both out/train.jsonl and out/quarantine.jsonl.
        "POLICYGUARD_ITEM_ACTION": "tag",
    }

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.start_url, callback=self.parse, errback=self.failed)

    def parse(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        article = response.css("article")
        if article:
            yield self.article_item(response, article[0])
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, callback=self.parse, errback=self.failed)

    def article_item(self, response: TextResponse, article: scrapy.Selector) -> dict[str, Any]:
        title = (
            article.css("h1 ::text").get()
            or response.css("h1 ::text").get()
            or response.css("title::text").get()
            or ""
        )
        paragraph = article.css("p")
        text = " ".join(" ".join(paragraph[0].css("::text").getall()).split()) if paragraph else ""
        licence = None
        for link in response.css("a[rel~=license], link[rel~=license]"):
            if (link.attrib.get("type") or "").strip().lower() == RSL_TYPE:
                continue  # an RSL licence document: the plugin reads those itself
            licence = response.urljoin(link.attrib.get("href", "").strip())
            break
        return {
            "url": response.url,
            "title": title.strip(),
            "text": text,
            "file_urls": [response.urljoin(src) for src in article.css("img::attr(src)").getall()],
            "license": licence,
        }

    def failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(PolicyDenied):
            decision = failure.value.decision
            self.logger.info(
                "Not fetched (%s denied): %s: %s", decision.purpose, request.url, decision.reason
            )
        else:
            self.logger.warning("Failed: %s: %r", request.url, failure.value)


class SearchDemoSpider(DemoSpider):
    """The same crawl for a search index: robots.txt and search signals decide, AI reservations don't."""

    name = "search_demo"
    custom_settings: ClassVar[dict[str, Any]] = {
        "POLICYGUARD_PURPOSE": "search",
        "POLICYGUARD_ITEM_ACTION": "tag",
        "POLICYGUARD_AUDIT_LOG": "out/search/audit.jsonl",
        "FILES_STORE": "out/search/files",
        "FEEDS": {
            "out/search/index.jsonl": {
                "format": "jsonlines",
                "overwrite": True,
                "item_filter": "scrapy_policyguard.AllowedItemFilter",
            },
            "out/search/quarantine.jsonl": {
                "format": "jsonlines",
                "overwrite": True,
                "item_filter": "scrapy_policyguard.DeniedItemFilter",
            },
        },
    }

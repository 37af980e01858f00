"""A slow crawl with an audit trail, run as its own process so a test can SIGKILL it mid-way.

Usage: python killable_crawl.py AUDIT.jsonl [--pages 200] [--delay 0.05]

A LocalWeb serves slow pages on several origins: two that allow (one of them with a disallowed
/private), one whose robots.txt disallows everything and one whose robots.txt answers 503
(unreachable). A CrawlerProcess with the add-on requests every page, writing every decision to
AUDIT.jsonl (POLICYGUARD_AUDIT_ALL). Concurrency is kept low so that the crawl takes seconds.
"""

from __future__ import annotations

import argparse
import os

import scrapy
from scrapy.crawler import CrawlerProcess

from scrapy_policyguard.demo.web import LocalWeb, Reply

ORIGINS = {
    "open.test": "User-agent: *\nAllow: /\n",
    "partly.test": "User-agent: *\nDisallow: /private\n",
    "closed.test": "User-agent: *\nDisallow: /\n",
    "down.test": Reply(status=503, body="down"),
}


class SlowSpider(scrapy.Spider):
    name = "killable"

    def __init__(self, urls: list[str] | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.urls = list(urls or [])

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True)

    def parse(self, response: scrapy.http.Response) -> None:
        pass

    def failed(self, failure: object) -> None:
        pass


def serve(web: LocalWeb, pages: int, delay: float) -> list[str]:
    for host, robots in ORIGINS.items():
        web.add(host, "/robots.txt", robots)
    hosts = list(ORIGINS)
    urls = []
    for i in range(pages):
        host = hosts[i % len(hosts)]
        path = f"/private/{i}" if i % 8 == 1 else f"/page/{i}"
        web.add(host, path, Reply(body=f"<html><body>{i}</body></html>", delay=delay))
        urls.append(web.url(host, path))
    return urls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("audit")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    with LocalWeb() as web:
        os.environ["http_proxy"] = web.proxy_url
        os.environ.pop("no_proxy", None)
        os.environ.pop("NO_PROXY", None)
        urls = serve(web, args.pages, args.delay)
        process = CrawlerProcess(
            {
                "ADDONS": {"scrapy_policyguard.Addon": 0},
                "POLICYGUARD_USER_AGENT": "TestBot",
                "POLICYGUARD_AUDIT_LOG": args.audit,
                "POLICYGUARD_AUDIT_ALL": True,
                "RETRY_ENABLED": False,
                "CONCURRENT_REQUESTS": 2,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
                "LOG_LEVEL": "WARNING",
                "TELNETCONSOLE_ENABLED": False,
            }
        )
        process.crawl(SlowSpider, urls=urls)
        process.start()


if __name__ == "__main__":
    main()

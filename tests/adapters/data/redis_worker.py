"""One worker of a scrapy-redis crawl with the add-on, run as its own process by the tests.

Usage: python redis_worker.py --redis URL --proxy URL --audit PATH URL...
       [--worker ID] [--cache redis|memory] [--lock-ttl 10] [--concurrency 2] [--until-key KEY]

The workers share scrapy-redis's real scheduler (a Redis queue) and dupefilter: each worker
offers its start URLs, the dupefilter lets each URL through once whoever offers it, and whichever
worker pops a request crawls it and follows its links. The pages are served by a LocalWeb in the test process,
reached through the proxy URL. With ``--until-key`` an idle worker stays until the test sets that
Redis key (the queue can be empty for a moment while another worker still produces requests).
"""

from __future__ import annotations

import argparse
import os
import time

import redis
import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import DontCloseSpider


class SharedSpider(scrapy.Spider):
    name = "shared"

    def __init__(
        self,
        urls: list[str] | None = None,
        redis_url: str = "",
        until_key: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.urls = list(urls or [])
        self.until_key = until_key
        self.redis = redis.Redis.from_url(redis_url) if until_key else None
        self.deadline = time.monotonic() + 60

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):  # type: ignore[no-untyped-def]
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        return spider

    def idle(self) -> None:
        if (
            self.redis is not None
            and not self.redis.exists(self.until_key)
            and time.monotonic() < self.deadline
        ):
            raise DontCloseSpider

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: scrapy.http.Response):  # type: ignore[no-untyped-def]
        yield {"url": response.url}
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, callback=self.parse)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--redis", required=True)
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--audit", required=True)
    parser.add_argument("--worker")  # POLICYGUARD_WORKER_ID; without it, the default hostname-pid
    parser.add_argument("--cache", default="redis")
    parser.add_argument("--lock-ttl", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--until-key")
    args = parser.parse_args()
    os.environ["http_proxy"] = args.proxy
    os.environ.pop("no_proxy", None)
    os.environ.pop("NO_PROXY", None)
    process = CrawlerProcess(
        {
            "ADDONS": {"scrapy_policyguard.Addon": 0},
            "POLICYGUARD_USER_AGENT": "TestBot",
            "POLICYGUARD_AUDIT_LOG": args.audit,
            "POLICYGUARD_CACHE": args.cache,
            "POLICYGUARD_WORKER_ID": args.worker,
            "POLICYGUARD_REDIS_LOCK_TTL": args.lock_ttl,
            "REDIS_URL": args.redis,
            "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_PERSIST": True,  # the other workers may still be crawling when one stops
            "SCHEDULER_IDLE_BEFORE_CLOSE": 1,
            "RETRY_ENABLED": False,
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    process.crawl(SharedSpider, urls=args.urls, redis_url=args.redis, until_key=args.until_key)
    process.start()


if __name__ == "__main__":
    main()

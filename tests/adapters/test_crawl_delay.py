"""Crawl-delay and Request-rate: real crawls measured at the server, and the slot arithmetic.

Request times are the LocalWeb's arrival times (``web.seen[i].time``): what the site sees.
"""

from __future__ import annotations

import itertools
import logging
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import scrapy
from crawling import ListSpider, coroutine_test, guard_stats, read_audit
from scrapy.core.downloader import Slot

from scrapy_policyguard.adapters.crawl_delay import raise_slot_delay

#: Scrapy starts the next request of a slot ``delay`` seconds after the last one started; the
#: server sees each arrive a little later, by an amount that varies by milliseconds.
ARRIVAL_SLACK = 0.05


def serve(web, host: str, robots: str, pages: int) -> list[str]:  # type: ignore[no-untyped-def]
    web.add(host, "/robots.txt", robots)
    paths = [f"/p{i}" for i in range(pages)]
    for path in paths:
        web.add(host, path, f"<html><body>{path}</body></html>")
    return [web.url(host, path) for path in paths]


def gaps(web, host: str) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds between consecutive requests the server received for ``host`` (robots.txt too)."""
    times = sorted(seen.time for seen in web.seen if seen.host == host)
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def robots_record(audit: Path) -> dict[str, Any]:
    return next(r for r in read_audit(audit) if r["record"] == "robots")


@coroutine_test
async def test_crawl_delay_spaces_every_request_to_the_origin(web, crawl, tmp_path: Path) -> None:
    urls = serve(web, "slow.test", "User-agent: *\nDisallow: /private\nCrawl-delay: 2\n", pages=2)
    audit = tmp_path / "audit.jsonl"
    # The search purpose needs no tdmrep.json (for AI purposes its fetch is paced like the pages).
    settings = {"POLICYGUARD_PURPOSE": "search", "POLICYGUARD_AUDIT_LOG": str(audit)}
    crawler = await crawl(settings=settings, urls=urls)
    assert sorted(crawler.spider.fetched) == urls
    spacing = gaps(web, "slow.test")
    assert len(spacing) == 2  # robots.txt, then two pages
    assert min(spacing) >= 2 - ARRIVAL_SLACK, spacing
    record = robots_record(audit)
    assert record["crawl_delay"] == 2.0
    assert guard_stats(crawler)["policyguard/robots/crawl_delay"] == 1


@coroutine_test
async def test_with_the_setting_off_the_crawl_keeps_scrapys_pace(web, crawl, tmp_path: Path) -> None:
    urls = serve(web, "slow.test", "User-agent: *\nCrawl-delay: 2\n", pages=4)
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        settings={"POLICYGUARD_CRAWL_DELAY": False, "POLICYGUARD_AUDIT_LOG": str(audit)}, urls=urls
    )
    assert sorted(crawler.spider.fetched) == urls
    assert sum(gaps(web, "slow.test")) < 1.0
    assert robots_record(audit)["crawl_delay"] is None
    assert "policyguard/robots/crawl_delay" not in guard_stats(crawler)


@coroutine_test
async def test_a_longer_delay_is_capped_and_the_cap_is_logged(web, crawl, tmp_path: Path, caplog) -> None:
    urls = serve(web, "slow.test", "User-agent: *\nCrawl-delay: 3600\n", pages=1)
    audit = tmp_path / "audit.jsonl"
    with caplog.at_level(logging.WARNING, logger="scrapy_policyguard"):
        crawler = await crawl(
            settings={"POLICYGUARD_CRAWL_DELAY_MAX": 1, "POLICYGUARD_AUDIT_LOG": str(audit)}, urls=urls
        )
    assert crawler.spider.fetched == urls
    assert min(gaps(web, "slow.test")) >= 1 - ARRIVAL_SLACK
    assert robots_record(audit)["crawl_delay"] == 1.0
    assert (
        "robots.txt for http://slow.test asks for 3600 s between requests (line 2: Crawl-delay: 3600); "
        "POLICYGUARD_CRAWL_DELAY_MAX caps the delay applied at 1 s"
    ) in caplog.text
    assert guard_stats(crawler)["policyguard/robots/crawl_delay_capped"] == 1


class SlotSpider(ListSpider):
    """Puts every request in one named download slot, made only when the first page is queued."""

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, meta={"download_slot": "shared"}, dont_filter=True)


@coroutine_test
async def test_request_rate_paces_a_slot_made_after_the_robots_fetch_despite_jitter(
    web, crawl, tmp_path: Path
) -> None:
    # Request-rate 1/1s is stricter than Crawl-delay 0.5. DOWNLOAD_DELAY 0.6 with Scrapy's default
    # jitter (±50 %) would draw waits from 0.3 to 0.9 s; the "shared" slot does not exist when
    # robots.txt is fetched (that goes through the host's slot).
    urls = serve(web, "rate.test", "User-agent: *\nCrawl-delay: 0.5\nRequest-rate: 1/1s\n", pages=3)
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        SlotSpider, settings={"DOWNLOAD_DELAY": 0.6, "POLICYGUARD_AUDIT_LOG": str(audit)}, urls=urls
    )
    assert sorted(crawler.spider.fetched) == urls
    pages = sorted(seen.time for seen in web.seen if seen.path.startswith("/p"))
    assert min(b - a for a, b in itertools.pairwise(pages)) >= 1 - ARRIVAL_SLACK
    assert robots_record(audit)["crawl_delay"] == 1.0


@coroutine_test
async def test_autothrottle_does_not_lower_the_delay_below_the_sites(web, crawl) -> None:
    # AutoThrottle moves a slot's delay towards the latency (milliseconds here) after each response.
    urls = serve(web, "auto.test", "User-agent: *\nCrawl-delay: 1\n", pages=3)
    crawler = await crawl(
        settings={"AUTOTHROTTLE_ENABLED": True, "AUTOTHROTTLE_START_DELAY": 0, "DOWNLOAD_DELAY": 0}, urls=urls
    )
    assert sorted(crawler.spider.fetched) == urls
    assert min(gaps(web, "auto.test")) >= 1 - ARRIVAL_SLACK


# --------------------------------------------------------------------------- the slot arithmetic


@pytest.mark.parametrize(
    ("delay", "jitter", "site", "new_delay", "new_jitter"),
    [
        pytest.param(0.0, 0.5, 2.0, 2.0, 0.0, id="no-delay-set"),
        pytest.param(1.0, 0.0, 2.0, 2.0, 0.0, id="shorter-fixed-delay"),
        pytest.param(3.0, 0.5, 2.0, 3.0, 1 / 3, id="longer-delay-jitter-narrowed"),
        pytest.param(5.0, 0.5, 2.0, 5.0, 0.5, id="longer-delay-and-jitter-kept"),
        pytest.param(2.0, 1.5, 1.0, 2.0, 0.5, id="jitter-beyond-one"),
    ],
)
def test_slot_delay_is_raised_and_its_jitter_narrowed(delay, jitter, site, new_delay, new_jitter) -> None:
    slot = Slot(concurrency=8, delay=delay, jitter=jitter)
    raise_slot_delay(slot, site)
    assert slot.delay == new_delay
    assert slot.jitter == pytest.approx(new_jitter)
    random.seed(7)
    assert min(slot.download_delay() for _ in range(2000)) >= site


@pytest.mark.parametrize(
    ("delay", "randomize", "new_delay", "new_randomize"),
    [
        pytest.param(0.0, True, 2.0, False, id="raised"),
        pytest.param(3.0, True, 3.0, False, id="spread-off"),
        pytest.param(5.0, True, 5.0, True, id="spread-kept"),
    ],
)
def test_before_scrapy_2_19_the_random_spread_is_switched_off_when_too_wide(
    delay, randomize, new_delay, new_randomize
) -> None:
    # Slots of Scrapy 2.13-2.18 have ``randomize_delay`` (0.5 to 1.5 times the delay), no jitter.
    slot = SimpleNamespace(delay=delay, randomize_delay=randomize)
    raise_slot_delay(slot, 2.0)  # type: ignore[arg-type]
    assert (slot.delay, slot.randomize_delay) == (new_delay, new_randomize)

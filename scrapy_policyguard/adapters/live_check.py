"""One URL decided by a real crawl: what ``policyguard check --fetch`` runs.

The crawl has the add-on enabled and one request, so everything the plugin does applies as it
would in the user's own crawl: robots.txt fetched first through the engine (RFC 9309 status
handling, redirects, size limit), tdmrep.json only where robots.txt allows it, soft-404 pages
ignored, each RSL licence fetched once, the page fetched only when allowed, and the response's
headers and markup read by the same middleware. The offline tool and the plugin cannot disagree
because they are the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.settings import SETTINGS_PRIORITIES, Settings

from ..core.decision import Decision
from .downloader import DECISION_META, PolicyDenied
from .fetch import describe_failure

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from scrapy.http import Response
    from twisted.python.failure import Failure

__all__ = ["CheckResult", "CheckSpider", "check_settings"]

ADDON = "scrapy_policyguard.Addon"


@dataclass
class CheckResult:
    """What the crawl found: the last decision made on the URL, and why the page was not read."""

    decision: Decision | None = None
    status: int | None = None
    error: str | None = None  # the page could not be fetched (the decision is the request-stage one)
    blocked: bool = False  # the guard refused the request: the page was never fetched


def check_settings(
    module: str | None = None,
    *,
    user_agent: str | None = None,
    purpose: str | None = None,
    unknown: str | None = None,
    agreements: Mapping[str, str] | None = None,
    rules: list[str] | None = None,
    timeout: float | None = None,
    paywall: str | None = None,
    blocklists: list[str] | None = None,
) -> Settings:
    """Scrapy settings for a check crawl: a project's settings ``module``, the add-on, the options."""
    settings = Settings()
    if module is not None:
        settings.setmodule(module, priority="project")
    settings.set("ADDONS", {**settings.getdict("ADDONS"), ADDON: 0}, priority="cmdline")
    given: dict[str, Any] = {
        "USER_AGENT": user_agent,
        "POLICYGUARD_PURPOSE": purpose,
        "POLICYGUARD_UNKNOWN": unknown,
        "POLICYGUARD_AGREEMENTS": dict(agreements) if agreements else None,
        "POLICYGUARD_RULES": rules,
        "DOWNLOAD_TIMEOUT": timeout,
        "POLICYGUARD_PAYWALL": paywall,
        "POLICYGUARD_BLOCKLISTS": blocklists,
    }
    for name, value in given.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    if user_agent is not None:
        # The User-Agent given names the product token, as in a crawl without a token setting.
        for name in ("POLICYGUARD_USER_AGENT", "ROBOTSTXT_USER_AGENT"):
            settings.set(name, None, priority="cmdline")
    settings.set("POLICYGUARD_ENABLED", True, priority="cmdline")
    settings.set("POLICYGUARD_MODE", "enforce", priority="cmdline")
    # A check never spends money: a pay-per-crawl page is reported with its price, not paid.
    for name, off in (
        ("POLICYGUARD_MAX_PRICE", None),
        ("POLICYGUARD_BUDGET", None),
        ("POLICYGUARD_BUDGET_PER_ORIGIN", {}),
    ):
        settings.set(name, off, priority="cmdline")
    # A check reads a project's settings for how it fetches (user agent, middlewares, proxies,
    # the shared policy cache), never for what the project's crawl writes or queues: its feeds
    # (which an empty run would truncate), item pipelines, extensions, job directory, audit
    # trail, and a scrapy-redis scheduler that shares queues with running workers.
    for name, own in (
        ("FEEDS", {}),
        ("ITEM_PIPELINES", {}),
        ("EXTENSIONS", {}),
        ("JOBDIR", None),
        ("POLICYGUARD_AUDIT_LOG", None),
        ("SCHEDULER", "scrapy.core.scheduler.Scheduler"),
        ("DUPEFILTER_CLASS", "scrapy.dupefilters.RFPDupeFilter"),
    ):
        settings.set(name, own, priority="cmdline")
    if settings.getpriority("LOG_LEVEL") == SETTINGS_PRIORITIES["default"]:
        settings.set("LOG_LEVEL", "WARNING")
    return settings


class CheckSpider(scrapy.Spider):
    """Requests one URL and keeps the decision the downloader middleware left on it."""

    name = "policyguard-check"

    def __init__(self, url: str, result: CheckResult, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.result = result

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # Any status is an answer whose headers and markup count, as in a crawl that handles it.
        meta = {"handle_httpstatus_all": True}
        yield scrapy.Request(self.url, callback=self.parse, errback=self.failed, dont_filter=True, meta=meta)

    def parse(self, response: Response) -> None:
        decision = response.meta.get(DECISION_META)
        self.result.decision = decision if isinstance(decision, Decision) else None
        self.result.status = response.status

    def failed(self, failure: Failure) -> None:
        error = failure.value
        if isinstance(error, PolicyDenied):
            self.result.decision = error.decision
            self.result.blocked = True
            return
        request = getattr(failure, "request", None)
        decision = request.meta.get(DECISION_META) if request is not None else None
        self.result.decision = decision if isinstance(decision, Decision) else None
        self.result.error = describe_failure(error) if error is not None else "unknown failure"

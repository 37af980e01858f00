"""The spider middleware: every item a callback yields is matched to the decision of its response.

The decision is the response-stage one the downloader middleware left in ``response.meta``
(robots.txt, AI signals and terms known before the request, plus the response's own headers and
markup). Items yielded from ``start()`` came from no response: their provenance is unknown, and
the pipeline applies POLICYGUARD_UNKNOWN to them. When the page speaks about its images
(``noimageai``), the file URLs of its items are linked to that statement before the media
pipelines request them, so each file is judged with it (media.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from ..core.decision import Decision
from .audit import utc_now
from .downloader import DECISION_META
from .items import ItemRecord, item_records
from .media import item_file_urls, page_image_evidence
from .runtime import GuardRuntime
from .settings import is_enabled

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["PolicyGuardSpiderMiddleware"]


class PolicyGuardSpiderMiddleware(BaseSpiderMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        if not is_enabled(crawler.settings):
            raise NotConfigured("POLICYGUARD_ENABLED is False")
        super().__init__(crawler)
        self.runtime = GuardRuntime.of(crawler)  # built now, so a bad setting stops the crawl at start

    def _link_files(self, item: Any, decision: Decision) -> None:
        evidence = page_image_evidence(decision)
        adapter = ItemAdapter(item)
        runtime = self.runtime
        for name, url in item_file_urls(adapter, runtime.files_field, runtime.images_field):
            runtime.media.link_page(url, evidence, image_field=name == runtime.images_field)

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        decision = response.meta.get(DECISION_META) if response is not None else None
        if isinstance(decision, Decision) and decision.images_denied and ItemAdapter.is_item(item):
            self._link_files(item, decision)
        item_records.put(
            ItemRecord(
                item,
                decision if isinstance(decision, Decision) else None,
                response.url if response is not None else None,
                utc_now(),
            )
        )
        return item

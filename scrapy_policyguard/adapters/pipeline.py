"""The item pipeline: tag every item with its policy, drop those its purpose may not use.

POLICYGUARD_ITEM_ACTION:
``"drop"`` (the default when the purpose is ai-train): a denied item raises DropItem with the
           reason; allowed items are tagged. In audit mode nothing is dropped: the item is tagged
           and recorded as "would-drop".
``"tag"``  (the default otherwise): every item is tagged; route them with the feed filters.

Every dropped item leaves an audit record (source URL, a stable fingerprint, reasons) and the
stats ``policyguard/items/{seen,kept,dropped,dropped/<source>}`` reconcile: seen = kept + dropped.
The pipeline runs after Scrapy's media pipelines (priority 1), so the files an item downloaded are
known: a file whose own response or embedded metadata denies the purpose (``noimageai`` on an
image, ``plus:DataMining`` in its XMP, a C2PA training-mining assertion), or that the page's
``noimageai`` covers, is listed in the tag's ``files_denied`` with whether it was stored.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from .accounting import ItemAction
from .items import ItemRecord, build_tag, item_fingerprint, item_records
from .media import item_file_urls
from .runtime import GuardRuntime
from .settings import DeniedItems, is_enabled

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["PolicyGuardPipeline"]

logger = logging.getLogger("scrapy_policyguard")


class PolicyGuardPipeline:
    def __init__(self, crawler: Crawler) -> None:
        if not is_enabled(crawler.settings):
            raise NotConfigured("POLICYGUARD_ENABLED is False")
        self.runtime = GuardRuntime.of(crawler)
        settings = self.runtime.settings
        self.crawler = crawler
        self.field = settings.item_field
        self.action = settings.item_action
        self._warned: set[type] = set()
        # Connected after the feed exporter's handlers (extensions are built first), so feed
        # filters still find the record when they run.
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self._item_done, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PolicyGuardPipeline:
        return cls(crawler)

    def _item_done(self, item: Any, **kwargs: Any) -> None:
        item_records.discard(item)

    def _files_denied(self, adapter: ItemAdapter, record: ItemRecord) -> list[dict[str, Any]]:
        page_images_denied = record.decision is not None and record.decision.images_denied
        denied = []
        runtime = self.runtime
        for name, url in item_file_urls(adapter, runtime.files_field, runtime.images_field):
            known = runtime.media.get(url)
            is_image = (known is not None and known.is_image) or name == runtime.images_field
            if known is not None and not known.decision.allowed:
                decision = known.decision
                denied.append(
                    {
                        "url": url,
                        "field": name,
                        "reasons": [e.summary() for e in decision.denials] or [decision.reason],
                        "denied_by": [str(s) for s in decision.denied_by],
                        "stored": known.stored,
                    }
                )
            elif page_images_denied and is_image:
                reason = f"the page it came from says noimageai ({record.source_url})"
                denied.append({"url": url, "field": name, "reasons": [reason]})
        return denied

    def _write_tag(self, adapter: ItemAdapter, tag: dict[str, Any]) -> None:
        item = adapter.item
        try:
            adapter[self.field] = tag
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            if type(item) not in self._warned:
                self._warned.add(type(item))
                logger.warning(
                    "%s items cannot take the %r field (%s): their policy is kept beside them for the "
                    "feed filters and the audit trail, but not exported. Declare the field "
                    "(e.g. %s = scrapy.Field()) to export it.",
                    type(item).__name__,
                    self.field,
                    type(exc).__name__,
                    self.field,
                )

    def process_item(self, item: Any, spider: Any = None) -> Any:
        runtime = self.runtime
        record = item_records.get(item)
        if record is None:
            record = ItemRecord(item, None, None, "")
            item_records.put(record)
        adapter = ItemAdapter(item)
        record.files_denied = self._files_denied(adapter, record)
        purpose = str(record.decision.purpose if record.decision else runtime.settings.purpose)
        record.tag = build_tag(
            record, purpose, item_fingerprint(adapter, exclude=self.field), runtime.settings.unknown_allows
        )
        outcomes = runtime.outcomes
        if not record.tag["allowed"] and self.action is DeniedItems.DROP:
            if runtime.settings.enforce:
                outcomes.item(record, ItemAction.DROPPED)
                raise DropItem(f"Denied for {purpose}: {'; '.join(record.tag['reasons'])}")
            outcomes.item(record, ItemAction.WOULD_DROP)
        else:
            outcomes.item(record, ItemAction.KEPT if record.tag["allowed"] else ItemAction.TAGGED_DENIED)
        self._write_tag(adapter, record.tag)
        return item

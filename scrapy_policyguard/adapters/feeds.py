"""Feed filters that route items by their decision: one crawl, a training feed and a quarantine.

    FEEDS = {
        "out/train.jsonl": {"format": "jsonlines", "item_filter": "scrapy_policyguard.AllowedItemFilter"},
        "out/quarantine.jsonl": {"format": "jsonlines", "item_filter": "scrapy_policyguard.DeniedItemFilter"},
    }

With POLICYGUARD_ITEM_ACTION = "tag" every item reaches the feeds with its ``policyguard`` tag, so the
quarantine feed carries the reasons. An item the pipeline never saw counts as denied: a training
feed never receives an item whose policy nobody checked.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from .items import item_records

__all__ = ["AllowedItemFilter", "DeniedItemFilter", "policy_feeds"]


def policy_feeds(allowed: str, denied: str, **options: Any) -> dict[str, dict[str, Any]]:
    """FEEDS entries for a training feed (allowed items) and a quarantine (the rest).

    ``options`` are feed options for both (``format`` defaults to ``jsonlines``), e.g.
    ``FEEDS = policy_feeds("out/train.jsonl", "out/quarantine.jsonl", overwrite=True)``.
    """
    common = {"format": "jsonlines", **options}
    return {
        allowed: {**common, "item_filter": "scrapy_policyguard.AllowedItemFilter"},
        denied: {**common, "item_filter": "scrapy_policyguard.DeniedItemFilter"},
    }


class AllowedItemFilter:
    """Accepts the items whose declared purpose is allowed.

    The pipeline's record of the item is read first; an item without one is judged by its tag
    field (``item_field`` in the feed options, default ``policyguard``), and without either it
    is not allowed.
    """

    def __init__(self, feed_options: dict[str, Any] | None = None) -> None:
        self.field = (feed_options or {}).get("item_field", "policyguard")

    def _allowed(self, item: Any) -> bool:
        record = item_records.get(item)
        if record is not None and record.tag is not None:
            return bool(record.tag["allowed"])
        tag = ItemAdapter(item).get(self.field) if ItemAdapter.is_item(item) else None
        return isinstance(tag, dict) and tag.get("allowed") is True

    def accepts(self, item: Any) -> bool:
        return self._allowed(item)


class DeniedItemFilter(AllowedItemFilter):
    """Accepts the items whose declared purpose is denied, or whose policy was never checked."""

    def accepts(self, item: Any) -> bool:
        return not self._allowed(item)

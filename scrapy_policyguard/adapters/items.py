"""Which decision each scraped item carries, and the tag written into it.

Items are matched to the response they came from by the spider middleware and keep that record
until the item leaves the crawl (scraped, dropped or failed). The record lives in a table keyed by
the item object, not in the item, because not every item class can take a new field (a
``scrapy.Item`` without the field declared, a frozen dataclass, an attrs class with slots); the
pipeline writes the tag into the item when its class allows and the feed filters read the table
otherwise. Declare the field (``policyguard = scrapy.Field()``) to see the tag in exported feeds.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from itemadapter import ItemAdapter

from ..core.decision import Decision, Outcome
from ..core.paths import utf8
from ..core.purposes import PURPOSES

__all__ = ["ItemRecord", "item_fingerprint", "item_records"]


@dataclass
class ItemRecord:
    """What is known about one item: the decision of its page, and its tag once the pipeline ran."""

    item: Any
    decision: Decision | None  # None: the item came from no checked response
    source_url: str | None
    decided_at: str
    tag: dict[str, Any] | None = None
    files_denied: list[dict[str, Any]] = field(default_factory=list)


class _ItemRecords:
    """Records by item identity; the record holds the item, so its id cannot be reused meanwhile."""

    def __init__(self) -> None:
        self._records: dict[int, ItemRecord] = {}
        self._lock = threading.Lock()

    def put(self, record: ItemRecord) -> None:
        with self._lock:
            self._records[id(record.item)] = record

    def get(self, item: Any) -> ItemRecord | None:
        record = self._records.get(id(item))
        return record if record is not None and record.item is item else None

    def discard(self, item: Any) -> None:
        with self._lock:
            record = self._records.get(id(item))
            if record is not None and record.item is item:
                del self._records[id(item)]

    def __len__(self) -> int:
        return len(self._records)


#: One table per process: feed filters are built from feed options alone, without the crawler.
item_records = _ItemRecords()


def item_fingerprint(adapter: ItemAdapter, exclude: str | None = None) -> str:
    """A stable hash of the item's fields (canonical JSON), without the tag field."""
    data = {key: value for key, value in adapter.items() if key != exclude}
    canonical = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_value
    )
    return hashlib.sha256(utf8(canonical)).hexdigest()[:32]


def _json_value(value: Any) -> Any:
    """Nested items as their fields; anything else JSON cannot write as its text."""
    if isinstance(value, ItemAdapter):
        return value.asdict()
    if ItemAdapter.is_item(value):
        return ItemAdapter(value).asdict()
    return str(value)


def build_tag(record: ItemRecord, purpose: str, fingerprint: str, unknown_allows: bool) -> dict[str, Any]:
    """The ``policyguard`` field of an item: enough to trace it to its evidence and honour its terms."""
    decision = record.decision
    if decision is None:
        outcome = Outcome.UNKNOWN
        allowed = unknown_allows
        reasons = ["unknown provenance: the item came from no checked response"]
        outcomes = {str(p): str(Outcome.UNKNOWN) for p in PURPOSES}
        conditions: list[str] = []
        packs: list[dict[str, str]] = []
        agreements: list[str] = []
    else:
        outcome = decision.outcome
        allowed = decision.allowed
        reasons = [e.summary() for e in decision.denials] or [decision.reason]
        outcomes = {str(p): str(o) for p, o in decision.outcomes.items()}
        conditions = list(decision.conditions)
        packs = [
            {"id": e.refs["pack"], "version": e.refs.get("version", "")}
            for e in decision.evidence
            if "pack" in e.refs
        ]
        packs = list({p["id"]: p for p in packs}.values())
        agreements = list(
            dict.fromkeys(e.refs["agreement"] for e in decision.evidence if "agreement" in e.refs)
        )
    return {
        "purpose": purpose,
        "outcome": str(outcome),
        "allowed": allowed,
        "outcomes": outcomes,
        "reasons": reasons,
        "source_url": record.source_url,
        "decided_at": record.decided_at,
        "provenance": "response" if decision is not None else "unknown",
        "rule_packs": packs,
        "agreements": agreements,
        "conditions": conditions,
        "files_denied": record.files_denied,
        "fingerprint": fingerprint,
    }

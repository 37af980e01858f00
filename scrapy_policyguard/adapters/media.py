"""Decisions on the files FilesPipeline and ImagesPipeline download, kept for the item pipeline.

Scrapy's media pipelines download an item's files with requests of their own (no callback); the
downloader middleware decides each of them like a page, and the item pipeline, which runs after
the media pipelines, reads the decision back by URL to list the item's denied files. The memo is
bounded: the oldest decisions go first, long after their item has been processed.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.decision import Decision

__all__ = ["MediaDecisions"]

#: Decisions kept; an item's files are downloaded just before the item reaches our pipeline.
MEDIA_DECISIONS_KEPT = 10_000


class MediaDecisions:
    def __init__(self, kept: int = MEDIA_DECISIONS_KEPT) -> None:
        self._kept = kept
        self._decisions: OrderedDict[str, tuple[Decision, bool]] = OrderedDict()

    def remember(self, url: str, decision: Decision, is_image: bool = False) -> None:
        self._decisions[url] = (decision, is_image)
        self._decisions.move_to_end(url)
        while len(self._decisions) > self._kept:
            self._decisions.popitem(last=False)

    def get(self, url: str) -> tuple[Decision, bool] | None:
        """The decision on a downloaded file, and whether the file was an image."""
        return self._decisions.get(url)

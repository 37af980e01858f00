"""Decisions on the files FilesPipeline and ImagesPipeline download, kept for the item pipeline.

Scrapy's media pipelines download an item's files with requests of their own (no callback). The
downloader middleware decides each of them like a page, with what the file's response says and
what the file embeds (XMP, C2PA), joined to what the page that named the file says about its
images (``noimageai``: the spider middleware links each file URL of such a page's items here
before the media pipelines request them). A denied file is not stored when POLICYGUARD_ITEM_ACTION
is ``"drop"``: the middleware raises PolicyDenied (an IgnoreRequest) from ``process_response``, so
the media pipeline's ``media_failed`` gets the failure before ``file_downloaded`` persists anything,
nothing is downloaded again, and the item's ``files`` / ``images`` field leaves the file out, as
for any failed download. No FilesPipeline subclass is needed, so projects keep their own pipelines.
The item pipeline, which runs after the media pipelines, reads the decisions back by URL to list
the item's denied files.

Both tables are bounded: the oldest entries go first, long after their item has been processed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..core.decision import Evidence

if TYPE_CHECKING:
    from ..core.decision import Decision

__all__ = ["MediaDecisions", "MediaFile", "item_file_urls", "page_image_evidence"]

#: Entries kept; an item's files are downloaded just before the item reaches our pipeline.
MEDIA_DECISIONS_KEPT = 10_000

_V = TypeVar("_V")


def item_file_urls(adapter: Any, files_field: str, images_field: str) -> Iterator[tuple[str, str]]:
    """(field, URL) of every file URL an item names for FilesPipeline / ImagesPipeline (an
    ``ItemAdapter``; the fields FILES_URLS_FIELD and IMAGES_URLS_FIELD name): lists of strings,
    anything else skipped, as the media pipelines skip it."""
    for name in (files_field, images_field):
        urls = adapter.get(name) if name in adapter else None
        for url in urls if isinstance(urls, list) else ():
            if isinstance(url, str):
                yield name, url


@dataclass(frozen=True, slots=True)
class MediaFile:
    """The decision on a downloaded file, whether it was an image, and whether it was stored."""

    decision: Decision
    is_image: bool = False
    stored: bool = True


@dataclass(frozen=True, slots=True)
class PageLink:
    """What the page that named a file says about its images, and whether the file was named in
    the item's images field."""

    evidence: tuple[Evidence, ...]
    image_field: bool


def page_image_evidence(decision: Decision) -> tuple[Evidence, ...]:
    """The statements of a page about the images it embeds, as statements about one such image."""
    return tuple(
        Evidence(
            e.source,
            e.rule,
            f"{decision.url} ({e.location})",
            f"the page that names this file: {e.detail}",
            e.image_effects,
            e.kind,
            e.inferred,
            e.conditions,
            e.refs,
        )
        for e in decision.evidence
        if e.image_effects
    )


class MediaDecisions:
    def __init__(self, kept: int = MEDIA_DECISIONS_KEPT) -> None:
        self._kept = kept
        self._files: OrderedDict[str, MediaFile] = OrderedDict()
        self._pages: OrderedDict[str, PageLink] = OrderedDict()

    def _put(self, table: OrderedDict[str, _V], url: str, value: _V) -> None:
        table[url] = value
        table.move_to_end(url)
        while len(table) > self._kept:
            table.popitem(last=False)

    def remember(self, url: str, decision: Decision, is_image: bool = False, stored: bool = True) -> None:
        self._put(self._files, url, MediaFile(decision, is_image, stored))

    def get(self, url: str) -> MediaFile | None:
        """What was decided on a downloaded (or blocked) file."""
        return self._files.get(url)

    def link_page(self, url: str, evidence: tuple[Evidence, ...], image_field: bool) -> None:
        """``url`` was named by an item of a page whose ``evidence`` speaks about its images."""
        self._put(self._pages, url, PageLink(evidence, image_field))

    def page_evidence(self, url: str, is_image: bool) -> tuple[Evidence, ...]:
        """What the page that named ``url`` says about it, if ``url`` is an image."""
        link = self._pages.get(url)
        if link is None or not (is_image or link.image_field):
            return ()
        return link.evidence

"""Crawl-delay and Request-rate applied to Scrapy's download slots.

Scrapy spaces the requests of one download slot (by default one per host name; ``download_slot``
meta or CONCURRENT_REQUESTS_PER_IP group them otherwise) by the slot's ``delay``, counted from the
start of one request to the start of the next, whatever the concurrency: that is the knob a
site's Crawl-delay turns. A slot is made when its first request reaches the downloader, and an
idle one is dropped after a minute and made again later with DOWNLOAD_DELAY, so the delay cannot
be set once: it is raised on every request of a paced origin as it reaches the downloader
(``request_reached_downloader``, sent after the slot is found and before its queue is run), and
again after each response (``response_downloaded``, where AutoThrottle lowers delays). A slot's
delay is only ever raised, never lowered, and its random jitter (DOWNLOAD_DELAY_JITTER) is
narrowed so that the shortest randomised delay is still the site's.

The delay of an origin is the one its robots.txt group for our token asks for (the stricter of
Crawl-delay and Request-rate, core/robots.py), capped at POLICYGUARD_CRAWL_DELAY_MAX; it changes
when robots.txt is fetched again and is forgotten with the origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy import signals

from ..core.paths import origin_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler

    from ..core.access import RobotsAccess
    from ..core.robots import CrawlDelay

__all__ = ["AppliedDelay", "CrawlDelays", "raise_slot_delay"]


@dataclass(frozen=True)
class AppliedDelay:
    """The delay applied to an origin, and what its robots.txt asked for."""

    seconds: float
    asked: CrawlDelay

    @property
    def capped(self) -> bool:
        return self.seconds < self.asked.seconds


def raise_slot_delay(slot: Slot, seconds: float) -> None:
    """Make ``slot`` wait at least ``seconds`` between requests, randomisation included.

    Scrapy 2.19 draws each wait from ``delay * (1 ± jitter)``; older versions from 0.5 to 1.5 times
    the delay when ``randomize_delay`` is set. Either way the delay is raised to ``seconds`` if it
    is lower, and the spread is narrowed (or, before 2.19, switched off) when its low end would
    fall below ``seconds``.
    """
    jitter = getattr(slot, "jitter", None)
    if jitter is None:  # Scrapy < 2.19
        if slot.delay * (0.5 if slot.randomize_delay else 1.0) < seconds:
            slot.delay = max(slot.delay, seconds)
            slot.randomize_delay = slot.randomize_delay and slot.delay * 0.5 >= seconds
        return
    if slot.delay * (1 - jitter) >= seconds:
        return
    slot.delay = max(slot.delay, seconds)
    slot.jitter = max(0.0, min(jitter, 1 - seconds / slot.delay))


class CrawlDelays:
    """The delay of each paced origin, kept on the download slots its requests use."""

    def __init__(self, crawler: Crawler, token: str, *, enabled: bool, maximum: float) -> None:
        self.crawler = crawler
        self.token = token
        self.enabled = enabled
        self.maximum = maximum
        self._delays: dict[str, float] = {}  # origin -> seconds, for origins that ask for a delay
        self._listening = False

    def _listen(self) -> None:
        """Follow requests from the first paced origin on: a crawl of sites without a delay pays
        nothing per request (a signal receiver costs a few microseconds a call)."""
        if not self._listening:
            self._listening = True
            self.crawler.signals.connect(self._request_reached, signal=signals.request_reached_downloader)
            self.crawler.signals.connect(self._response_downloaded, signal=signals.response_downloaded)

    def update(self, origin: str, access: RobotsAccess) -> AppliedDelay | None:
        """Take the delay of a freshly fetched robots.txt; the delay applied, or None."""
        asked = access.robots.group_for(self.token).crawl_delay if access.robots is not None else None
        if not self.enabled or asked is None or asked.seconds <= 0:
            self._delays.pop(origin, None)
            return None
        applied = AppliedDelay(min(asked.seconds, self.maximum), asked)
        self._delays[origin] = applied.seconds
        self._listen()
        return applied

    def forget(self, origin: str) -> None:
        """The origin left the bounded cache; its robots.txt (and delay) is read again if it returns."""
        self._delays.pop(origin, None)

    def _apply(self, request: Request) -> None:
        seconds = self._delays.get(origin_of(request.url)) if self._delays else None
        if seconds is None:
            return
        engine = self.crawler.engine
        key = request.meta.get("download_slot")
        slot = engine.downloader.slots.get(key) if engine is not None and key is not None else None
        if slot is not None:
            raise_slot_delay(slot, seconds)

    def _request_reached(self, request: Request, spider: Any = None) -> None:
        self._apply(request)

    def _response_downloaded(self, response: Any, request: Request, spider: Any = None) -> None:
        self._apply(request)

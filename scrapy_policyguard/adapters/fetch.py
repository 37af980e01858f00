"""Getting robots.txt through the Scrapy engine: once per origin, whatever the concurrency.

Scrapy 2.19's RobotsTxtMiddleware lets requests through while an origin's robots.txt is still
downloading (every waiter after the first awaits one shared Deferred and gets None). Here every
waiter gets its own Deferred, fired with the one result (:class:`SingleFlight`), so a new origin
with many requests in flight is still decided on its robots.txt.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.exceptions import StopDownload
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from ..core.access import MAX_REDIRECTS, UNREACHABLE, RobotsAccess

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["CachedRobots", "MemoryRobotsCache", "RobotsCache", "RobotsFetcher", "SingleFlight"]

logger = logging.getLogger("scrapy_policyguard")

T = TypeVar("T")

#: Request.meta key marking the plugin's own document fetches (robots.txt, tdmrep.json, licences).
FETCH_META = "policyguard_fetch"


class SingleFlight(Generic[T]):
    """At most one run per key; callers that arrive meanwhile get the same result."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[Deferred[T]]] = {}

    def busy(self, key: str) -> bool:
        return key in self._waiting

    async def run(self, key: str, factory: Callable[[], Awaitable[T]]) -> T:
        if key in self._waiting:
            waiter: Deferred[T] = Deferred()
            self._waiting[key].append(waiter)
            return await maybe_deferred_to_future(waiter)
        self._waiting[key] = []
        try:
            result = await factory()
        except BaseException as exc:
            for waiter in self._waiting.pop(key):
                waiter.errback(Failure(exc))
            raise
        for waiter in self._waiting.pop(key):
            waiter.callback(result)
        return result


@dataclass(frozen=True)
class CachedRobots:
    """One origin's robots.txt result and how long it may be used."""

    access: RobotsAccess
    expires_at: float
    failures: int = 0  # consecutive unreachable results, for the back-off
    last_good: RobotsAccess | None = None  # the latest parsed or unavailable copy


class RobotsCache(Protocol):
    """Where robots.txt results live between requests.

    In memory per process today; a shared backend (e.g. Redis for scrapy-redis workers) only has
    to implement these two methods.
    """

    def get(self, origin: str) -> CachedRobots | None: ...

    def put(self, origin: str, entry: CachedRobots) -> None: ...


class MemoryRobotsCache:
    def __init__(self) -> None:
        self._entries: dict[str, CachedRobots] = {}

    def get(self, origin: str) -> CachedRobots | None:
        return self._entries.get(origin)

    def put(self, origin: str, entry: CachedRobots) -> None:
        self._entries[origin] = entry

    def __len__(self) -> int:
        return len(self._entries)


def describe_failure(exc: BaseException) -> str:
    text = str(exc).strip() or repr(exc)
    if len(text) > 200:
        text = text[:200] + "…"
    return f"{type(exc).__name__}: {text}"


def retry_after_seconds(value: bytes | None, now: float) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), None when absent or bad."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class RobotsFetcher:
    """Downloads one origin's robots.txt through the engine, following redirects itself.

    The request goes through every enabled downloader middleware, so DOWNLOAD_DELAY, the per-slot
    concurrency, USER_AGENT, retries and proxies apply as to any page. Redirects are followed here
    (not by RedirectMiddleware) so that each hop is recorded, other hosts are reached even outside
    ``allowed_domains``, and more than five hops mean "unavailable" (RFC 9309 §2.3.1.2).
    """

    def __init__(
        self,
        crawler: Crawler,
        *,
        max_bytes: int,
        ttl: float,
        unreachable_retry: float,
        cache: RobotsCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.crawler = crawler
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.unreachable_retry = unreachable_retry
        self.cache: RobotsCache = cache if cache is not None else MemoryRobotsCache()
        self.clock = clock
        self._flight: SingleFlight[CachedRobots] = SingleFlight()
        maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        # Never let DOWNLOAD_MAXSIZE stop us below what RFC 9309 §2.5 says must be parsed.
        self._maxsize = 0 if maxsize == 0 else max(maxsize, 2 * max_bytes)
        crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)

    def fresh(self, origin: str) -> CachedRobots | None:
        """The cached result for ``origin`` if it is still within its time to live."""
        entry = self.cache.get(origin)
        if entry is not None and entry.expires_at > self.clock():
            return entry
        return None

    async def get(self, origin: str, trigger: Request | None = None) -> tuple[CachedRobots, bool]:
        """The usable result for ``origin``, fetching it when needed; True when newly fetched."""
        entry = self.fresh(origin)
        if entry is not None:
            return entry, False
        joined = self._flight.busy(origin)
        entry = await self._flight.run(origin, lambda: self._refresh(origin, trigger))
        return entry, not joined

    async def _refresh(self, origin: str, trigger: Request | None) -> CachedRobots:
        previous = self.cache.get(origin)
        access, retry_after = await self._fetch(origin, trigger)
        now = self.clock()
        last_good = previous.last_good if previous else None
        if access.state != UNREACHABLE:
            entry = CachedRobots(access, now + self.ttl, 0, access)
        else:
            failures = (previous.failures if previous else 0) + 1
            backoff = min(self.unreachable_retry * 2 ** (failures - 1), self.ttl)
            if retry_after is not None:
                backoff = min(max(backoff, retry_after), self.ttl)
            if last_good is not None:
                # RFC 9309 §2.4: a cached copy may be used past its age while robots.txt is
                # unreachable; the evidence says it is stale and why.
                stale = replace(
                    last_good, detail=f"{last_good.detail}; refresh failed: {access.detail}", stale=True
                )
                entry = CachedRobots(stale, now + backoff, failures, last_good)
            else:
                entry = CachedRobots(access, now + backoff, failures, None)
        self.cache.put(origin, entry)
        return entry

    def _request(self, url: str, trigger: Request | None) -> Request:
        meta: dict[str, Any] = {
            FETCH_META: "robots.txt",
            "dont_obey_robotstxt": True,
            "dont_redirect": True,
            "handle_httpstatus_all": True,
            "allow_offsite": True,
        }
        if self._maxsize:
            meta["download_maxsize"] = self._maxsize
        if trigger is not None and trigger.meta.get("proxy"):
            meta["proxy"] = trigger.meta["proxy"]
        return Request(url, meta=meta, callback=NO_CALLBACK, dont_filter=True)

    async def _download(self, request: Request) -> Response:
        engine = self.crawler.engine
        assert engine is not None
        download_async = getattr(engine, "download_async", None)
        if download_async is not None:
            return await download_async(request)
        return await maybe_deferred_to_future(engine.download(request))  # Scrapy < 2.14

    async def _fetch(self, origin: str, trigger: Request | None) -> tuple[RobotsAccess, float | None]:
        url = origin + "/robots.txt"
        current = url
        hops: list[str] = []
        while True:
            request = self._request(current, trigger)
            started = self.clock()
            try:
                response = await self._download(request)
            except Exception as exc:
                return (
                    RobotsAccess.from_result(
                        url, None, detail=describe_failure(exc), hops=tuple(hops), fetched_at=started
                    ),
                    None,
                )
            status = response.status
            location = response.headers.get(b"Location") if 300 <= status < 400 else None
            if location:
                target = urljoin(current, location.decode("latin-1").strip())
                if len(hops) == MAX_REDIRECTS:
                    detail = f"more than {MAX_REDIRECTS} redirects (RFC 9309 §2.3.1.2)"
                    return RobotsAccess.from_result(url, status, detail=detail, hops=tuple(hops)), None
                hops.append(f"{status} {current} -> {target}")
                if not target.startswith(("http://", "https://")):
                    detail = f"redirect to a non-HTTP location {target}"
                    return RobotsAccess.from_result(url, status, detail=detail, hops=tuple(hops)), None
                current = target
                continue
            retry_after = (
                retry_after_seconds(response.headers.get(b"Retry-After"), self.clock())
                if status in (429, 503)
                else None
            )
            detail = f"HTTP {status}"
            if "download_stopped" in response.flags:
                detail += f"; download stopped after {self.max_bytes} bytes"
            return (
                RobotsAccess.from_result(
                    url,
                    status,
                    response.body,
                    detail=detail,
                    hops=tuple(hops),
                    fetched_at=started,
                    limit=self.max_bytes,
                ),
                retry_after,
            )

    def _bytes_received(self, data: bytes, request: Request, spider: Any = None) -> None:
        if request.meta.get(FETCH_META) != "robots.txt":
            return
        received = request.meta.get("_policyguard_bytes", 0) + len(data)
        request.meta["_policyguard_bytes"] = received
        if received > self.max_bytes:
            # RFC 9309 §2.5: only the first max_bytes are parsed; the rest need not be read.
            raise StopDownload(fail=False)

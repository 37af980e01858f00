"""Fetching site documents (robots.txt, tdmrep.json, RSL licences) through the Scrapy engine.

Every fetch goes through the enabled downloader middlewares, so DOWNLOAD_DELAY, per-slot
concurrency, USER_AGENT, retries and proxies apply as to any page. Redirects are followed here,
not by RedirectMiddleware, so that each hop is recorded, hosts outside ``allowed_domains`` are
reached, and more than five hops end the chain (RFC 9309 §2.3.1.2). Bodies are read up to a limit
and then the download is stopped (Scrapy's ``bytes_received`` signal), so a huge or endless
response costs no more than the limit.

:class:`SingleFlight` is the fix for Scrapy 2.19's RobotsTxtMiddleware, which lets requests through
while an origin's robots.txt is downloading (every waiter after the first awaits one shared
Deferred and gets None): here each waiter gets a Deferred of its own, fired with the one result.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from ..core.access import MAX_REDIRECTS
from ..core.text_enum import TextEnum

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["FETCH_META", "DocumentFetcher", "DocumentKind", "FetchResult", "SingleFlight"]

T = TypeVar("T")

#: Ceiling for a fetched document, compressed or not: bounds what a gzip bomb can inflate to. A
#: larger robots.txt (by Content-Length) cannot be read and counts as unreachable.
DOCUMENT_MAXSIZE = 32 * 1024 * 1024

#: Request.meta key marking the plugin's own document fetches; its value names the document kind.
FETCH_META = "policyguard_fetch"


class DocumentKind(TextEnum):
    """The site documents the plugin fetches for itself."""

    ROBOTS = "robots.txt"
    TDMREP = "tdmrep.json"
    RSL = "rsl"

    @property
    def stats_name(self) -> str:
        """The stats prefix: ``robots/...``, ``tdmrep/...``, ``rsl/...``."""
        return self.value.split(".")[0]


_BYTES_META = "_policyguard_bytes"


class SingleFlight(Generic[T]):
    """At most one run per key; callers that arrive meanwhile get the same result."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[Deferred[T]]] = {}

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
class FetchResult:
    """What one fetch gave: the final status (None for a network failure) and body."""

    url: str
    status: int | None
    body: bytes
    detail: str
    hops: tuple[str, ...]
    fetched_at: float
    retry_after: float | None = None
    truncated: bool = False
    content_type: str = ""


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
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


class DocumentFetcher:
    """Downloads one document through the engine, following redirects itself."""

    def __init__(self, crawler: Crawler, *, clock: Callable[[], float] = time.time) -> None:
        self.crawler = crawler
        self.clock = clock
        self._limits: dict[str, int] = {}
        self._maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        settings = crawler.settings
        self._retries = settings.getint("RETRY_TIMES") if settings.getbool("RETRY_ENABLED") else 0
        crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)

    def _request(self, url: str, kind: DocumentKind, limit: int, trigger: Request | None) -> Request:
        meta: dict[str, Any] = {
            FETCH_META: kind,
            "dont_obey_robotstxt": True,
            "dont_redirect": True,
            "handle_httpstatus_all": True,
            "allow_offsite": True,
            # HTTP errors are answers (RFC 9309 §2.3.1): no immediate retries; network failures
            # are retried here (RETRY_TIMES), unreachable results later by the site registry.
            "dont_retry": True,
        }
        # At least twice what must be read (RFC 9309 §2.5), at most DOCUMENT_MAXSIZE.
        ceiling = min(self._maxsize, DOCUMENT_MAXSIZE) if self._maxsize else DOCUMENT_MAXSIZE
        meta["download_maxsize"] = max(ceiling, 2 * limit)
        if trigger is not None and trigger.meta.get("proxy"):
            meta["proxy"] = trigger.meta["proxy"]
        self._limits[kind] = limit
        # Ask for the file uncompressed; a server that compresses anyway is bounded by the ceiling.
        return Request(
            url, meta=meta, callback=NO_CALLBACK, dont_filter=True, headers={"Accept-Encoding": "identity"}
        )

    async def _download(self, request: Request) -> Response:
        engine = self.crawler.engine
        assert engine is not None
        download_async = getattr(engine, "download_async", None)
        if download_async is not None:
            return await download_async(request)
        return await maybe_deferred_to_future(engine.download(request))  # Scrapy < 2.14

    async def fetch(
        self, url: str, kind: DocumentKind, *, limit: int, trigger: Request | None = None
    ) -> FetchResult:
        current = url
        hops: list[str] = []
        started = self.clock()
        attempts = 0
        while True:
            request = self._request(current, kind, limit, trigger)
            failure = None
            try:
                response = await self._download(request)
            except Exception as exc:
                failure = describe_failure(exc)
                retriable = not isinstance(exc, IgnoreRequest)
            else:
                if "dataloss" in response.flags:
                    # The connection broke mid-body: what arrived may lack the rules that matter.
                    failure = f"HTTP {response.status}, but the body was cut short (connection lost)"
                    retriable = True
            if failure is not None:
                if retriable and attempts < self._retries:
                    attempts += 1
                    continue
                detail = failure + (f" (after {attempts + 1} attempts)" if attempts else "")
                return FetchResult(url, None, b"", detail, tuple(hops), started)
            status = response.status
            location = response.headers.get(b"Location") if 300 <= status < 400 else None
            if location:
                target = urljoin(current, location.decode("latin-1").strip())
                if len(hops) == MAX_REDIRECTS:
                    detail = f"more than {MAX_REDIRECTS} redirects (RFC 9309 §2.3.1.2)"
                    return FetchResult(url, status, b"", detail, tuple(hops), started)
                hops.append(f"{status} {current} -> {target}")
                if not target.startswith(("http://", "https://")):
                    detail = f"redirect to a non-HTTP location {target}"
                    return FetchResult(url, status, b"", detail, tuple(hops), started)
                current = target
                continue
            retry_after = (
                retry_after_seconds(response.headers.get(b"Retry-After"), self.clock())
                if status in (429, 503)
                else None
            )
            truncated = "download_stopped" in response.flags
            detail = f"HTTP {status}" + (f"; download stopped after {limit} bytes" if truncated else "")
            content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
            return FetchResult(
                url, status, response.body, detail, tuple(hops), started, retry_after, truncated, content_type
            )

    def _bytes_received(self, data: bytes, request: Request, spider: Any = None) -> None:
        kind = request.meta.get(FETCH_META)
        if kind is None:
            return
        received = request.meta.get(_BYTES_META, 0) + len(data)
        request.meta[_BYTES_META] = received
        if received > self._limits.get(kind, 0):
            raise StopDownload(fail=False)

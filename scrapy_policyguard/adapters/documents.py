"""What the crawl knows about each origin, kept fresh and bounded: robots.txt, tdmrep.json, RSL.

robots.txt is fetched once per origin (scheme, host, port) and again after its time to live; an
unreachable result is retried sooner (back-off doubling from POLICYGUARD_UNREACHABLE_RETRY, at
least any Retry-After), and while an earlier good copy exists that copy keeps being used, marked
stale (RFC 9309 §2.4 allows a cached copy past 24 hours when robots.txt is unreachable).
tdmrep.json is fetched once per origin and TTL, only when a request's purpose is an AI purpose;
RSL documents named by robots.txt once per URL while they are held. All fetches of one origin
happen under one :class:`SingleFlight` key, so concurrency never causes a second fetch or a
decision without the documents.

What a fetch gave is kept as a :class:`StoredDocument`: plain data (status, bytes, redirects,
expiry, back-off, last good copy) that several workers can share through a
:class:`~.shared_documents.SharedDocuments` store (POLICYGUARD_CACHE = "redis"); each worker
parses and compiles it itself and holds the result here, so a warm decision asks nothing of the
network. Without a shared store the worker fetches for itself.

Memory is bounded for broad crawls: at most POLICYGUARD_MAX_ORIGINS origins are held (documents
and compiled site), the least recently used is dropped beyond that. Dropping never weakens a
decision: an origin seen again has its documents fetched again (``cache/refetched``), exactly as
if it were new, so a robots.txt that now disallows, or is now unreachable, is obeyed. Origins that
serve the same robots.txt bytes share one parsed copy (core/content_cache.py).
"""

from __future__ import annotations

import functools
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Generic, TypeVar

from ..core.access import AccessState, RobotsAccess, access_state
from ..core.content_cache import ContentCache
from ..core.engine import (
    SiteDocuments,
    SitePolicy,
    parse_license,
    parse_tdmrep,
    robots_licence_urls,
    tdmrep_url_of,
)
from ..core.paths import origin_of, path_of
from ..core.purposes import AI_PURPOSES
from ..core.robots import RobotsTxt
from ..core.signals.rsl import RslDocument
from ..core.signals.tdmrep import TdmRepFile
from ..core.text_enum import TextEnum
from .fetch import DocumentFetcher, DocumentKind, FetchResult, SingleFlight

if TYPE_CHECKING:
    from scrapy import Request

    from ..core.engine import Policy
    from ..core.purposes import Purpose
    from .shared_documents import SharedDocuments

__all__ = ["Copy", "DocumentEvent", "Known", "SiteRegistry", "StoredDocument"]

T = TypeVar("T")

TDMREP_LIMIT = 512 * 1024
LICENSE_LIMIT = 1024 * 1024
#: Distinct robots.txt files kept parsed, for origins that serve identical bytes (never more than
#: POLICYGUARD_MAX_ORIGINS: the files of dropped origins must not outnumber the origins held).
PARSED_FILES_KEPT = 1024


class Copy(TextEnum):
    """Where this worker's copy of a document came from."""

    FETCHED = "fetched"  # this worker fetched it
    SHARED = "shared"  # another worker fetched it; read from the shared cache
    KEPT = "kept"  # this worker's earlier copy, kept while the shared cache is down (on error: deny)


@dataclass(frozen=True)
class StoredDocument:
    """One document as fetched, and until when it is used: plain data that workers can share."""

    result: FetchResult
    expires_at: float
    failures: int = 0  # consecutive unreachable results (robots.txt), for the back-off
    last_good: FetchResult | None = None  # robots.txt: the latest usable fetch, kept through failures


@dataclass(frozen=True)
class Known(Generic[T]):
    """A stored document and what this worker made of it (parsed, classified)."""

    stored: StoredDocument
    value: T
    kept_in: int = 0  # the shared cache's outage this copy is kept through (0: fetched or shared)

    @property
    def expires_at(self) -> float:
        return self.stored.expires_at


@dataclass(frozen=True)
class DocumentEvent:
    """A document was fetched or read: what the registry tells the runtime to log, count and audit."""

    kind: DocumentKind
    origin: str
    url: str
    result: FetchResult
    expires_at: float
    value: object  # RobotsAccess for robots.txt
    note: str | None = None  # why a fetched document is not used (logged as a warning)
    info: str | None = None  # an expected absence worth recording, not warning about
    refetch: bool = False  # fetched again because the origin had been dropped from the cache
    copy: Copy = Copy.FETCHED


@dataclass(frozen=True)
class _TdmRep:
    """An origin's tdmrep.json as held: what it says, until ``expires_at``."""

    expires_at: float
    file: TdmRepFile | None
    note: str | None  # why a served file cannot be used (a warning)
    info: str | None = None  # why there is no file, when worth recording (a soft 404)
    # The fetch it was read from, held only where it can stand in for Redis (on error: deny).
    stored: StoredDocument | None = None
    kept_in: int = 0  # as Known.kept_in


class _Origin:
    """One origin's documents and the site compiled from them."""

    __slots__ = ("robots", "site", "tdmrep")

    def __init__(self) -> None:
        self.robots: Known[RobotsAccess] | None = None
        self.tdmrep: _TdmRep | None = None
        # (robots, tdmrep, site): the site is valid while both are the ones held
        self.site: tuple[Known[RobotsAccess], _TdmRep | None, SitePolicy] | None = None


class _Recent:
    """The origins dropped lately (bounded), to tell a refetch from a first fetch."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._seen: OrderedDict[str, None] = OrderedDict()

    def add(self, origin: str) -> None:
        self._seen[origin] = None
        if len(self._seen) > self._limit:
            self._seen.popitem(last=False)

    def take(self, origin: str) -> bool:
        """True (once) when ``origin`` was dropped lately."""
        if origin not in self._seen:
            return False
        del self._seen[origin]
        return True


def next_robots(
    previous: StoredDocument | None, result: FetchResult, now: float, ttl: float, retry: float
) -> StoredDocument:
    """The robots.txt state after a fetch: used for the TTL, or (unreachable) retried after a
    doubling back-off (at least any Retry-After, at most the TTL) with the last good copy kept."""
    if access_state(result.status) is not AccessState.UNREACHABLE:
        return StoredDocument(result, now + ttl, 0, result)
    failures = (previous.failures if previous else 0) + 1
    backoff = min(retry * 2 ** (failures - 1), ttl)
    if result.retry_after is not None:
        backoff = min(max(backoff, result.retry_after), ttl)
    return StoredDocument(result, now + backoff, failures, previous.last_good if previous else None)


class SiteRegistry:
    def __init__(
        self,
        fetcher: DocumentFetcher,
        policy: Policy,
        *,
        robots_limit: int,
        ttl: float,
        unreachable_retry: float,
        on_fetched: Callable[[DocumentEvent], None],
        on_robots: Callable[[RobotsAccess, Request | None], Awaitable[None]],
        max_origins: int,
        on_evicted: Callable[[str], None] = lambda origin: None,
        shared: SharedDocuments | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.fetcher = fetcher
        self.policy = policy
        self.robots_limit = robots_limit
        self.ttl = ttl
        self.unreachable_retry = unreachable_retry
        self.on_fetched = on_fetched
        self.on_robots = on_robots
        self.on_evicted = on_evicted
        self.max_origins = max_origins
        self.shared = shared
        self.clock = clock
        self.parsed_robots: ContentCache[RobotsTxt] = ContentCache(
            functools.partial(RobotsTxt.parse, limit=robots_limit), min(PARSED_FILES_KEPT, max_origins)
        )
        self._origins: OrderedDict[str, _Origin] = OrderedDict()
        self._dropped = _Recent(4 * max_origins)
        self._flight: SingleFlight[SitePolicy] = SingleFlight()
        self._robots_flight: SingleFlight[Known[RobotsAccess]] = SingleFlight()
        self._license_flight: SingleFlight[RslDocument | str] = SingleFlight()
        self._licenses: OrderedDict[str, RslDocument | str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._origins)

    # -- the per-origin cache ------------------------------------------------------------------

    def _held(self, origin: str) -> _Origin | None:
        held = self._origins.get(origin)
        if held is not None:
            self._origins.move_to_end(origin)
        return held

    def _hold(self, origin: str) -> _Origin:
        held = self._held(origin)
        if held is None:
            held = self._origins[origin] = _Origin()
            while len(self._origins) > self.max_origins:
                dropped, _ = self._origins.popitem(last=False)
                self._dropped.add(dropped)
                self.on_evicted(dropped)
        return held

    def _fresh_robots(self, held: _Origin | None) -> Known[RobotsAccess] | None:
        known = held.robots if held is not None else None
        return known if known is not None and known.expires_at > self.clock() else None

    def _fresh_tdmrep(self, held: _Origin | None) -> _TdmRep | None:
        known = held.tdmrep if held is not None else None
        return known if known is not None and known.expires_at > self.clock() else None

    def cached(self, url: str) -> SitePolicy | None:
        """The compiled site of ``url``'s origin, fresh or not, without fetching anything."""
        held = self._origins.get(origin_of(url))
        return held.site[2] if held is not None and held.site is not None else None

    def fresh(self, origin: str, need_tdmrep: bool) -> SitePolicy | None:
        """The compiled site when every document it needs is within its time to live."""
        held = self._held(origin)
        if held is None or held.site is None:
            return None
        robots, tdmrep, site = held.site
        if self._fresh_robots(held) is not robots:
            return None
        if need_tdmrep and (tdmrep is None or self._fresh_tdmrep(held) is not tdmrep):
            return None
        return site

    # -- compiling a site ----------------------------------------------------------------------

    async def site(self, url: str, purpose: Purpose, trigger: Request | None = None) -> SitePolicy:
        """The compiled policy of ``url``'s origin, fetching the documents ``purpose`` needs
        (tdmrep.json only for the AI purposes) when they are missing or expired."""
        origin = origin_of(url)
        need_tdmrep = purpose in AI_PURPOSES
        site = self.fresh(origin, need_tdmrep)
        if site is not None:
            return site
        return await self._flight.run(origin, lambda: self._prepare(origin, need_tdmrep, trigger))

    async def _prepare(self, origin: str, need_tdmrep: bool, trigger: Request | None) -> SitePolicy:
        site = self.fresh(origin, need_tdmrep)  # a flight that just ended may have done it all
        if site is not None:
            return site
        robots = await self._robots(origin, trigger)
        tdmrep = self._fresh_tdmrep(self._held(origin))
        if need_tdmrep and tdmrep is None:
            tdmrep = await self._tdmrep(origin, trigger)
        access = robots.value
        licenses = await self.licenses(robots_licence_urls(access, self.policy.user_agent), origin, trigger)
        if tdmrep is None:
            tdmrep = self._hold(origin).tdmrep  # an expired copy still says something for search
        file, note = (tdmrep.file, tdmrep.note) if tdmrep is not None else (None, None)
        site = SitePolicy(self.policy, SiteDocuments(origin, access, file, note, licenses))
        self._hold(origin).site = (robots, tdmrep, site)
        return site

    async def _obtain(
        self,
        kind: DocumentKind,
        subject: str,
        fetch: Callable[[StoredDocument | None], Awaitable[StoredDocument]],
        previous: StoredDocument | None,
    ) -> tuple[StoredDocument, Copy]:
        """A document from the shared store when another worker has it, else fetched here."""
        if self.shared is None:
            return await fetch(previous), Copy.FETCHED
        return await self.shared.obtain(kind, subject, fetch, previous)

    def _kept_in(self, copy: Copy) -> int:
        """The outage of the shared cache a kept copy is used through (0 for any other copy): a
        copy is reported when it is first kept in an outage, not at every request it decides."""
        return self.shared.outages if copy is Copy.KEPT and self.shared is not None else 0

    # -- robots.txt ----------------------------------------------------------------------------

    async def _robots(self, origin: str, trigger: Request | None) -> Known[RobotsAccess]:
        """The origin's robots.txt, fetched (once, whatever the concurrency) when stale."""
        known = self._fresh_robots(self._held(origin))
        if known is not None:
            return known
        return await self._robots_flight.run(origin, lambda: self._fresh_or_fetch_robots(origin, trigger))

    async def _fresh_or_fetch_robots(self, origin: str, trigger: Request | None) -> Known[RobotsAccess]:
        return self._fresh_robots(self._held(origin)) or await self._load_robots(origin, trigger)

    async def _load_robots(self, origin: str, trigger: Request | None) -> Known[RobotsAccess]:
        held = self._held(origin)
        earlier = held.robots if held is not None else None
        previous = earlier.stored if earlier is not None else None
        refetch = held is None and self._dropped.take(origin)

        async def fetch(shared_previous: StoredDocument | None) -> StoredDocument:
            result = await self.fetcher.fetch(
                origin + "/robots.txt", DocumentKind.ROBOTS, limit=self.robots_limit, trigger=trigger
            )
            before = shared_previous or previous
            return next_robots(before, result, self.clock(), self.ttl, self.unreachable_retry)

        stored, copy = await self._obtain(DocumentKind.ROBOTS, origin, fetch, previous)
        kept_in = self._kept_in(copy)
        if kept_in and earlier is not None and earlier.kept_in == kept_in:  # reported in this outage
            self._hold(origin).robots = earlier
            return earlier
        known = Known(stored, self._robots_access(stored), kept_in)
        self._hold(origin).robots = known
        self.on_fetched(
            DocumentEvent(
                DocumentKind.ROBOTS,
                origin,
                stored.result.url,
                stored.result,
                stored.expires_at,
                known.value,
                refetch=refetch,
                copy=copy,
            )
        )
        # Before any request waiting for this robots.txt is decided, as Scrapy's middleware does.
        await self.on_robots(known.value, trigger)
        return known

    def _robots_access(self, stored: StoredDocument) -> RobotsAccess:
        """What a stored robots.txt says: its own fetch, or the last good copy marked stale."""
        access = self._access(stored.result)
        if access.state is AccessState.UNREACHABLE and stored.last_good is not None:
            good = self._access(stored.last_good)
            # The earlier copy stays in use; its evidence says it is stale and why.
            return replace(good, detail=f"{good.detail}; refresh failed: {access.detail}", stale=True)
        return access

    def _access(self, result: FetchResult) -> RobotsAccess:
        return RobotsAccess.from_result(
            result.url,
            result.status,
            result.body,
            detail=result.detail,
            hops=result.hops,
            fetched_at=result.fetched_at,
            limit=self.robots_limit,
            parsed=self.parsed_robots,
        )

    async def _refusal(self, url: str, trigger: Request | None) -> str | None:
        """Why robots.txt forbids our crawler to fetch ``url`` (a site document), or None.

        tdmrep.json and licence documents are fetched like any page: robots.txt applies to them.
        """
        origin = origin_of(url)
        access = (await self._robots(origin, trigger)).value
        if access.state is AccessState.UNREACHABLE:
            return f"not fetched: robots.txt of {origin} is unreachable"
        if access.robots is not None:
            rule = access.robots.group_for(self.policy.user_agent).match(path_of(url))
            if rule is not None and not rule.allow:
                return f"not fetched: robots.txt of {origin} disallows it ({rule.line})"
        return None

    # -- tdmrep.json ---------------------------------------------------------------------------

    async def _tdmrep(self, origin: str, trigger: Request | None) -> _TdmRep:
        url = tdmrep_url_of(origin)
        refusal = await self._refusal(url, trigger)
        if refusal is not None:
            held = _TdmRep(self.clock() + self.ttl, None, f"{url} {refusal}")
            self._hold(origin).tdmrep = held
            return held
        held_origin = self._held(origin)
        earlier = held_origin.tdmrep if held_origin is not None else None

        async def fetch(shared_previous: StoredDocument | None) -> StoredDocument:
            result = await self.fetcher.fetch(url, DocumentKind.TDMREP, limit=TDMREP_LIMIT, trigger=trigger)
            return StoredDocument(result, self.clock() + self.ttl)

        # The copy held, if any, is what Redis being down (on error: deny) leaves this worker with.
        previous = earlier.stored if earlier is not None else None
        stored, copy = await self._obtain(DocumentKind.TDMREP, origin, fetch, previous)
        kept_in = self._kept_in(copy)
        if kept_in and earlier is not None and earlier.kept_in == kept_in:  # reported in this outage
            self._hold(origin).tdmrep = earlier
            return earlier
        keep = stored if self.shared is not None and self.shared.keeps_copies else None
        held = _TdmRep(stored.expires_at, *self._tdmrep_of(stored.result, url), keep, kept_in)
        self._hold(origin).tdmrep = held
        self.on_fetched(
            DocumentEvent(
                DocumentKind.TDMREP,
                origin,
                url,
                stored.result,
                stored.expires_at,
                held.file,
                held.note,
                held.info,
                copy=copy,
            )
        )
        return held

    @staticmethod
    def _tdmrep_of(result: FetchResult, url: str) -> tuple[TdmRepFile | None, str | None, str | None]:
        """What a fetched tdmrep.json says: the file, why it cannot be used, why there is none."""
        if result.status is None or not 200 <= result.status < 300:
            return None, None, None  # the origin "does not implement this protocol" (TDMRep §3.2.1)
        if "html" in result.content_type.lower():
            # A soft 404: the origin answers every path with a page. It has no tdmrep.json.
            served = result.content_type.split(";")[0]
            return None, None, f"served {served}, not JSON: no tdmrep.json"
        file, note = parse_tdmrep(result.body, url)
        if file is not None and file.warnings:
            note = "; ".join(file.warnings)
        return file, note, None

    # -- RSL licences --------------------------------------------------------------------------

    async def licenses(
        self, urls: Iterable[str], origin: str, trigger: Request | None = None
    ) -> dict[str, RslDocument | str]:
        """RSL documents by URL, each fetched once while it is held (as many as origins)."""
        found: dict[str, RslDocument | str] = {}
        for url in urls:
            document = self._licenses.get(url)
            if document is None:
                document = await self._license_flight.run(
                    url, functools.partial(self._license, url, origin, trigger)
                )
                self._licenses[url] = document
                while len(self._licenses) > self.max_origins:
                    self._licenses.popitem(last=False)
            else:
                self._licenses.move_to_end(url)
            found[url] = document
        return found

    async def _license(self, url: str, origin: str, trigger: Request | None) -> RslDocument | str:
        refusal = await self._refusal(url, trigger)
        if refusal is not None:
            return refusal

        async def fetch(shared_previous: StoredDocument | None) -> StoredDocument:
            result = await self.fetcher.fetch(url, DocumentKind.RSL, limit=LICENSE_LIMIT, trigger=trigger)
            return StoredDocument(result, self.clock() + self.ttl)

        stored, copy = await self._obtain(DocumentKind.RSL, url, fetch, None)
        result = stored.result
        if result.status is None or not 200 <= result.status < 300:
            document: RslDocument | str = f"could not be fetched ({result.detail})"
        elif result.truncated:
            document = f"larger than {LICENSE_LIMIT} bytes"
        else:
            document = parse_license(result.body, url)
        note = document if isinstance(document, str) else None
        self.on_fetched(
            DocumentEvent(DocumentKind.RSL, origin, url, result, stored.expires_at, document, note, copy=copy)
        )
        return document

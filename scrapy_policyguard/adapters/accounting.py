"""Every outcome counted once: the counter table, crawl-wide stats and per-origin counts.

:data:`TALLIES` is the one place that says which counters an outcome moves: crawl-wide ones in
Scrapy's stats (under ``policyguard/``), one split by the source that denied, and the per-origin
counts of the audit trail's ``totals`` record. ``policyguard report`` rebuilds per-origin counts
from the records with the same table when a log has no totals (a killed crawl).

Reconciliations the table keeps: every request the middleware sees counts in exactly one of
``requests/allowed``, ``requests/denied`` and ``requests/overridden`` (``would_deny`` and
``marked`` are parts of ``allowed``); ``responses/checked`` = ``responses/kept`` +
``responses/withheld``, of which ``responses/denied`` were denied by the response itself and
``files/dropped`` were media files not stored; ``items/seen`` = ``items/kept`` +
``items/dropped``, and ``items/allowed`` + ``items/denied`` = ``items/kept``;
``recheck/captures`` = ``recheck/kept`` + ``recheck/removed``.
:class:`MediaCount` names the counters of media bodies read for embedded statements.

Responses also count their size: the body bytes as the response reached the middleware (after
Scrapy undid any Content-Encoding, so a gzip transfer counts the content, not the wire), per
origin as ``bytes_kept`` (the decision allows the declared purpose) or ``bytes_withheld`` (it
does not). ``policyguard summary`` sizes domains with them, as the AI Act training-content
template asks (section 2.3, "size of the content scraped").
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.text_enum import TextEnum
from .audit import Record

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector

__all__ = [
    "NO_ORIGIN",
    "NO_URL",
    "RECHECK_SPIDER",
    "STATS_PREFIX",
    "TALLIES",
    "ItemAction",
    "Ledger",
    "MediaCount",
    "OriginCount",
    "RecheckAction",
    "RequestAction",
    "ResponseAction",
    "Tally",
]

STATS_PREFIX = "policyguard/"
#: The origin counted for items that came from no response.
NO_ORIGIN = "(no response)"
#: The origin counted for re-checked captures whose URL could not be read.
NO_URL = "(no URL)"


class RequestAction(TextEnum):
    """What the downloader middleware did with a request."""

    ALLOWED = "allowed"
    BLOCKED = "blocked"
    WOULD_BLOCK = "would-block"  # audit mode: let through, recorded
    MARKED = "marked"  # fetched although its use is denied (POLICYGUARD_BLOCK_BEFORE_FETCH = False)
    OVERRIDE = "override"  # request.meta["dont_obey_robotstxt"]: not checked
    UNSIGNED = "unsigned"  # not sent: it could not be signed (Web Bot Auth); ``signing/failed``


class ResponseAction(TextEnum):
    """What became of a fetched response: kept for the declared purpose, or withheld from it."""

    ALLOWED = "allowed"  # kept: the decision, with the response read, allows the purpose
    MARKED = "marked"  # withheld: the response denies the purpose the request was allowed for
    WITHHELD = "withheld"  # withheld: denied before fetching already (fetched for links, or audit mode)
    BLOCKED = "blocked"  # not passed on: a pay-per-crawl page not paid for, or refused by the server
    WOULD_BLOCK = "would-block"  # audit mode: a pay-per-crawl page passed on unpaid, recorded
    FILE_DROPPED = "file-dropped"  # a FilesPipeline / ImagesPipeline download denied: not stored


class ItemAction(TextEnum):
    """What the pipeline did with an item."""

    KEPT = "kept"
    TAGGED_DENIED = "tagged-denied"  # kept with a denied tag (POLICYGUARD_ITEM_ACTION = "tag")
    WOULD_DROP = "would-drop"  # audit mode: kept, recorded
    DROPPED = "dropped"


#: The spider of a ``policyguard recheck`` run: what tells its audit trail from a crawl's.
RECHECK_SPIDER = "policyguard-recheck"


class RecheckAction(TextEnum):
    """Where ``policyguard recheck`` put a capture of collected data (a JSON Lines line, the WARC
    records of one fetch)."""

    KEPT = "kept"
    REMOVED = "removed"


class OriginCount(TextEnum):
    """The per-origin counts of the ``totals`` record."""

    REQUESTS_ALLOWED = "requests_allowed"
    REQUESTS_DENIED = "requests_denied"
    REQUESTS_WOULD_DENY = "requests_would_deny"
    REQUESTS_MARKED = "requests_marked"
    REQUESTS_OVERRIDDEN = "requests_overridden"
    RESPONSES_DENIED = "responses_denied"
    RESPONSES_KEPT = "responses_kept"
    RESPONSES_WITHHELD = "responses_withheld"
    BYTES_KEPT = "bytes_kept"
    BYTES_WITHHELD = "bytes_withheld"
    FILES_DROPPED = "files_dropped"
    ITEMS_ALLOWED = "items_allowed"
    ITEMS_DENIED = "items_denied"
    ITEMS_DROPPED = "items_dropped"
    CAPTURES_KEPT = "captures_kept"
    CAPTURES_REMOVED = "captures_removed"


class MediaCount(TextEnum):
    """Counters of media bodies read for embedded statements (under ``policyguard/``)."""

    READ = "media/read"  # bodies in a container format we read
    XMP = "media/xmp"  # XMP packets read
    C2PA_READ = "media/c2pa/read"  # manifests read that validate
    C2PA_UNVERIFIED = "media/c2pa/unverified"  # manifests read that do not validate
    C2PA_UNREAD = "media/c2pa/unread"  # manifests present, c2pa-python missing or switched off
    C2PA_ERROR = "media/c2pa/error"  # manifests present that could not be read
    PROBLEMS = "media/problems"  # truncated or malformed containers and packets


@dataclass(frozen=True)
class Tally:
    """What one outcome adds: crawl-wide stats, a stat split by denying source, per-origin counts
    (each by one), and the stats and per-origin counts that add the response's size in bytes."""

    stats: tuple[str, ...]
    by_source: str | None
    origin: tuple[OriginCount, ...]
    size_stats: tuple[str, ...] = ()
    size_origin: tuple[OriginCount, ...] = ()


Action = RequestAction | ResponseAction | ItemAction | RecheckAction
_O = OriginCount

TALLIES: Mapping[tuple[Record, Action], Tally] = {
    (Record.REQUEST, RequestAction.ALLOWED): Tally(("requests/allowed",), None, (_O.REQUESTS_ALLOWED,)),
    (Record.REQUEST, RequestAction.BLOCKED): Tally(
        ("requests/denied",), "requests/denied", (_O.REQUESTS_DENIED,)
    ),
    (Record.REQUEST, RequestAction.WOULD_BLOCK): Tally(
        ("requests/allowed", "requests/would_deny"),
        "requests/would_deny",
        (_O.REQUESTS_ALLOWED, _O.REQUESTS_WOULD_DENY),
    ),
    (Record.REQUEST, RequestAction.MARKED): Tally(
        ("requests/allowed", "requests/marked"), "requests/marked", (_O.REQUESTS_ALLOWED, _O.REQUESTS_MARKED)
    ),
    (Record.REQUEST, RequestAction.OVERRIDE): Tally(
        ("requests/overridden",), None, (_O.REQUESTS_OVERRIDDEN,)
    ),
    (Record.RESPONSE, ResponseAction.ALLOWED): Tally(
        ("responses/checked", "responses/kept"),
        None,
        (_O.RESPONSES_KEPT,),
        ("responses/bytes_kept",),
        (_O.BYTES_KEPT,),
    ),
    (Record.RESPONSE, ResponseAction.MARKED): Tally(
        ("responses/checked", "responses/denied", "responses/withheld"),
        "responses/denied",
        (_O.RESPONSES_DENIED, _O.RESPONSES_WITHHELD),
        ("responses/bytes_withheld",),
        (_O.BYTES_WITHHELD,),
    ),
    (Record.RESPONSE, ResponseAction.WITHHELD): Tally(
        ("responses/checked", "responses/withheld"),
        None,
        (_O.RESPONSES_WITHHELD,),
        ("responses/bytes_withheld",),
        (_O.BYTES_WITHHELD,),
    ),
    (Record.RESPONSE, ResponseAction.BLOCKED): Tally(
        ("responses/checked", "responses/denied", "responses/withheld"),
        "responses/denied",
        (_O.RESPONSES_DENIED, _O.RESPONSES_WITHHELD),
    ),
    (Record.RESPONSE, ResponseAction.WOULD_BLOCK): Tally(
        ("responses/checked", "responses/would_deny"), "responses/would_deny", (_O.REQUESTS_WOULD_DENY,)
    ),
    (Record.RESPONSE, ResponseAction.FILE_DROPPED): Tally(
        ("responses/checked", "responses/withheld", "files/dropped"),
        "files/dropped",
        (_O.RESPONSES_WITHHELD, _O.FILES_DROPPED),
        ("responses/bytes_withheld",),
        (_O.BYTES_WITHHELD,),
    ),
    (Record.ITEM, ItemAction.KEPT): Tally(
        ("items/seen", "items/kept", "items/allowed"), None, (_O.ITEMS_ALLOWED,)
    ),
    (Record.ITEM, ItemAction.TAGGED_DENIED): Tally(
        ("items/seen", "items/kept", "items/denied"), "items/denied", (_O.ITEMS_DENIED,)
    ),
    (Record.ITEM, ItemAction.WOULD_DROP): Tally(
        ("items/seen", "items/kept", "items/denied"), "items/denied", (_O.ITEMS_DENIED,)
    ),
    (Record.ITEM, ItemAction.DROPPED): Tally(
        ("items/seen", "items/dropped"), "items/dropped", (_O.ITEMS_DROPPED,)
    ),
    (Record.RECHECK, RecheckAction.KEPT): Tally(
        ("recheck/captures", "recheck/kept"), None, (_O.CAPTURES_KEPT,)
    ),
    (Record.RECHECK, RecheckAction.REMOVED): Tally(
        ("recheck/captures", "recheck/removed"), "recheck/removed", (_O.CAPTURES_REMOVED,)
    ),
}


class Ledger:
    """Crawl-wide counters in Scrapy's stats collector, and the per-origin counts beside them.

    At most ``max_origins`` origins' counts are held: beyond that the least recently counted
    origin's counts are handed to ``on_drop`` (which writes them to the audit trail) and start
    again from zero, so a crawl of millions of origins holds a bounded table and loses no count.
    """

    def __init__(
        self,
        stats: StatsCollector,
        *,
        max_origins: int,
        on_drop: Callable[[str, dict[str, int]], None] = lambda origin, counts: None,
    ) -> None:
        self._stats = stats
        self._max_origins = max_origins
        self._on_drop = on_drop
        self.per_origin: OrderedDict[str, Counter[str]] = OrderedDict()

    def inc(self, key: str, count: int = 1) -> None:
        self._stats.inc_value(STATS_PREFIX + key, count)

    def set(self, key: str, value: str) -> None:
        """A stat that is not a count (money, as ``USD 0.05``)."""
        self._stats.set_value(STATS_PREFIX + key, value)

    def count(
        self, record: Record, action: Action, origin: str, sources: Iterable[str] = (), size: int = 0
    ) -> None:
        """Add one outcome; ``sources`` are the sources that denied it, for the split counter;
        ``size`` is a response's body size in bytes."""
        tally = TALLIES[(record, action)]
        for key in tally.stats:
            self.inc(key)
        for key in tally.size_stats:
            self.inc(key, size)
        if tally.by_source is not None:
            for source in sources:
                self.inc(f"{tally.by_source}/{source}")
        if not tally.origin:
            return
        counts = self.per_origin.get(origin)
        if counts is None:
            counts = self.per_origin[origin] = Counter()
            while len(self.per_origin) > self._max_origins:
                dropped, held = self.per_origin.popitem(last=False)
                self._on_drop(dropped, dict(sorted(held.items())))
        else:
            self.per_origin.move_to_end(origin)
        for name in tally.origin:
            counts[name] += 1
        for name in tally.size_origin:
            counts[name] += size

    def stats(self) -> dict[str, Any]:
        """The ``policyguard/`` stats, sorted, as the ``totals`` record holds them."""
        return {
            key: value
            for key, value in sorted(self._stats.get_stats().items())
            if key.startswith(STATS_PREFIX)
        }

    def origins(self) -> dict[str, dict[str, int]]:
        """Per-origin counts, sorted, as the ``totals`` record holds them."""
        return {origin: dict(sorted(counts.items())) for origin, counts in sorted(self.per_origin.items())}

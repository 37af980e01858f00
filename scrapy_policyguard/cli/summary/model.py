"""The compliance summary of one run: what the AI Act training-content template and the Code of
Practice ask a crawl to show, answered from its audit trail (sources in core/compliance.py).

One run is every crawl in the given audit files (one file per worker of a scrapy-redis crawl, or
a file appended to by several crawls), or the crawls named with ``--crawl``. Files are read and
per-origin counts merged by the report model (``read_audit``, ``build_origins``), so ``report``
and ``summary`` count alike.

What each part answers: ``crawlers`` template 2.3 (i) (and the purposes, 2.3 (ii)); ``period`` 2.3
(iv), the first and last record of the run's crawls; ``domains`` and ``top_domains`` 2.3 (vii), sized by the
body bytes of the responses kept for the declared purpose, per registrable domain; ``measures``
the Code's Measures 1.3 (1)(a), 1.3 (1)(b) (with template section 3.1), 1.2 (b), 1.2 (a) and 1.3
(4), each with the counts the crawl recorded; ``pay`` (only when the crawl met a pay-per-crawl price)
what it spent, as ``policyguard report`` adds it up.

A ``policyguard recheck`` run collects nothing: it splits data collected before by today's opt-outs.
Its captures kept and removed are in ``recheck`` (only when the run holds one), and the measures
count the captures each signal removed; the collection period, totals and domains come from the
crawls alone, so a re-check adds no zeros to them. The renderings read only :meth:`Summary.to_dict`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..._version import __version__
from ...adapters.accounting import (
    NO_ORIGIN,
    NO_URL,
    RECHECK_SPIDER,
    ItemAction,
    OriginCount,
    RecheckAction,
    RequestAction,
    ResponseAction,
)
from ...adapters.audit import Record
from ...adapters.settings import DEFAULTS
from ...core.compliance import CODE_OF_PRACTICE, SUMMARY_TEMPLATE, TOP_DOMAINS_SHARE, Measure
from ...core.decision import Source
from ...core.paths import host_of, origin_of
from ...core.text_enum import TextEnum
from ..report.model import (
    AuditTrail,
    build_origins,
    count_documents,
    fetched,
    met_a_price,
    spending,
    sum_stats,
)
from .domains import registrable_domain, top_count

__all__ = ["MEDIA_PROTOCOLS", "PROTOCOLS", "CrawlKind", "Status", "Summary", "build_summary"]

#: The machine-readable reservations Measure 1.3 (1)(b) speaks of, as our evidence sources name
#: them, with what each is. Platform terms follow them, marked as not machine-readable.
PROTOCOLS: dict[Source, str] = {
    Source.ROBOTS_AI_GROUPS: "robots.txt groups for AI crawlers (GPTBot, CCBot, Google-Extended ...)",
    Source.CONTENT_SIGNAL: "Content-Signal (robots.txt)",
    Source.CONTENT_USAGE: "Content-Usage, IETF AIPREF (robots.txt, HTTP header)",
    Source.AI_TRAINING_RULES: "DisallowAITraining / AllowAITraining (robots.txt)",
    Source.TDMREP: "TDMRep, W3C TDM Reservation Protocol (tdmrep.json, header, meta)",
    Source.RSL: "RSL licences (robots.txt, Link header, HTML link)",
    Source.X_ROBOTS_TAG: "X-Robots-Tag noai / noimageai / noml (HTTP header)",
    Source.HTML_META: "<meta name=robots> noai / noimageai / noml (HTML)",
    Source.XMP: "IPTC Data Mining, plus:DataMining (XMP inside image and video files)",
    Source.C2PA: "CAWG training-and-data-mining assertion (C2PA Content Credentials inside media files)",
    Source.TERMS: "platform terms of service (rule packs; not machine-readable)",
}
#: The protocols read from the bytes of downloaded media files, when POLICYGUARD_MEDIA_READERS
#: names them (the crawl record's settings say which).
MEDIA_PROTOCOLS = (Source.XMP, Source.C2PA)

#: Per column of the protocols' evidence: the (record, action) pairs counted in it.
_COUNTED = (
    ("requests_blocked", Record.REQUEST, RequestAction.BLOCKED),
    ("requests_would_block", Record.REQUEST, RequestAction.WOULD_BLOCK),
    ("requests_fetched_use_denied", Record.REQUEST, RequestAction.MARKED),
    ("responses_denied", Record.RESPONSE, ResponseAction.MARKED),
    ("files_dropped", Record.RESPONSE, ResponseAction.FILE_DROPPED),
    ("items_dropped", Record.ITEM, ItemAction.DROPPED),
    ("items_withheld", Record.ITEM, ItemAction.TAGGED_DENIED),
    ("items_withheld", Record.ITEM, ItemAction.WOULD_DROP),
    ("captures_removed", Record.RECHECK, RecheckAction.REMOVED),
)
#: The columns, once each, in order.
_COLUMNS = tuple(dict.fromkeys(column for column, _, _ in _COUNTED))
_INFO_URL = re.compile(r"\+?(https?://[^\s;)]+)")
#: Per-origin counts summed into the run's totals.
_TOTALS = (
    OriginCount.REQUESTS_ALLOWED,
    OriginCount.REQUESTS_DENIED,
    OriginCount.REQUESTS_WOULD_DENY,
    OriginCount.REQUESTS_MARKED,
    OriginCount.REQUESTS_OVERRIDDEN,
    OriginCount.RESPONSES_KEPT,
    OriginCount.BYTES_KEPT,
    OriginCount.RESPONSES_WITHHELD,
    OriginCount.BYTES_WITHHELD,
    OriginCount.ITEMS_ALLOWED,
    OriginCount.ITEMS_DENIED,
    OriginCount.ITEMS_DROPPED,
)


class CrawlKind(TextEnum):
    """What one crawl of the run was."""

    CRAWL = "crawl"  # it collected pages
    RECHECK = "recheck"  # ``policyguard recheck``: it split data collected before, fetching no page


@dataclass(frozen=True)
class Kinds:
    """What the run did: crawl (collect pages), re-check collected data, or both."""

    crawled: bool
    rechecked: bool


class Status(TextEnum):
    """How a measure stood in the run."""

    ENFORCED = "enforced"
    AUDIT = "recorded only (audit mode)"
    TAG = "recorded only (POLICYGUARD_PAYWALL = tag)"
    NOT_CONFIGURED = "not configured"
    INFORMATION = "information"


@dataclass
class Summary:
    run: dict[str, Any]
    crawlers: list[dict[str, Any]]
    period: dict[str, str | None]
    totals: dict[str, int]
    domains: list[dict[str, Any]]
    top_domains: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    pay: dict[str, Any] | None = None  # only when the run met a pay-per-crawl price
    recheck: dict[str, Any] | None = None  # only when the run re-checked collected data

    @property
    def complete(self) -> bool:
        return bool(self.run["complete"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "crawlers": self.crawlers,
            "period": self.period,
            "totals": self.totals,
            **({"pay": self.pay} if self.pay is not None else {}),
            **({"recheck": self.recheck} if self.recheck is not None else {}),
            "domains": self.domains,
            "top_domains": self.top_domains,
            "measures": self.measures,
        }


def _denials(records: Sequence[dict[str, Any]]) -> dict[str, Counter[str]]:
    """Per denying source, how many requests, responses, items and re-checked captures of each
    outcome it denied."""
    wanted: dict[tuple[str, str], str] = {(kind, action): column for column, kind, action in _COUNTED}
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        column = wanted.get((str(record["record"]), str(record.get("action"))))
        if column is not None:
            for source in record.get("denied_by") or ():
                found[source][column] += 1
    return found


def _crawlers(crawls: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each distinct crawler identity of the run, with the purposes and spiders it ran."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for crawl in crawls:
        agent = crawl.get("user_agent") or {}
        token, header = str(agent.get("token") or ""), str(agent.get("header") or "")
        entry = found.setdefault(
            (token, header),
            {
                "token": token,
                "user_agent": header,
                "information_url": (m.group(1) if (m := _INFO_URL.search(header)) else None),
                "purposes": [],
                "spiders": [],
                "crawls": [],
            },
        )
        for key, value in (("purposes", crawl.get("purpose")), ("spiders", crawl.get("spider"))):
            if value and value not in entry[key]:
                entry[key].append(value)
        entry["crawls"].append(crawl.get("crawl"))
    return list(found.values())


def _status(crawls: Sequence[dict[str, Any]]) -> Status:
    return Status.AUDIT if any(c.get("mode") == "audit" for c in crawls) else Status.ENFORCED


def _measure(
    measure: Measure, status: Status, summary: str, evidence: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "measure": measure.value,
        "cite": measure.cite,
        "heading": measure.heading,
        "status": str(status),
        "summary": summary,
        **extra,
        "evidence": evidence,
    }


def _robots_measure(
    records: Sequence[dict[str, Any]], crawls: Sequence[dict[str, Any]], kinds: Kinds
) -> dict[str, Any]:
    # Fetches only: a copy another worker fetched, read from the shared cache, is not one more.
    seen = [r for r in records if r["record"] == "robots"]
    fetches = [r for r in seen if fetched(r)]
    states = Counter(str(r.get("state")) for r in fetches)
    blocked = Counter(
        origin_of(r["url"])
        for r in records
        if r["record"] == "request"
        and r.get("action") == "blocked"
        and "robots.txt" in (r.get("denied_by") or ())
    )
    removed = Counter(
        str(r.get("origin"))
        for r in records
        if r["record"] == Record.RECHECK
        and r.get("action") == RecheckAction.REMOVED
        and Source.ROBOTS_TXT in (r.get("denied_by") or ())
    )
    would = sum(
        1
        for r in records
        if r["record"] == "request"
        and r.get("action") == "would-block"
        and "robots.txt" in (r.get("denied_by") or ())
    )
    unreachable: dict[str, str] = {}
    for record in fetches:
        if record.get("state") == "unreachable":
            unreachable[record["origin"]] = str(record.get("detail"))
    origins = {r["origin"] for r in seen}
    evidence = {
        "fetches": len(fetches),
        "origins": len(origins),
        "parsed": states.get("parsed", 0),
        "unavailable_allow_all": states.get("unavailable", 0),
        "unreachable_disallow_all": states.get("unreachable", 0),
        "stale_copies_used": sum(1 for r in seen if r.get("stale")),
        "requests_not_sent": sum(blocked.values()),
        "requests_would_block": would,
        "captures_removed": sum(removed.values()),
        "unreachable_origins": [
            {
                "origin": origin,
                "detail": detail,
                "requests_not_sent": blocked.get(origin, 0),
                "captures_removed": removed.get(origin, 0),
            }
            for origin, detail in sorted(unreachable.items())
        ],
        "token": sorted({str((c.get("user_agent") or {}).get("token")) for c in crawls}),
    }
    outcomes = []
    if kinds.crawled:
        outcomes.append(
            f"{evidence['requests_not_sent']} requests were not sent because robots.txt disallows them for "
            "the crawler's product token"
        )
    if kinds.rechecked:
        outcomes.append(
            f"{evidence['captures_removed']} re-checked captures of collected data were removed because "
            "robots.txt disallows them for the product token today"
        )
    summary = (
        f"robots.txt was fetched {len(fetches)} times for {len(origins)} origins"
        + (" before any of their pages" if kinds.crawled else "")
        + f" ({evidence['parsed']} parsed; {evidence['unavailable_allow_all']} unavailable, so allowed; "
        f"{evidence['unreachable_disallow_all']} unreachable, so completely disallowed as RFC 9309 "
        f"§2.3.1.4 says)" + "".join(f"; {outcome}" for outcome in outcomes) + "."
    )
    return _measure(Measure.ROBOTS_TXT, _status(crawls), summary, evidence)


def _media_read(crawls: Sequence[dict[str, Any]]) -> list[Source]:
    """The media protocols some of these crawls read: POLICYGUARD_MEDIA_READERS in their crawl
    records (a crawl from before media reading records none)."""
    named = {
        str(reader)
        for crawl in crawls
        for reader in (crawl.get("settings") or {}).get("POLICYGUARD_MEDIA_READERS") or ()
    }
    return [source for source in MEDIA_PROTOCOLS if source in named]


def _protocols_measure(
    records: Sequence[dict[str, Any]],
    crawls: Sequence[dict[str, Any]],
    denials: dict[str, Counter[str]],
    kinds: Kinds,
    media: Sequence[Source],
) -> dict[str, Any]:
    documents = count_documents(records)
    protocols: list[dict[str, Any]] = []
    for source, title in PROTOCOLS.items():
        counts = denials.get(source, Counter())
        read = source not in MEDIA_PROTOCOLS or source in media
        protocols.append(
            {
                "source": str(source),
                "protocol": title,
                "read": read,
                **{c: counts.get(c, 0) for c in _COLUMNS},
            }
        )
    honoured = [p for p in protocols if any(p[c] for c in _COLUMNS)]
    evidence = {
        "protocols": protocols,
        "documents_fetched": {
            kind: documents.get(kind, Counter())["fetched"] for kind in ("tdmrep.json", "rsl")
        },
    }
    applied = ", ".join(f"{p['source']} ({sum(p[c] for c in _COLUMNS)})" for p in honoured) or "none applied"
    checked = " and every ".join(
        what
        for what, done in (("request and response", kinds.crawled), ("re-checked capture", kinds.rechecked))
        if done
    )
    page_protocols = len(PROTOCOLS) - len(MEDIA_PROTOCOLS) - 1  # the platform terms are not one
    if media:
        inside = (
            f"{len(media)} more ({', '.join(media)}) were read inside any media files the crawl downloaded"
        )
    elif kinds.crawled:
        inside = "statements inside media files (XMP, C2PA) were not read (POLICYGUARD_MEDIA_READERS)"
    else:
        inside = "a re-check reads no statements inside media files"
    summary = (
        f"{page_protocols} machine-readable reservation protocols and the platform terms were read for "
        f"every {checked or 'request and response'}; {inside}; decisions they made: {applied}."
    )
    return _measure(
        Measure.OTHER_PROTOCOLS,
        _status(crawls),
        summary,
        evidence,
        template=f"{SUMMARY_TEMPLATE.title}, section 3.1",
    )


def _blocklist_measure(
    records: Sequence[dict[str, Any]], crawls: Sequence[dict[str, Any]], denials: dict[str, Counter[str]]
) -> dict[str, Any]:
    lists = {
        (r.get("file"), r.get("sha256")): {
            "file": r.get("file"),
            "entries": r.get("entries"),
            "sha256": r.get("sha256"),
        }
        for crawl in crawls
        for r in crawl.get("rules") or ()
        if r.get("kind") == "blocklist"
    }
    excluded: Counter[str] = Counter()
    for record in records:
        if record["record"] == "request" and Source.BLOCKLIST in (record.get("denied_by") or ()):
            for evidence in record.get("evidence") or ():
                if evidence.get("source") == Source.BLOCKLIST:
                    excluded[str((evidence.get("refs") or {}).get("domain"))] += 1
    counts = denials.get(Source.BLOCKLIST, Counter())
    evidence = {
        "lists": list(lists.values()),
        "requests_not_sent": counts.get("requests_blocked", 0),
        "requests_would_block": counts.get("requests_would_block", 0),
        "domains_excluded": [{"domain": d, "requests": n} for d, n in sorted(excluded.items())],
    }
    if not lists:
        status, summary = (
            Status.NOT_CONFIGURED,
            "No list of infringing websites was configured (POLICYGUARD_BLOCKLISTS), so none was applied.",
        )
    else:
        entries = sum(int(item.get("entries") or 0) for item in lists.values())
        status = _status(crawls)
        summary = (
            f"{len(lists)} list(s) with {entries} domain(s) in force; nothing was fetched from a listed "
            f"website (not even robots.txt): {evidence['requests_not_sent']} requests to "
            f"{len(excluded)} listed domain(s) were not sent."
        )
    return _measure(Measure.INFRINGING_SITES, status, summary, evidence)


def _paywall_measure(
    records: Sequence[dict[str, Any]],
    crawls: Sequence[dict[str, Any]],
    denials: dict[str, Counter[str]],
    stats: Counter[str],
    kinds: Kinds,
) -> dict[str, Any]:
    modes = sorted(
        {str((c.get("settings") or {}).get("POLICYGUARD_PAYWALL", "not recorded")) for c in crawls}
    )
    denied_pages = sorted(
        {
            r["url"]
            for r in records
            if r["record"] == "response" and Source.PAYWALL in (r.get("denied_by") or ())
        }
    )
    counts = denials.get(Source.PAYWALL, Counter())
    detected = stats.get("policyguard/responses/paywalled", 0)
    evidence = {
        "mode": modes,
        "pages_detected": max(detected, len(denied_pages)),
        "pages_denied": counts.get("responses_denied", 0),
        "items_withheld": counts.get("items_withheld", 0) + counts.get("items_dropped", 0),
        "captures_removed": counts.get("captures_removed", 0),
        "denied_pages": denied_pages[:50],
    }
    if modes == ["ignore"]:
        status = Status.NOT_CONFIGURED
    elif "tag" in modes:
        status = Status.TAG
    else:
        status = _status(crawls)
    summary = (
        f"Pages that declare a paywall (schema.org isAccessibleForFree false) are withheld from AI use "
        f"(POLICYGUARD_PAYWALL = {', '.join(modes)}): {evidence['pages_detected']} such page(s) seen, "
        f"{evidence['pages_denied']} denied"
        + (
            f"; {evidence['captures_removed']} re-checked capture(s) of such pages removed"
            if kinds.rechecked
            else ""
        )
        + "; the crawl sends no credentials and does not work around access restrictions."
    )
    return _measure(Measure.PAYWALLS, status, summary, evidence)


def _information_measure(
    crawlers: Sequence[dict[str, Any]], crawls: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    contacts = sorted(
        {str(c) for crawl in crawls if (c := (crawl.get("settings") or {}).get("POLICYGUARD_CONTACT"))}
    )
    evidence = {
        "crawlers": [
            {"token": c["token"], "user_agent": c["user_agent"], "information_url": c["information_url"]}
            for c in crawlers
        ],
        "contact": contacts,
        "robots_ttl_seconds": sorted(
            {
                float(
                    (c.get("settings") or {}).get(
                        "POLICYGUARD_ROBOTS_TTL", DEFAULTS["POLICYGUARD_ROBOTS_TTL"]
                    )
                )
                for c in crawls
            }
        ),
    }
    urls = [c["information_url"] for c in crawlers if c["information_url"]]
    page = f" with the page {', '.join(urls)}" if urls else ", naming no information page in its User-Agent"
    tokens = ", ".join(repr(c["token"]) for c in crawlers) or "nothing"
    summary = (
        f"The crawler announced itself as {tokens}{page}; "
        f"contact: {', '.join(contacts) or 'not set (POLICYGUARD_CONTACT)'}. "
        "`policyguard disclose` renders the information page the Code asks to publish."
    )
    return _measure(Measure.CRAWLER_INFORMATION, Status.INFORMATION, summary, evidence)


def _period(times: Sequence[str]) -> dict[str, str | None]:
    return {"start": min(times) if times else None, "end": max(times) if times else None}


def _recheck(
    records: Sequence[dict[str, Any]], rechecks: set[str], denials: dict[str, Counter[str]]
) -> dict[str, Any]:
    """What the run's ``policyguard recheck`` crawls did with the captures of collected data:
    kept or removed, per registrable domain and by the sources that removed them. ``captured``
    spans the capture dates (WARC-Date) of the captures the trail records: every removed one, and
    the kept ones too with POLICYGUARD_AUDIT_ALL."""
    mine = [r for r in records if r["crawl"] in rechecks]
    per_domain: dict[str, Counter[str]] = defaultdict(Counter)
    for name, origin in build_origins(mine).items():
        counts = {
            key: origin.counts.get(key, 0)
            for key in (OriginCount.CAPTURES_KEPT, OriginCount.CAPTURES_REMOVED)
        }
        if any(counts.values()):
            per_domain[name if name == NO_URL else registrable_domain(host_of(name) or name)].update(counts)
    kept = sum(c[OriginCount.CAPTURES_KEPT] for c in per_domain.values())
    removed = sum(c[OriginCount.CAPTURES_REMOVED] for c in per_domain.values())
    removed_by = Counter(
        {source: n for source, counts in denials.items() if (n := counts["captures_removed"])}
    )
    captured = [str(r["captured"]) for r in mine if r["record"] == Record.RECHECK and r.get("captured")]
    return {
        "crawls": sorted(rechecks),
        "period": _period([str(r["time"]) for r in mine if r.get("time")]),
        "captured": _period(captured),
        "captures": kept + removed,
        "kept": kept,
        "removed": removed,
        "removed_by": dict(removed_by.most_common()),
        "domains": sorted(
            (
                {
                    "domain": domain,
                    "captures_kept": counts[OriginCount.CAPTURES_KEPT],
                    "captures_removed": counts[OriginCount.CAPTURES_REMOVED],
                }
                for domain, counts in per_domain.items()
            ),
            key=lambda d: (-d["captures_kept"] - d["captures_removed"], d["domain"]),
        ),
    }


def build_summary(
    trail: AuditTrail,
    run: str | None = None,
    *,
    every: bool = False,
    share: float = TOP_DOMAINS_SHARE,
    max_domains: int | None = None,
) -> Summary:
    """The summary of ``run`` (a run id or one crawl id; default: the run started last, every
    worker of it), or with ``every`` of every crawl in the files, as one collection."""
    chosen = trail.crawls if every else trail.select(run)
    records = trail.of(set(chosen))
    crawls = [r for r in records if r["record"] == "crawl"]
    finished = {str(r["crawl"]): r for r in records if r["record"] == "totals"}
    stats: Counter[str] = Counter(sum_stats(finished.values()))
    rechecks = {str(c["crawl"]) for c in crawls if c.get("spider") == RECHECK_SPIDER} | {
        str(r["crawl"]) for r in records if r["record"] == Record.RECHECK
    }
    kinds = Kinds(crawled=bool(set(chosen) - rechecks), rechecked=bool(rechecks))
    # What was collected (period, totals, domains) comes from the crawls: a re-check collects nothing.
    collected = [r for r in records if r["crawl"] not in rechecks]

    origins = build_origins(collected)
    per_domain: dict[str, Counter[str]] = defaultdict(Counter)
    members: dict[str, set[str]] = defaultdict(set)
    totals: Counter[str] = Counter()
    for name, origin in origins.items():
        totals.update({key: origin.counts.get(key, 0) for key in _TOTALS})
        if name == NO_ORIGIN:
            continue
        domain = registrable_domain(host_of(name) or name)
        per_domain[domain].update(origin.counts)
        members[domain].add(name)
    domains: list[dict[str, Any]] = sorted(
        (
            {
                "domain": domain,
                "bytes": counts.get(OriginCount.BYTES_KEPT, 0),
                "items": counts.get(OriginCount.ITEMS_ALLOWED, 0),
                "responses": counts.get(OriginCount.RESPONSES_KEPT, 0),
                "bytes_withheld": counts.get(OriginCount.BYTES_WITHHELD, 0),
                "responses_withheld": counts.get(OriginCount.RESPONSES_WITHHELD, 0),
                "requests_denied": counts.get(OriginCount.REQUESTS_DENIED, 0),
                "origins": sorted(members[domain]),
            }
            for domain, counts in per_domain.items()
        ),
        key=lambda d: (-d["bytes"], d["domain"]),
    )
    with_content = [d for d in domains if d["bytes"] > 0]
    listed = top_count(len(with_content), share, max_domains)
    top_domains = with_content[:listed]
    kept = sum(d["bytes"] for d in with_content)

    problems = []
    for crawl_id in chosen:
        if crawl_id not in finished:
            problems.append(
                f"crawl {crawl_id}: no totals record (the crawl did not finish); counts come from its records"
            )
        if not any(c.get("crawl") == crawl_id for c in crawls):
            problems.append(f"crawl {crawl_id}: no crawl record (the start of its log is missing)")
    if trail.broken_lines:
        problems.append(f"{trail.broken_lines} line(s) could not be read (cut short or corrupt)")
    times = [str(r["time"]) for r in collected if r.get("time")]
    crawlers = _crawlers(crawls)
    denials = _denials(records)
    pay = spending(
        [finished.get(crawl_id) for crawl_id in chosen],
        [r for r in records if r["record"] == Record.CHARGE],
        stats.get("policyguard/pay/declined", 0),
    )
    run_info = {
        "files": trail.paths,
        "crawls": [
            {
                "id": c.get("crawl"),
                "kind": str(CrawlKind.RECHECK if c.get("crawl") in rechecks else CrawlKind.CRAWL),
                "spider": c.get("spider"),
                "purpose": c.get("purpose"),
                "mode": c.get("mode"),
                "started": c.get("time"),
                "finished": (finished.get(str(c.get("crawl"))) or {}).get("time"),
                "finish_reason": (finished.get(str(c.get("crawl"))) or {}).get("finish_reason"),
                "plugin_version": c.get("version"),
            }
            for c in crawls
        ],
        "purposes": sorted({str(c.get("purpose")) for c in crawls if c.get("purpose")}),
        "modes": sorted({str(c.get("mode")) for c in crawls if c.get("mode")}),
        "collected": kinds.crawled,
        "complete": not problems,
        "problems": problems,
        "top_domains_rule": {
            "share": share,
            "max_domains": max_domains,
            "domains_with_content": len(with_content),
            "listed": listed,
            "bytes_covered": sum(d["bytes"] for d in top_domains),
            "bytes_kept": kept,
            "rule": f"{SUMMARY_TEMPLATE.title}, section 2.3 (vii)",
        },
        "references": [{"title": ref.title, "url": ref.url} for ref in (CODE_OF_PRACTICE, SUMMARY_TEMPLATE)],
        "generated_by": f"scrapy-policyguard {__version__}",
    }
    total_counts = {str(key): totals.get(key, 0) for key in _TOTALS}
    total_counts.update(
        domains=len(domains),
        domains_with_content=len(with_content),
        origins=len(origins) - (NO_ORIGIN in origins),
    )
    measures = [
        _robots_measure(records, crawls, kinds),
        # A re-check reads no media file, whatever its settings say.
        _protocols_measure(
            records, crawls, denials, kinds, _media_read([c for c in crawls if c["crawl"] not in rechecks])
        ),
        _blocklist_measure(records, crawls, denials),
        _paywall_measure(records, crawls, denials, stats, kinds),
        _information_measure(crawlers, crawls),
    ]
    return Summary(
        run_info,
        crawlers,
        _period(times),
        total_counts,
        domains,
        top_domains,
        measures,
        pay=pay if met_a_price(pay) else None,
        recheck=_recheck(records, rechecks, denials) if rechecks else None,
    )

"""A page that declares itself paywalled: schema.org ``isAccessibleForFree`` false.

News sites mark metered and subscription content for search engines with schema.org structured
data, in JSON-LD or microdata, on the CreativeWork (``NewsArticle``, ``WebPage`` ...) and on the
paywalled parts (``hasPart``: a ``WebPageElement`` with a ``cssSelector``): Google Search Central,
"Structured data for subscription and paywalled content",
https://developers.google.com/search/docs/appearance/structured-data/paywalled-content (read
2026-12-06); schema.org/isAccessibleForFree. The markup exists so search engines may index what
readers must pay for; it says nothing about AI use. We read it as the paywall the General-Purpose
AI Code of Practice asks crawls to respect (Measure 1.2 (a), see core/compliance.py): with
POLICYGUARD_PAYWALL = "deny" the page is denied for ``ai-train`` and ``ai-input`` (our reading,
so the evidence says inferred), ``search`` is not spoken for; ``"tag"`` records it as a condition
without denying; ``"ignore"`` does not read it.

The property also exists on Event and Place, where ``false`` means an admission fee, not a
paywall: only the CreativeWork types below (and untyped parts of them) count. In microdata the
value is read where a boolean is written, ``<meta itemprop content>`` or ``<link itemprop href>``
(as in Google's guide): only those tags and the scripts are looked at, from the one walk
html.read_html makes over a page's ``meta``, ``link`` and ``script`` elements, where walking every
element of a large page for an ``itemprop`` took hundreds of microseconds (benchmarks/pages.py).
JSON-LD that does not parse, values other than false, and microdata outside an item say nothing
(no warning: broken structured data is common and is not a statement about the page).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from ..compliance import Measure
from ..decision import Evidence, Outcome, Source
from ..purposes import AI_PURPOSES
from ..text_enum import TextEnum

__all__ = ["CREATIVE_WORKS", "SOURCE", "PaywallMode", "paywall_evidence"]

SOURCE = Source.PAYWALL
JSON_LD = "application/ld+json"
PROPERTY = "isAccessibleForFree"


class PaywallMode(TextEnum):
    """POLICYGUARD_PAYWALL: what a page's paywall declaration does."""

    DENY = "deny"
    TAG = "tag"
    IGNORE = "ignore"


#: schema.org CreativeWork types that news, magazine, book, course and reference sites put behind
#: paywalls (schema.org's CreativeWork hierarchy, version 29).
CREATIVE_WORKS = frozenset(
    {
        "CreativeWork",
        "Article",
        "NewsArticle",
        "AnalysisNewsArticle",
        "AskPublicNewsArticle",
        "BackgroundNewsArticle",
        "OpinionNewsArticle",
        "ReportageNewsArticle",
        "ReviewNewsArticle",
        "AdvertiserContentArticle",
        "SatiricalArticle",
        "ScholarlyArticle",
        "MedicalScholarlyArticle",
        "TechArticle",
        "APIReference",
        "Report",
        "SocialMediaPosting",
        "BlogPosting",
        "LiveBlogPosting",
        "DiscussionForumPosting",
        "Blog",
        "WebPage",
        "AboutPage",
        "CollectionPage",
        "ItemPage",
        "WebPageElement",
        "WebContent",
        "WebSite",
        "Book",
        "Audiobook",
        "Chapter",
        "Periodical",
        "Newspaper",
        "PublicationIssue",
        "PublicationVolume",
        "Course",
        "Dataset",
        "Review",
        "CriticReview",
        "Recipe",
        "Thesis",
        "Guide",
        "HowTo",
        "MediaObject",
        "AudioObject",
        "VideoObject",
        "ImageObject",
        "Photograph",
        "PodcastEpisode",
        "PodcastSeries",
        "Movie",
        "Comment",
        "Answer",
        "Question",
    }
)

_DENY = dict.fromkeys(AI_PURPOSES, Outcome.DENY)
_DENY_DETAIL = (
    "the page declares itself paywalled (schema.org isAccessibleForFree false, markup for search "
    f"engines); its content is not used for AI ({Measure.PAYWALLS.cite})"
)
_TAG_DETAIL = "the page declares itself paywalled; recorded as a condition (POLICYGUARD_PAYWALL = tag)"
_CONDITION = (
    "paywalled content (schema.org isAccessibleForFree false): the publisher's subscription terms apply"
)


def _name(value: str) -> str:
    """A schema.org term as its bare name: ``https://schema.org/NewsArticle`` -> ``NewsArticle``."""
    return value.strip().rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _types(value: Any) -> set[str]:
    values = value if isinstance(value, list) else [value]
    return {_name(v) for v in values if isinstance(v, str)}


def _is_false(value: Any) -> bool:
    if isinstance(value, bool):
        return value is False
    return isinstance(value, str) and _name(value).lower() == "false"


def _json_ld_declarations(elements: Sequence[Any]) -> Iterator[tuple[str, str]]:
    """(rule, location) of each paywalled CreativeWork in the page's JSON-LD scripts."""
    index = 0
    for script in elements:
        if script.tag != "script" or (script.get("type") or "").strip().lower() != JSON_LD:
            continue
        index += 1
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        # Depth-first over nested objects (@graph, hasPart, mainEntity ...), without recursion, so
        # a deeply nested document costs no stack; an untyped object inherits its parent's type.
        stack: list[tuple[Any, str | None]] = [(data, None)]
        while stack:
            node, parent = stack.pop()
            if isinstance(node, list):
                stack.extend((item, parent) for item in reversed(node))
                continue
            if not isinstance(node, dict):
                continue
            types = _types(node.get("@type"))
            work = next(iter(sorted(types & CREATIVE_WORKS)), None) if types else parent
            if work is not None and PROPERTY in node and _is_false(node[PROPERTY]):
                yield (
                    f'{work} "{PROPERTY}": {json.dumps(node[PROPERTY])}',
                    f"HTML JSON-LD script {index}",
                )
            stack.extend(
                (value, work) for value in reversed(node.values()) if isinstance(value, (dict, list))
            )


def _microdata_declarations(elements: Sequence[Any]) -> Iterator[tuple[str, str]]:
    """(rule, location) of each paywalled CreativeWork item in the page's microdata."""
    for element in elements:
        names = element.get("itemprop") if element.tag in ("meta", "link") else None
        if not names or PROPERTY not in {_name(name) for name in names.split()}:
            continue
        value = element.get("content" if element.tag == "meta" else "href") or ""
        if not _is_false(value):
            continue
        item = next((a for a in element.iterancestors() if a.get("itemscope") is not None), None)
        if item is None:
            continue
        itemtype = item.get("itemtype") or ""
        works = sorted(_types(itemtype.split()) & CREATIVE_WORKS)
        if works:
            yield (
                f'{works[0]} itemprop="{PROPERTY}" = {value.strip()!r}',
                f"HTML microdata ({itemtype.strip()})",
            )


def paywall_evidence(elements: Sequence[Any], mode: PaywallMode = PaywallMode.DENY) -> list[Evidence]:
    """One statement when a parsed page declares a paywall, citing the first declaration found
    (JSON-LD first, then microdata); none otherwise or when ``mode`` is ignore. ``elements``: the
    page's ``meta``, ``link`` and ``script`` elements (lxml), in document order."""
    if mode is PaywallMode.IGNORE:
        return []
    found = next(_json_ld_declarations(elements), None) or next(_microdata_declarations(elements), None)
    if found is None:
        return []
    rule, location = found
    if mode is PaywallMode.DENY:
        return [Evidence(SOURCE, rule, location, _DENY_DETAIL, _DENY, inferred=AI_PURPOSES)]
    return [Evidence(SOURCE, rule, location, _TAG_DETAIL, conditions=(_CONDITION,))]

"""Paywall declarations in schema.org markup (scrapy_policyguard.core.signals.schema_org).

JSON-LD and microdata as Google's paywalled-content guide shows them, the types that count
(CreativeWork) and those that do not (Event, Place: an admission fee), the three modes, and
markup that says nothing (broken JSON-LD, true, untyped items).
"""

from __future__ import annotations

import pytest

from scrapy_policyguard import check
from scrapy_policyguard.core.decision import Outcome, Source
from scrapy_policyguard.core.purposes import AI_PURPOSES, Purpose
from scrapy_policyguard.core.signals.html import parse_html, read_html
from scrapy_policyguard.core.signals.schema_org import PaywallMode, paywall_evidence


def page(head: str = "", body: str = "") -> str:
    return f"<!DOCTYPE html><html><head><title>t</title>{head}</head><body>{body}</body></html>"


def ld(data: str) -> str:
    return f'<script type="application/ld+json">{data}</script>'


GOOGLE_EXAMPLE = ld(
    '{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Article headline",'
    ' "isAccessibleForFree": false, "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": false,'
    ' "cssSelector": ".paywall"}}'
)

PAYWALLED = [
    pytest.param(page(GOOGLE_EXAMPLE), "NewsArticle", "HTML JSON-LD script 1", id="google-example"),
    pytest.param(
        page(ld('{"@type": "WebPage"}') + ld('{"@type": "Article", "isAccessibleForFree": "False"}')),
        "Article",
        "HTML JSON-LD script 2",
        id="second-script-string-false",
    ),
    pytest.param(
        page(
            ld(
                '{"@graph": [{"@type": "Organization"},'
                ' {"@type": ["BlogPosting"], "isAccessibleForFree": false}]}'
            )
        ),
        "BlogPosting",
        "HTML JSON-LD script 1",
        id="graph-and-type-list",
    ),
    pytest.param(
        page(
            ld(
                '{"@type": "https://schema.org/NewsArticle", "hasPart": {"isAccessibleForFree": "https://schema.org/False"}}'
            )
        ),
        "NewsArticle",
        "HTML JSON-LD script 1",
        id="untyped-part-of-an-article",
    ),
    pytest.param(
        page(
            body='<article itemscope itemtype="https://schema.org/NewsArticle"><h1>x</h1>'
            '<meta itemprop="isAccessibleForFree" content="False"><div class="paywall">p</div></article>'
        ),
        "NewsArticle",
        "HTML microdata (https://schema.org/NewsArticle)",
        id="microdata-meta",
    ),
    pytest.param(
        page(
            body='<div itemscope itemtype="http://schema.org/Article">'
            '<link itemprop="name isAccessibleForFree" href="http://schema.org/False"></div>'
        ),
        "Article",
        "HTML microdata (http://schema.org/Article)",
        id="microdata-link-several-props",
    ),
]


@pytest.mark.parametrize(("document", "work", "location"), PAYWALLED)
def test_a_paywall_declaration_denies_ai_use_only(document: str, work: str, location: str) -> None:
    signals = read_html(document, url="https://news.example/a", own_token="ExampleBot")
    [evidence] = [e for e in signals.evidence if e.source is Source.PAYWALL]
    assert evidence.rule.startswith(work) and "isAccessibleForFree" in evidence.rule
    assert evidence.location == location
    assert evidence.effects == dict.fromkeys(AI_PURPOSES, Outcome.DENY)
    assert evidence.inferred == AI_PURPOSES
    assert Purpose.SEARCH not in evidence.effects
    assert "Measure 1.2 (a)" in evidence.detail


NOT_PAYWALLED = [
    pytest.param(page(), id="no-markup"),
    pytest.param(page(ld('{"@type": "NewsArticle", "isAccessibleForFree": true}')), id="free"),
    pytest.param(page(ld('{"@type": "NewsArticle", "isAccessibleForFree": "True"}')), id="free-text"),
    pytest.param(page(ld('{"@type": "Event", "isAccessibleForFree": false}')), id="event-admission-fee"),
    pytest.param(
        page(ld('{"@type": "Museum", "hasPart": {"isAccessibleForFree": false}}')),
        id="untyped-part-of-a-place",
    ),
    pytest.param(page(ld('{"@type": "NewsArticle", "isAccessibleForFree": false')), id="broken-json"),
    pytest.param(page(ld("[" * 5000 + "]" * 5000)), id="deeply-nested"),
    pytest.param(
        page('<script type="application/json">{"@type": "Article", "isAccessibleForFree": false}</script>'),
        id="not-json-ld",
    ),
    pytest.param(
        page(body='<meta itemprop="isAccessibleForFree" content="false">'), id="microdata-outside-an-item"
    ),
    pytest.param(
        page(
            body='<div itemscope itemtype="https://schema.org/Event">'
            '<meta itemprop="isAccessibleForFree" content="false"></div>'
        ),
        id="microdata-event",
    ),
    pytest.param(
        page(
            body='<div itemscope itemtype="https://schema.org/Article">'
            '<span itemprop="isAccessibleForFreeX">false</span></div>'
        ),
        id="microdata-other-property",
    ),
]


@pytest.mark.parametrize("document", NOT_PAYWALLED)
def test_markup_that_declares_no_paywall_says_nothing(document: str) -> None:
    signals = read_html(document, url="https://news.example/a", own_token="ExampleBot")
    assert [e for e in signals.evidence if e.source is Source.PAYWALL] == []
    assert signals.warnings == []


def test_tag_mode_records_a_condition_and_ignore_mode_reads_nothing() -> None:
    root = parse_html(page(GOOGLE_EXAMPLE))
    [tagged] = paywall_evidence(list(root.iter("meta", "link", "script")), PaywallMode.TAG)
    assert tagged.effects == {} and tagged.conditions and "paywalled" in tagged.conditions[0]
    assert paywall_evidence(list(root.iter("meta", "link", "script")), PaywallMode.IGNORE) == []


def test_check_applies_the_paywall_mode() -> None:
    base = {
        "purpose": "ai-train",
        "user_agent": "ExampleBot",
        "robots_txt": "User-agent: *\nAllow: /\n",
        "html": page(GOOGLE_EXAMPLE),
    }
    denied = check("https://news.example/a", **base)  # type: ignore[arg-type]
    assert not denied.allowed and denied.denied_by == (Source.PAYWALL,)
    assert check("https://news.example/a", **{**base, "purpose": "search"}).allowed  # type: ignore[arg-type]
    tagged = check("https://news.example/a", **base, paywall="tag")  # type: ignore[arg-type]
    assert tagged.allowed and any("paywalled" in c for c in tagged.conditions)
    assert check("https://news.example/a", **base, paywall="ignore").allowed  # type: ignore[arg-type]

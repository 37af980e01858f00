"""Robots directives with an AI meaning (scrapy_policyguard.core.signals.robots_directives).

``noai`` / ``noimageai`` (DeviantArt 2022), ``noml`` (Mojeek 2023), ``noarchive`` (Bing, Amazon),
``nosnippet`` / ``max-snippet:0`` (Google), ``noindex`` / ``none``. Google's robots meta grammar:
a comma-separated list, names case-insensitive, an optional leading ``<token>:`` that scopes the
value to one crawler; ``unavailable_after:`` and ``max-snippet:`` carry a colon but name no
crawler (signals-research.md §2.2, §8.4). Our own product token here is ``PolicyGuardBot``.
"""

from __future__ import annotations

import pytest

from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.signals.robots_directives import Directive, directive_evidence, parse_directives

N = Outcome.DENY
TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH
OWN = "PolicyGuardBot"

# --------------------------------------------------------------------------- parsing

PARSE = [
    pytest.param("noai", [("noai", None, None)], id="single"),
    pytest.param("NoAI, NOIMAGEAI", [("noai", None, None), ("noimageai", None, None)], id="mixed-case"),
    pytest.param(" noai ,noindex ", [("noai", None, None), ("noindex", None, None)], id="spaces"),
    pytest.param("googlebot: noindex", [("noindex", None, "googlebot")], id="scoped"),
    pytest.param(
        "PolicyGuardBot: noai, nosnippet",
        [("noai", None, "policyguardbot"), ("nosnippet", None, "policyguardbot")],
        id="scope-covers-the-whole-value",
    ),
    pytest.param(
        "unavailable_after: 25 Jun 2010 15:00:00 PST",
        [("unavailable_after", "25 Jun 2010 15:00:00 PST", None)],
        id="unavailable-after-is-not-a-bot",
    ),
    pytest.param("max-snippet: 0", [("max-snippet", "0", None)], id="max-snippet-is-not-a-bot"),
    pytest.param(
        "max-snippet:20, noai",
        [("max-snippet", "20", None), ("noai", None, None)],
        id="max-snippet-then-noai",
    ),
    pytest.param(
        "max-image-preview:large", [("max-image-preview", "large", None)], id="max-image-preview-not-a-bot"
    ),
    pytest.param("", [], id="empty"),
    pytest.param(" , ,", [], id="only-commas"),
]


@pytest.mark.parametrize(("value", "expected"), PARSE)
def test_parse_directives(value, expected):
    assert parse_directives(value) == [Directive(*item) for item in expected]


# --------------------------------------------------------------------------- evidence


def effects_of(value: str, *, is_image: bool = False, own: str = OWN) -> list[dict]:
    found = directive_evidence(
        parse_directives(value),
        source="x-robots-tag",
        rule=f"X-Robots-Tag: {value}",
        location="header X-Robots-Tag",
        own_token=own,
        is_image=is_image,
    )
    return [dict(e.effects) for e in found]


AI = {TRAIN: N, INPUT: N}

# (value, is_image, expected effects list)
EVIDENCE = [
    pytest.param("noai", False, [AI], id="noai"),
    pytest.param("NoAI", False, [AI], id="noai-mixed-case"),
    pytest.param("NOAI", False, [AI], id="noai-upper-case-unlike-datadiligence"),
    pytest.param("noml", False, [AI], id="noml"),
    pytest.param("noarchive", False, [{TRAIN: N}], id="noarchive"),
    pytest.param("nosnippet", False, [{INPUT: N}], id="nosnippet"),
    pytest.param("max-snippet:0", False, [{INPUT: N}], id="max-snippet-0"),
    pytest.param("max-snippet: 0", False, [{INPUT: N}], id="max-snippet-space-0"),
    pytest.param("max-snippet:20", False, [], id="max-snippet-20-says-nothing"),
    pytest.param("max-snippet:-1", False, [], id="max-snippet-unlimited"),
    pytest.param("noindex", False, [{SEARCH: N}], id="noindex"),
    pytest.param("none", False, [{SEARCH: N}], id="none"),
    pytest.param("index, follow, nofollow, noimageindex", False, [], id="no-usage-meaning"),
    pytest.param("unavailable_after: 2027-01-01", False, [], id="unavailable-after-no-meaning"),
    pytest.param("noimageai", True, [AI], id="noimageai-on-an-image"),
    pytest.param("noimageai", False, [{}], id="noimageai-on-a-page-is-a-note"),
    pytest.param("policyguardbot: noimageai", True, [AI], id="A12-own-token-scoped-noimageai-on-image"),
    pytest.param("PolicyGuardBot: noai", False, [AI], id="own-token-binds"),
    pytest.param("POLICYGUARDBOT: noai", False, [AI], id="own-token-case-insensitive"),
    pytest.param("googlebot: noai", False, [], id="other-token-does-not-bind"),
    pytest.param("otherbot: noai, noimageai", True, [], id="other-token-scope-covers-the-list"),
    pytest.param("PolicyGuardBotX: noai", False, [], id="longer-token-does-not-bind"),
    pytest.param("Policy: noai", False, [], id="prefix-token-does-not-bind"),
]


@pytest.mark.parametrize(("value", "is_image", "expected"), EVIDENCE)
def test_directive_evidence(value, is_image, expected):
    assert effects_of(value, is_image=is_image) == expected


def test_scope_with_a_digit_in_the_bot_name_does_not_bind_other_crawlers():
    # signals-research.md §2.1 gives exactly this UA-scoped form: "X-Robots-Tag: img2dataset: noai".
    assert effects_of("img2dataset: noai, noimageai", is_image=True) == []


def test_scoped_to_a_digit_bot_name_alone_does_not_bind_us():
    assert effects_of("img2dataset: noai", is_image=True) == []


def test_noai_evidence_marks_ai_input_inferred_and_names_the_directive():
    (evidence,) = directive_evidence(
        parse_directives("PolicyGuardBot: NoAI"),
        source="html-meta",
        rule='<meta name="robots" content="PolicyGuardBot: NoAI">',
        location="HTML meta robots",
        own_token=OWN,
        is_image=False,
    )
    assert evidence.source == "html-meta"
    assert evidence.inferred == frozenset({INPUT})
    assert "noai" in evidence.detail
    assert "scoped to policyguardbot" in evidence.detail
    assert evidence.location == "HTML meta robots"


@pytest.mark.parametrize(
    ("value", "inferred"),
    [
        ("noarchive", {TRAIN}),
        ("nosnippet", {INPUT}),
        ("max-snippet:0", {INPUT}),
        ("noml", set()),
        ("noindex", set()),
    ],
)
def test_readings_from_search_controls_are_inferred(value, inferred):
    (evidence,) = directive_evidence(
        parse_directives(value), source="s", rule="r", location="l", own_token=OWN, is_image=False
    )
    assert evidence.inferred == frozenset(inferred)


def test_noimageai_on_a_page_is_a_condition_not_a_denial():
    (evidence,) = directive_evidence(
        parse_directives("noimageai"), source="s", rule="r", location="l", own_token=OWN, is_image=False
    )
    assert evidence.effects == {}
    assert evidence.conditions
    assert "noimageai" in evidence.conditions[0]

"""IETF AIPREF usage preferences (scrapy_policyguard.core.signals.content_usage).

draft-ietf-aipref-vocab-07 §6: the value is an RFC 9651 Dictionary; for a known label only the
Token ``y`` allows and the Token ``n`` disallows; anything else (absent, bare key, String, ``no``)
is unknown; unknown labels and parameters are ignored; a value that fails to parse says nothing;
duplicate keys: last one wins. Labels are ``train-ai`` and ``search`` (-07) plus ``ai-use`` (-08).
Labels of earlier drafts count only with the legacy mapping on, and are then inferred
(signals-research.md §4.1). CC signals put an ``exceptions`` parameter on a ``n`` (§8.9), which
the vocabulary ignores and we surface as a condition.
"""

from __future__ import annotations

import pytest

from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.signals.content_usage import (
    SOURCE,
    UsagePreference,
    combine_most_restrictive,
    parse_usage,
)

Y, N = Outcome.ALLOW, Outcome.DENY
TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH
ALL = {TRAIN: N, INPUT: N, SEARCH: N}

# (value, effects) without the legacy mapping. `error` says whether the value failed to parse.
VALID = [
    pytest.param("train-ai=n", {TRAIN: N}, id="train-ai-n"),
    pytest.param("train-ai=y, search=n", {TRAIN: Y, SEARCH: N}, id="vocab-example"),
    pytest.param("search=y", {SEARCH: Y}, id="search-y"),
    pytest.param("ai-use=n", {INPUT: N}, id="vocab-08-ai-use"),
    pytest.param("  train-ai=n  ", {TRAIN: N}, id="surrounding-spaces"),
    pytest.param('train-ai=y, train-ai, search=n, search="n"', {}, id="vocab-duplicates-all-unknown"),
    pytest.param("train-ai;allow=n, train-ai=y", {TRAIN: Y}, id="vocab-params-not-a-value"),
    pytest.param("train-ai=n, train-ai=y", {TRAIN: Y}, id="last-duplicate-wins"),
    pytest.param("train-ai=no", {}, id="A4-token-no-unknown"),
    pytest.param("train-ai=N", {}, id="upper-case-token-unknown"),
    pytest.param("train-ai=yes", {}, id="yes-unknown"),
    pytest.param('train-ai="n"', {}, id="string-n-unknown"),
    pytest.param("train-ai", {}, id="bare-key-unknown"),
    pytest.param("train-ai=?0", {}, id="boolean-unknown"),
    pytest.param("train-ai=0", {}, id="integer-unknown"),
    pytest.param("train-ai=(n)", {}, id="inner-list-unknown"),
    pytest.param("train-genai=n, foo=n, search=y", {SEARCH: Y}, id="unknown-labels-ignored"),
    pytest.param("ai=n", {}, id="A5-legacy-label-off"),
    pytest.param("train-ai=n; exceptions", {TRAIN: N}, id="space-after-semicolon-allowed"),
    pytest.param("tdm=n, all=n, bots=n", {}, id="legacy-labels-off"),
    pytest.param("", {}, id="empty"),
]


@pytest.mark.parametrize(("value", "effects"), VALID)
def test_parse_usage(value, effects):
    pref = parse_usage(value)
    assert pref.effects == effects
    assert pref.error is None
    assert pref.legacy == ()
    assert pref.legacy_purposes == frozenset()


INVALID = [
    pytest.param("Train-AI=n", id="A4-upper-case-key"),
    pytest.param("train-ai=n,", id="trailing-comma"),
    pytest.param("train-ai=n search=y", id="space-separated"),
    pytest.param("/restricted/ ai=n train-ai=n", id="nuxt-path-in-header"),
    pytest.param("train-ai=n, é=y", id="non-ascii"),
    pytest.param('train-ai="n', id="unterminated-string"),
]


@pytest.mark.parametrize("value", INVALID)
def test_a_value_that_does_not_parse_says_nothing(value):
    pref = parse_usage(value)
    assert pref.effects == {}
    assert pref.error is not None
    assert "no preference" in pref.error
    evidence = pref.evidence("Content-Usage: " + value, "header Content-Usage", "d")
    assert evidence.effects == {}
    assert "error" in evidence.refs


# --------------------------------------------------------------------------- legacy labels

# (value, effects with legacy on, labels reported, inferred purposes)
LEGACY = [
    pytest.param("ai=n", {TRAIN: N}, ("ai",), {TRAIN}, id="A5-ai-train-only"),
    pytest.param("genai=n", {TRAIN: N}, ("genai",), {TRAIN}, id="genai"),
    pytest.param("train-genai=n", {TRAIN: N}, ("train-genai",), {TRAIN}, id="train-genai"),
    pytest.param("inference=n", {INPUT: N}, ("inference",), {INPUT}, id="inference"),
    pytest.param("ai-output=n", {INPUT: N}, ("ai-output",), {INPUT}, id="ai-output"),
    pytest.param("all=n", ALL, ("all",), set(ALL), id="all"),
    pytest.param("bots=n", ALL, ("bots",), set(ALL), id="bots"),
    pytest.param("tdm=n", ALL, ("tdm",), set(ALL), id="tdm"),
    pytest.param("tdm=y", {TRAIN: Y, INPUT: Y, SEARCH: Y}, ("tdm",), set(ALL), id="tdm-y"),
    pytest.param(
        "ai=n, train-ai=y", {TRAIN: Y}, (), set(), id="current-label-beats-legacy-whatever-the-order"
    ),
    pytest.param("train-ai=y, ai=n", {TRAIN: Y}, (), set(), id="current-label-first"),
    pytest.param(
        "all=n, search=y", {TRAIN: N, INPUT: N, SEARCH: Y}, ("all",), {TRAIN, INPUT}, id="current-search-kept"
    ),
    pytest.param("ai=no", {}, (), set(), id="legacy-label-still-needs-y-or-n"),
]


@pytest.mark.parametrize(("value", "effects", "labels", "inferred"), LEGACY)
def test_legacy_labels_count_only_with_the_mapping_on_and_are_inferred(value, effects, labels, inferred):
    assert parse_usage(value).legacy == ()
    pref = parse_usage(value, legacy=True)
    assert pref.effects == effects
    assert pref.legacy == labels
    assert pref.legacy_purposes == frozenset(inferred)
    evidence = pref.evidence("Content-Usage: " + value, "robots.txt line 2", "d")
    assert evidence.inferred == frozenset(inferred)
    if labels:
        assert evidence.refs["legacy_labels"] == ", ".join(labels)


def test_legacy_labels_without_the_mapping_leave_current_labels_alone():
    assert parse_usage("ai=n, search=y").effects == {SEARCH: Y}


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("ai=n, all=y", id="narrow-first"),
        pytest.param("all=y, ai=n", id="broad-first"),
    ],
)
def test_legacy_narrow_label_beats_broad_label_in_any_order(value):
    pref = parse_usage(value, legacy=True)
    assert pref.effects[TRAIN] is N
    assert pref.effects[SEARCH] is Y


# --------------------------------------------------------------------------- CC signals exceptions

EXCEPTIONS = [
    pytest.param("train-ai=n;exceptions=cc-cr", {TRAIN: N}, ("cc-cr",), False, id="A16-train-ai"),
    pytest.param("ai-use=n;exceptions=cc-cr", {INPUT: N}, ("cc-cr",), False, id="cc-ai-use"),
    pytest.param('train-ai=n;exceptions="cc-cr-ec"', {TRAIN: N}, ("cc-cr-ec",), False, id="string-param"),
    pytest.param("train-ai=y;exceptions=cc-cr", {TRAIN: Y}, (), False, id="only-on-a-disallow"),
    pytest.param("train-ai=no;exceptions=cc-cr", {}, (), False, id="not-on-an-unknown"),
    pytest.param(
        "train-genai=n;exceptions=cc-cr-ec", {TRAIN: N}, ("cc-cr-ec",), True, id="cc-example-legacy-label"
    ),
]


@pytest.mark.parametrize(("value", "effects", "exceptions", "legacy"), EXCEPTIONS)
def test_cc_exceptions_are_surfaced_as_conditions(value, effects, exceptions, legacy):
    pref = parse_usage(value, legacy=legacy)
    assert pref.effects == effects
    assert pref.exceptions == exceptions
    evidence = pref.evidence(value, "header Content-Usage", "d")
    assert evidence.conditions == tuple(f"exception offered: {e} (CC signals)" for e in exceptions)
    if exceptions:
        assert evidence.refs["exceptions"] == ", ".join(exceptions)


def test_cc_exceptions_on_a_legacy_label_are_ignored_without_the_mapping():
    pref = parse_usage("train-genai=n;exceptions=cc-cr-ec")
    assert pref.effects == {}
    assert pref.exceptions == ()


# --------------------------------------------------------------------------- combining statements


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["train-ai=y, search=y", "train-ai=n"], {TRAIN: N, SEARCH: Y}),
        (["train-ai=n", "train-ai=y"], {TRAIN: N}),
        (["train-ai=y", "search=n"], {TRAIN: Y, SEARCH: N}),
        (["Train-AI=n", "train-ai=y"], {TRAIN: Y}),
        ([], {}),
    ],
    ids=["A3-most-restrictive", "deny-first", "disjoint", "unparsable-says-nothing", "none"],
)
def test_combine_most_restrictive(values, expected):
    assert combine_most_restrictive([parse_usage(v) for v in values]) == expected


def test_evidence_source_and_location():
    evidence = UsagePreference({TRAIN: N}).evidence("Content-Usage: train-ai=n", "robots.txt line 4", "d")
    assert evidence.source == SOURCE == "content-usage"
    assert evidence.rule == "Content-Usage: train-ai=n"
    assert evidence.location == "robots.txt line 4"
    assert evidence.inferred == frozenset()
    assert evidence.conditions == ()

"""IETF AIPREF usage preferences (scrapy_policyguard.core.signals.content_usage).

draft-ietf-aipref-vocab-07 §6: the value is an RFC 9651 Dictionary; for a known label only the
Token ``y`` allows and the Token ``n`` disallows; anything else (absent, bare key, String, ``no``)
is unknown; unknown labels and parameters are ignored; a value that fails to parse says nothing;
duplicate keys: last one wins. Labels are ``train-ai`` and ``search`` (-07) plus ``ai-use`` (-08).
Labels of earlier drafts count only with the legacy mapping on, and are then inferred
(signals-research.md §4.1). CC signals put an ``exceptions`` parameter on a ``n`` (§8.9), which
the vocabulary ignores and we surface as a condition.

The Dictionary itself is parsed by http-sf. The RFC 9651 cases below (from §4.2 and
draft-ietf-aipref-vocab-07 §6) are the syntax this reading depends on, checked through
parse_usage: Token against String, duplicate keys, parameters, inner lists, upper-case keys, and
a syntax error anywhere making the whole value say nothing.
"""

from __future__ import annotations

import re

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

# RFC 9651 syntax the reading depends on (expectations written from the RFC, not from a parser).
SYNTAX = [
    pytest.param('train-ai=n, search="n"', {TRAIN: N}, id="token-n-counts-string-n-does-not"),
    pytest.param("train-ai=?1, search=y", {SEARCH: Y}, id="explicit-boolean-true-unknown"),
    pytest.param("train-ai=*n, search=n/a", {}, id="longer-tokens-unknown"),
    pytest.param("train-ai=n, search=y, train-ai=y", {TRAIN: Y, SEARCH: Y}, id="duplicate-apart-last-wins"),
    pytest.param("train-ai=n, train-ai;p=n", {}, id="duplicate-bare-key-last-wins"),
    pytest.param("train-ai=n;q=0.5;x, search=y;p", {TRAIN: N, SEARCH: Y}, id="parameters-ignored"),
    pytest.param('train-ai;has;parameters="?"', {}, id="vocab-6.4.2-params-on-bare-key"),
    pytest.param("train-ai=n; q=2", {TRAIN: N}, id="space-after-semicolon"),
    pytest.param("train-ai=(n y);p, search=n", {SEARCH: N}, id="inner-list-not-a-token"),
    pytest.param("train-ai=( n  y ), search=n", {SEARCH: N}, id="inner-list-extra-spaces"),
    pytest.param("train-ai=(), search=n", {SEARCH: N}, id="empty-inner-list"),
    pytest.param("train-ai=n,search=y", {TRAIN: N, SEARCH: Y}, id="no-whitespace"),
    pytest.param("train-ai=n\t,\tsearch=y", {TRAIN: N, SEARCH: Y}, id="tab-around-comma"),
    pytest.param("train-ai=n, k*_-.0=1, *k=2", {TRAIN: N}, id="key-charset"),
    pytest.param(
        'train-ai=n, i=-15, j=123456789012345, d=-123456789012.123, s="a\\"b\\\\", e="", t=?0',
        {TRAIN: N},
        id="numbers-strings-booleans",
    ),
    pytest.param(
        'train-ai=n, b=:aGVsbG8=:, u=:aGVsbG8:, z=::, at=@1659578233, ds=%"f%c3%bc%c3%bc"',
        {TRAIN: N},
        id="bytes-unpadded-bytes-date-display-string",
    ),
]


@pytest.mark.parametrize(("value", "effects"), VALID + SYNTAX)
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

# RFC 9651 syntax errors: each value holds a ``train-ai=n`` that would count if the value parsed.
SYNTAX_ERRORS = [
    pytest.param("train-AI=n", id="vocab-6.4.1-uppercase-inside-key"),
    pytest.param("train-ai=n, Search=y", id="uppercase-later-key"),
    pytest.param("train-ai=n;Exceptions=cc-cr", id="uppercase-param-key"),
    # The vocab draft prints this example with a trailing ';', which RFC 9651 §4.2.3.2 rejects.
    pytest.param('train-ai=n;has;parameters="?";', id="vocab-6.4.2-trailing-semicolon"),
    pytest.param("train-ai=n, search=y, ", id="trailing-comma-space"),
    pytest.param("train-ai=n,,search=y", id="empty-member"),
    pytest.param(",train-ai=n", id="leading-comma"),
    pytest.param("train-ai =n", id="space-before-equals"),
    pytest.param("train-ai= n", id="space-after-equals"),
    pytest.param("train-ai=n ;q=2", id="space-before-semicolon"),
    pytest.param("train-ai=n, 1b=2", id="numeric-first-char"),
    pytest.param("train-ai=n, b!=2", id="bad-key-char"),
    pytest.param("train-ai=n, x=", id="equals-without-value"),
    pytest.param(r'train-ai=n, x="\a"', id="bad-escape"),
    pytest.param('train-ai=n, x="\x01"', id="control-char-in-string"),
    pytest.param('train-ai=n, x="\x7f"', id="del-in-string"),
    pytest.param('train-ai=n, x="é"', id="non-ascii-in-string"),
    pytest.param("train-ai=n, x=1234567890123456", id="16-digit-integer"),
    pytest.param("train-ai=n, x=1.2345", id="4-fraction-digits"),
    pytest.param("train-ai=n, x=1.", id="decimal-without-fraction"),
    pytest.param("train-ai=n, x=1234567890123.5", id="13-digit-decimal-integer-part"),
    pytest.param("train-ai=n, x=-", id="lone-minus"),
    pytest.param("train-ai=n, x=1x", id="junk-after-number"),
    pytest.param("train-ai=n, x=?2", id="bad-boolean"),
    pytest.param("train-ai=n, x=:aGVsbG8=", id="unterminated-bytes"),
    pytest.param("train-ai=n, x=:a$b=:", id="bad-base64-char"),
    pytest.param("train-ai=n, x=@1.5", id="decimal-date"),
    pytest.param('train-ai=n, x=%"%C3%BC"', id="uppercase-percent-in-display-string"),
    pytest.param('train-ai=n, x=%"%c3"', id="bad-utf8-in-display-string"),
    pytest.param("train-ai=n, x=(1 2", id="unterminated-inner-list"),
    pytest.param("train-ai=n, x=(1,2)", id="comma-in-inner-list"),
    pytest.param("train-ai=n, x=((1))", id="nested-inner-list"),
]


@pytest.mark.parametrize("value", INVALID + SYNTAX_ERRORS)
def test_a_value_that_does_not_parse_says_nothing(value):
    pref = parse_usage(value)
    assert pref.effects == {}
    assert pref.error is not None
    assert "no preference" in pref.error
    evidence = pref.evidence("Content-Usage: " + value, "header Content-Usage", "d")
    assert evidence.effects == {}
    assert "error" in evidence.refs


@pytest.mark.parametrize("value", ["Train-AI=n", "train-ai=n search=y"])
def test_the_error_gives_the_parser_s_reason(value):
    error = parse_usage(value).error
    assert re.fullmatch(r"not a valid RFC 9651 dictionary \(.+ at position \d+.*\): no preference", error)


def test_a_non_ascii_value_fails_at_its_first_non_ascii_character():
    assert parse_usage("train-ai=n, é=y").error == (
        "not a valid RFC 9651 dictionary (non-ASCII character at position 12): no preference"
    )


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
        "train-ai=n;exceptions=a;exceptions=b", {TRAIN: N}, ("b",), False, id="duplicate-param-last-wins"
    ),
    pytest.param(
        "train-ai=n;exceptions=cc-cr, train-ai=n", {TRAIN: N}, (), False, id="params-go-with-replaced-value"
    ),
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

"""The purpose vocabulary and the mapping tables of scrapy_policyguard.core.purposes."""

from __future__ import annotations

import pytest

from scrapy_policyguard.core.purposes import (
    AIPREF_LABELS,
    AIPREF_LEGACY_LABELS,
    CONTENT_SIGNAL_KEYS,
    INFERRED,
    PLUS_DATA_MINING,
    PURPOSES,
    ROBOTS_DIRECTIVES,
    RSL_USAGE_TOKENS,
    TDM_RESERVATION,
    TRAINING_MINING_ENTRIES,
    Purpose,
    UnknownPurposeError,
    parse_purpose,
)

TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ai-train", TRAIN), (" AI-Input ", INPUT), ("SEARCH", SEARCH), (TRAIN, TRAIN)],
)
def test_parse_purpose(value, expected):
    assert parse_purpose(value) is expected


@pytest.mark.parametrize("value", ["train-ai", "ai", "", "ai_train"])
def test_unknown_purpose_lists_the_choices(value):
    with pytest.raises(UnknownPurposeError, match="ai-train, ai-input, search"):
        parse_purpose(value)


def test_the_three_purposes_print_as_their_names():
    assert [str(p) for p in PURPOSES] == ["ai-train", "ai-input", "search"]


@pytest.mark.parametrize(
    ("table", "term", "purposes"),
    [
        (CONTENT_SIGNAL_KEYS, "ai-train", {TRAIN}),
        (CONTENT_SIGNAL_KEYS, "ai-input", {INPUT}),
        (CONTENT_SIGNAL_KEYS, "search", {SEARCH}),
        (AIPREF_LABELS, "train-ai", {TRAIN}),
        (AIPREF_LABELS, "ai-use", {INPUT}),
        (AIPREF_LABELS, "search", {SEARCH}),
        (RSL_USAGE_TOKENS, "all", {TRAIN, INPUT, SEARCH}),
        (RSL_USAGE_TOKENS, "ai-all", {TRAIN, INPUT}),
        (RSL_USAGE_TOKENS, "train-ai", {TRAIN}),
        (RSL_USAGE_TOKENS, "ai-index", {INPUT}),
        (ROBOTS_DIRECTIVES, "noai", {TRAIN, INPUT}),
        (ROBOTS_DIRECTIVES, "noarchive", {TRAIN}),
        (ROBOTS_DIRECTIVES, "noindex", {SEARCH}),
    ],
)
def test_mapping_tables(table, term, purposes):
    assert table[term] == frozenset(purposes)


def test_current_aipref_labels_are_not_legacy_labels():
    assert not set(AIPREF_LABELS) & set(AIPREF_LEGACY_LABELS)


def test_tdm_reservation_covers_ai_use_not_search():
    assert frozenset({TRAIN, INPUT}) == TDM_RESERVATION


def test_every_inferred_reading_is_one_the_tables_make():
    tables = {
        "x-robots-tag": ROBOTS_DIRECTIVES,
        "tdmrep": {"tdm-reservation": TDM_RESERVATION},
        "xmp": {term: reading.denied | reading.allowed for term, reading in PLUS_DATA_MINING.items()},
        "c2pa": TRAINING_MINING_ENTRIES,
    }
    for standard, term, purpose in INFERRED:
        assert purpose in tables[standard][term], (standard, term, purpose)

"""Cloudflare Content Signals values (scrapy_policyguard.core.signals.content_signal).

Source: https://contentsignals.org and Cloudflare's managed robots.txt (signals-research.md §5.2):
keys ``search``, ``ai-input``, ``ai-train`` with values ``yes`` / ``no``; an absent key is no
preference; ``use=immediate|reference|full`` (2026). Keys and values are read case-insensitively,
with or without spaces (the policy writes both ``Content-signal`` and ``Content-Signal`` and
``search=yes,ai-train=no`` without spaces); anything else says nothing.
"""

from __future__ import annotations

import pytest

from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.signals.content_signal import SOURCE, parse_content_signal

Y, N = Outcome.ALLOW, Outcome.DENY
TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH

# (value, effects, use, ignored pieces)
CASES = [
    pytest.param("search=yes, ai-train=no", {SEARCH: Y, TRAIN: N}, None, (), id="cloudflare-default"),
    pytest.param("search=yes,ai-train=no", {SEARCH: Y, TRAIN: N}, None, (), id="no-spaces"),
    pytest.param(
        "search=yes, ai-input=no, ai-train=no", {SEARCH: Y, INPUT: N, TRAIN: N}, None, (), id="all-three"
    ),
    pytest.param("SEARCH=YES, AI-TRAIN=NO", {SEARCH: Y, TRAIN: N}, None, (), id="upper-case"),
    pytest.param("Ai-Train=No", {TRAIN: N}, None, (), id="mixed-case"),
    pytest.param("  ai-train = no ,search= yes  ", {SEARCH: Y, TRAIN: N}, None, (), id="spaces-around"),
    pytest.param("ai-train=no,,search=yes", {SEARCH: Y, TRAIN: N}, None, (), id="empty-piece-skipped"),
    pytest.param("ai-input=yes", {INPUT: Y}, None, (), id="absent-keys-say-nothing"),
    pytest.param(
        "search=yes,ai-train=no,use=reference", {SEARCH: Y, TRAIN: N}, "reference", (), id="A7-use-reference"
    ),
    pytest.param("use=FULL", {}, "full", (), id="use-upper-case"),
    pytest.param("use=immediate, ai-train=yes", {TRAIN: Y}, "immediate", (), id="use-immediate"),
    pytest.param("use=everything", {}, None, ("use=everything",), id="use-unknown-level"),
    pytest.param("ai-foo=no, search=yes", {SEARCH: Y}, None, ("ai-foo=no",), id="unknown-key"),
    pytest.param("train-ai=no", {}, None, ("train-ai=no",), id="aipref-label-is-unknown-here"),
    pytest.param("ai-train=n", {}, None, ("ai-train=n",), id="y-n-not-accepted"),
    pytest.param("ai-train=disallow", {}, None, ("ai-train=disallow",), id="spatie-disallow"),
    pytest.param("ai-train=true", {}, None, ("ai-train=true",), id="true-not-accepted"),
    pytest.param('ai-train="no"', {}, None, ('ai-train="no"',), id="quoted-not-accepted"),
    pytest.param("ai-train=", {}, None, ("ai-train=",), id="empty-value"),
    pytest.param("ai-train", {}, None, ("ai-train",), id="bare-key"),
    pytest.param("", {}, None, (), id="empty"),
]


@pytest.mark.parametrize(("value", "effects", "use", "ignored"), CASES)
def test_parse_content_signal(value, effects, use, ignored):
    signal = parse_content_signal(value)
    assert signal.effects == effects
    assert signal.use == use
    assert signal.ignored == ignored


@pytest.mark.parametrize(
    "value", ["ai-train=no, ai-train=yes", "ai-train=yes, ai-train=no"], ids=["no-first", "yes-first"]
)
def test_two_values_for_one_key_the_restrictive_one_stands(value):
    assert parse_content_signal(value).effects == {TRAIN: N}


def test_evidence_from_robots_txt_is_not_inferred():
    signal = parse_content_signal("search=yes, ai-train=no, use=reference")
    evidence = signal.evidence("Content-Signal: search=yes, ai-train=no", "robots.txt line 3", "d")
    assert evidence.source == SOURCE == "content-signal"
    assert evidence.effects == {SEARCH: Y, TRAIN: N}
    assert evidence.inferred == frozenset()
    assert evidence.refs == {"use": "reference"}
    assert evidence.location == "robots.txt line 3"


def test_evidence_from_an_informal_carrier_is_inferred_and_keeps_what_was_ignored():
    signal = parse_content_signal("ai-train=no, ai-foo=no")
    evidence = signal.evidence("Content-Signal: ai-train=no, ai-foo=no", "header", "d", informal=True)
    assert evidence.inferred == frozenset({TRAIN})
    assert evidence.refs == {"ignored": "ai-foo=no"}

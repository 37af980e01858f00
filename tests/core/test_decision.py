"""Evidence, Decision and the combination rule (scrapy_policyguard.core.decision).

The rule is the one draft-ietf-aipref-vocab-07 §5.1 gives for statements from different methods or
declaring parties, applied per purpose: any deny wins, else any allow, else unknown
(signals-research.md §9.2).
"""

from __future__ import annotations

import itertools
import json

import pytest

from scrapy_policyguard.core.decision import Decision, Evidence, EvidenceKind, Outcome, combine
from scrapy_policyguard.core.purposes import PURPOSES, Purpose

CRAWL, USE = EvidenceKind.CRAWL, EvidenceKind.USE

ALLOW, DENY, UNKNOWN = Outcome.ALLOW, Outcome.DENY, Outcome.UNKNOWN
TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH


def ev(
    source: str = "test", conditions: tuple[str, ...] = (), kind: str = USE, **effects: Outcome
) -> Evidence:
    """Evidence with effects given as keyword arguments: ai_train=DENY, search=ALLOW..."""
    mapped = {Purpose(name.replace("_", "-")): outcome for name, outcome in effects.items()}
    return Evidence(
        source, f"rule of {source}", f"{source} location", "detail", mapped, kind, conditions=conditions
    )


# --------------------------------------------------------------------------- combine

# Every multiset of up to three statements about one purpose: the expected result follows the rule.
STATEMENTS = [ALLOW, DENY, None]


def _expected(outcomes: tuple[Outcome | None, ...]) -> Outcome:
    if DENY in outcomes:
        return DENY
    if ALLOW in outcomes:
        return ALLOW
    return UNKNOWN


@pytest.mark.parametrize(
    "outcomes",
    [combo for n in range(4) for combo in itertools.product(STATEMENTS, repeat=n)],
    ids=lambda combo: "+".join(str(o) if o else "none" for o in combo) or "no-evidence",
)
def test_combine_any_deny_wins_else_any_allow_else_unknown(outcomes):
    evidence = [ev(f"s{i}", ai_train=o) if o else ev(f"s{i}") for i, o in enumerate(outcomes)]
    assert combine(evidence, TRAIN) is _expected(outcomes)


def test_combine_only_reads_the_purpose_asked_about():
    evidence = [ev(search=DENY), ev(ai_train=ALLOW)]
    assert combine(evidence, TRAIN) is ALLOW
    assert combine(evidence, SEARCH) is DENY
    assert combine(evidence, INPUT) is UNKNOWN


def test_combine_order_does_not_matter():
    a, b = ev(ai_train=ALLOW), ev(ai_train=DENY)
    assert combine([a, b], TRAIN) is combine([b, a], TRAIN) is DENY


# --------------------------------------------------------------------------- Decision.build


@pytest.mark.parametrize(
    ("effects", "unknown_allows", "outcome", "allowed"),
    [
        ({"ai_train": ALLOW}, False, ALLOW, True),
        ({"ai_train": DENY}, True, DENY, False),
        ({}, True, UNKNOWN, True),
        ({}, False, UNKNOWN, False),
        ({"search": ALLOW}, False, UNKNOWN, False),
    ],
    ids=[
        "allow",
        "deny-beats-default",
        "unknown-default-allow",
        "unknown-default-deny",
        "other-purpose-only",
    ],
)
def test_allowed_applies_the_unknown_default_only_to_unknown(effects, unknown_allows, outcome, allowed):
    decision = Decision.build("https://a.example/x", TRAIN, [ev(**effects)], unknown_allows=unknown_allows)
    assert decision.outcome is outcome
    assert decision.allowed is allowed


def test_outcomes_cover_every_purpose():
    decision = Decision.build("https://a.example/x", TRAIN, [ev(ai_train=DENY, search=ALLOW)])
    assert decision.outcomes == {TRAIN: DENY, INPUT: UNKNOWN, SEARCH: ALLOW}
    assert set(decision.outcomes) == set(PURPOSES)


def test_for_purpose_rejudges_the_same_evidence():
    decision = Decision.build("https://a.example/x", TRAIN, [ev(ai_train=DENY, search=ALLOW)])
    search = decision.for_purpose(SEARCH)
    assert search.outcome is ALLOW
    assert search.allowed
    assert search.evidence == decision.evidence


def test_extend_adds_evidence_and_keeps_the_default():
    decision = Decision.build("https://a.example/x", TRAIN, [ev(search=ALLOW)], unknown_allows=False)
    assert decision.outcome is UNKNOWN
    extended = decision.extend([ev("header", ai_train=DENY)], stage="response")
    assert extended.outcome is DENY
    assert extended.stage == "response"
    assert extended.unknown_allows is False
    assert len(extended.evidence) == 2


def test_denials_and_denied_by_name_each_denying_source_once():
    evidence = [ev("a", ai_train=DENY), ev("b", ai_train=ALLOW), ev("a", ai_train=DENY), ev("c", search=DENY)]
    decision = Decision.build("https://a.example/x", TRAIN, evidence)
    assert [e.source for e in decision.denials] == ["a", "a"]
    assert decision.denied_by == ("a",)
    assert "rule of a" in decision.reason


def test_crawl_denied_only_for_crawl_evidence():
    use_deny = Decision.build("https://a.example/x", SEARCH, [ev(search=DENY)])
    assert not use_deny.crawl_denied
    crawl_deny = Decision.build("https://a.example/x", SEARCH, [ev(kind=CRAWL, ai_train=DENY)])
    assert crawl_deny.crawl_denied


def test_reason_for_unknown_names_the_default():
    decision = Decision.build("https://a.example/x", INPUT, [], unknown_allows=False)
    assert "no statement for ai-input" in decision.reason
    assert "deny" in decision.reason


# --------------------------------------------------------------------------- conditions


def test_conditions_come_only_from_evidence_about_the_purpose_and_from_notes():
    evidence = [
        ev("train", conditions=("c-train",), ai_train=DENY),
        ev("search", conditions=("c-search",), search=ALLOW),
        ev("note", conditions=("c-note",)),
        ev("both", conditions=("c-both",), ai_train=ALLOW, search=ALLOW),
    ]
    decision = Decision.build("https://a.example/x", TRAIN, evidence)
    assert decision.conditions == ("c-train", "c-note", "c-both")
    assert decision.for_purpose(SEARCH).conditions == ("c-search", "c-note", "c-both")
    assert decision.for_purpose(INPUT).conditions == ("c-note",)


def test_conditions_are_not_repeated():
    evidence = [ev("a", conditions=("same",), ai_train=ALLOW), ev("b", conditions=("same",), ai_train=ALLOW)]
    assert Decision.build("https://a.example/x", TRAIN, evidence).conditions == ("same",)


# --------------------------------------------------------------------------- to_dict

DECISION_KEYS = {
    "url",
    "purpose",
    "outcome",
    "allowed",
    "stage",
    "outcomes",
    "denied_by",
    "conditions",
    "evidence",
}
EVIDENCE_KEYS = {"source", "rule", "location", "detail", "kind", "effects"}


def test_decision_to_dict_is_json_with_the_documented_keys():
    full = Evidence(
        "rsl",
        '<content url="/">',
        "https://a.example/license.xml",
        "RSL licence",
        {TRAIN: DENY, SEARCH: ALLOW},
        USE,
        inferred=frozenset({TRAIN}),
        conditions=("attribution (RSL)",),
        refs={"document": "https://a.example/license.xml"},
    )
    bare = ev("robots.txt", kind=CRAWL, search=ALLOW)
    decision = Decision.build("https://a.example/x", TRAIN, [full, bare], unknown_allows=False)
    data = decision.to_dict()
    assert set(data) == DECISION_KEYS
    text = json.dumps(data)
    assert json.loads(text) == data
    assert data["url"] == "https://a.example/x"
    assert data["purpose"] == "ai-train"
    assert data["outcome"] == "deny"
    assert data["allowed"] is False
    assert data["stage"] == "request"
    assert data["outcomes"] == {"ai-train": "deny", "ai-input": "unknown", "search": "allow"}
    assert data["denied_by"] == ["rsl"]
    assert data["conditions"] == ["attribution (RSL)"]
    first, second = data["evidence"]
    assert set(first) == EVIDENCE_KEYS | {"inferred", "conditions", "refs"}
    assert first["inferred"] == ["ai-train"]
    assert first["effects"] == {"ai-train": "deny", "search": "allow"}
    assert first["refs"] == {"document": "https://a.example/license.xml"}
    # Optional keys are left out when empty.
    assert set(second) == EVIDENCE_KEYS
    assert second["kind"] == "crawl"


def test_evidence_summary_names_source_rule_and_location():
    item = Evidence("robots.txt", "Disallow: /private", "https://a.example/robots.txt line 4", "d")
    assert item.summary() == "robots.txt: Disallow: /private (https://a.example/robots.txt line 4)"
    assert item.effect(TRAIN) is None
    assert item.kind == USE

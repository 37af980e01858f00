"""Fuzzing the readers of structured-field-like values: content_usage.py (AIPREF ``Content-Usage``,
an RFC 9651 Dictionary parsed by http-sf) and content_signal.py (Cloudflare Content Signals).

The Dictionary parser itself is http-sf's to test; what is ours: parse_usage never raises and says
nothing exactly when http-sf rejects the value; for any list of members it reads what the AIPREF
vocabulary says (the last member of a label decides, only the Token ``y`` or ``n`` counts, a
legacy label never overrides a current one); a syntax error anywhere silences the whole value. A
Content-Signal's effects do not depend on the order of its pairs (the more restrictive value of a
key stands).
"""

from __future__ import annotations

import http_sf
from fuzzing import SFV_SEEDS, as_text, assert_evidence_json, attempt, fuzz, mutate, text
from hypothesis import example
from hypothesis import strategies as st

from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.purposes import AIPREF_LABELS, AIPREF_LEGACY_LABELS, CONTENT_SIGNAL_KEYS
from scrapy_policyguard.core.signals.content_signal import parse_content_signal
from scrapy_policyguard.core.signals.content_usage import parse_usage

_sfv_chars = st.sampled_from(" abcnyz019*-_.;=,()\"\\:?@%/!#$&'+^`|~\t\x00\x7fAZé")
sfv_like = st.text(_sfv_chars, max_size=80)
sfv_mutants = (
    st.sampled_from(SFV_SEEDS)
    .flatmap(lambda s: mutate(s.encode(), others=[x.encode() for x in SFV_SEEDS]))
    .map(as_text)
)
sfv_inputs = st.one_of(text, sfv_like, sfv_mutants, sfv_mutants.map(lambda s: s * 40))


# --------------------------------------------------------------------------- Content-Usage

_usage_values = st.one_of(
    sfv_inputs,
    st.dictionaries(
        st.sampled_from([*AIPREF_LABELS, *AIPREF_LEGACY_LABELS, "x"]),
        st.sampled_from(["y", "n", '"n"', "no", "?1", "y;exceptions=cc-cr", 'n;exceptions="a"', "(n)"]),
        max_size=6,
    ).map(lambda d: ", ".join(f"{k}={v}" for k, v in d.items())),
)


def _parses(value: str) -> bool:
    """Whether http-sf accepts the value as a Dictionary (a non-ASCII value is not a field)."""
    field = value.strip()
    if not field.isascii():
        return False
    result = attempt(
        lambda: http_sf.parse(field.encode(), tltype="dictionary"), (http_sf.StructuredFieldError,)
    )
    return result.ok


@fuzz(_usage_values, st.booleans())
@example('train-ai=n;exceptions="cc-cr", all=y', True)
@example("TRAIN-AI=n", False)
@example("train-ai=(" + "n " * 5000 + ")", False)
@example("train-ai=n, x=:" + "A" * 5001 + ":", False)
@example("train-ai=n, x=" + "9" * 16, False)
@example('train-ai=n, x=%"%ff"', False)
@example("train-ai,", False)
@example("train-ai=n, x=\udc80", False)
def test_parse_usage_never_raises(value, legacy):
    preference = parse_usage(value, legacy=legacy)
    assert (preference.error is None) == _parses(value)
    if preference.error:
        assert preference.effects == {}
    if not legacy:
        assert preference.legacy == ()
        assert preference.legacy_purposes == frozenset()
    assert set(preference.effects.values()) <= {Outcome.ALLOW, Outcome.DENY}
    assert_evidence_json([preference.evidence(f"Content-Usage: {value}", "header", "detail")])


# How a member is written after its key, and what the vocabulary reads from it: only the Token
# ``y`` or ``n`` counts, whatever its parameters.
_WRITTEN = {
    "=y": Outcome.ALLOW,
    "=n": Outcome.DENY,
    "=y;q=1": Outcome.ALLOW,
    "=n;exceptions=cc-cr": Outcome.DENY,
    '="n"': None,
    "=no": None,
    "=N": None,
    "=?1": None,
    "": None,
    ";allow=n": None,
    "=(n)": None,
    "=(n y);p": None,
    "=:bg==:": None,
    "=1.5": None,
}
_members = st.lists(
    st.tuples(st.sampled_from([*AIPREF_LABELS, *AIPREF_LEGACY_LABELS, "x"]), st.sampled_from(list(_WRITTEN))),
    max_size=8,
)


@fuzz(_members)
@example([("train-ai", "=n"), ("search", "=y"), ("train-ai", "")])
@example([("all", "=n"), ("ai", "=y"), ("search", "=y")])
def test_usage_follows_the_vocabulary(members):
    value = ", ".join(key + written for key, written in members)
    expected = {}
    for label, purposes in AIPREF_LABELS.items():
        last = [written for key, written in members if key == label][-1:]
        if last and _WRITTEN[last[0]] is not None:
            expected.update(dict.fromkeys(purposes, _WRITTEN[last[0]]))
    preference = parse_usage(value)
    assert preference.error is None
    assert preference.effects == expected
    # The legacy mapping only fills purposes no current label spoke for, and marks them inferred.
    mapped = parse_usage(value, legacy=True)
    assert {p: o for p, o in mapped.effects.items() if p in expected} == expected
    assert mapped.legacy_purposes == frozenset(mapped.effects) - frozenset(expected)


_BROKEN = ["Train-AI=n", 'x="n', "x=?2", "x=(n", "x=:a$:", "x=1.2345", "x =n", "x=é", ","]


@fuzz(_members, st.sampled_from(_BROKEN), st.booleans(), st.booleans())
def test_a_syntax_error_anywhere_silences_the_whole_value(members, broken, first, legacy):
    parts = [key + written for key, written in members]
    parts.insert(0 if first else len(parts), broken)
    preference = parse_usage(", ".join(parts), legacy=legacy)
    assert preference.error is not None
    assert preference.effects == {}


# --------------------------------------------------------------------------- Content-Signal

_signal_pairs = st.lists(
    st.tuples(
        st.sampled_from([*CONTENT_SIGNAL_KEYS, "use", "AI-Train", " search ", "x", ""]),
        st.sampled_from(["yes", "no", "YES", " no ", "maybe", "reference", "full", "immediate", ""]),
        st.sampled_from(["=", " = ", "", "=="]),
    ).map(lambda t: f"{t[0]}{t[2]}{t[1]}"),
    max_size=8,
)


@fuzz(st.one_of(_signal_pairs, st.lists(text, max_size=5)), st.randoms(use_true_random=False))
@example(["ai-train=yes", "ai-train=no"], None)
def test_content_signal_effects_do_not_depend_on_order(pairs, rnd):
    signal = parse_content_signal(", ".join(pairs))
    shuffled = list(pairs)
    if rnd is not None:
        rnd.shuffle(shuffled)
    else:
        shuffled.reverse()
    assert parse_content_signal(", ".join(shuffled)).effects == signal.effects
    assert set(signal.effects.values()) <= {Outcome.ALLOW, Outcome.DENY}
    for informal in (False, True):
        assert_evidence_json([signal.evidence("Content-Signal: x", "here", "detail", informal=informal)])


@fuzz(st.one_of(text, sfv_mutants, sfv_mutants.map(lambda s: s * 40)))
def test_parse_content_signal_never_raises(value):
    signal = parse_content_signal(value)
    assert_evidence_json([signal.evidence("rule", "location", "detail")])

"""Fuzzing core/sfv.py (RFC 9651 Dictionaries) and the value readers built on it:
content_usage.py (AIPREF ``Content-Usage``) and content_signal.py (Cloudflare Content Signals).

parse_dictionary may only raise SFVError. Beyond that: a Dictionary serialised here by the RFC's
own rules (§4.1) parses back to the same members; parse_usage never raises and says nothing
exactly when the Dictionary does not parse; a Content-Signal's effects do not depend on the order
of its pairs (the more restrictive value of a key stands).
"""

from __future__ import annotations

import base64
from decimal import Decimal

from fuzzing import SFV_SEEDS, as_text, assert_evidence_json, attempt, fuzz, mutate, text
from hypothesis import example
from hypothesis import strategies as st

from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.purposes import AIPREF_LABELS, AIPREF_LEGACY_LABELS, CONTENT_SIGNAL_KEYS
from scrapy_policyguard.core.sfv import SFVError, Token, parse_dictionary
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


@fuzz(sfv_inputs)
@example("a=(" + "1 " * 5000 + ")")
@example("a=:" + "A" * 5001 + ":")
@example("a=" + "9" * 16)
@example("a=1.2345")
@example('a=%"%ff"')
@example("a=?2")
@example("a,")
@example("")
def test_parse_dictionary_raises_only_sfv_error(value):
    result = attempt(lambda: parse_dictionary(value), (SFVError,))
    if result.ok:
        for key, (item, params) in result.value.items():
            assert isinstance(key, str)
            assert isinstance(params, dict)
            assert isinstance(item, (list, int, Decimal, str, bytes, bool))


# --------------------------------------------------------------------------- round trip

keys = st.tuples(st.sampled_from("abz*"), st.text(st.sampled_from("az09_-.*"), max_size=6)).map("".join)
tokens = st.tuples(st.sampled_from("aZ*"), st.text(st.sampled_from("!#$%&'*+-.^_`|~09aZ:/"), max_size=6)).map(
    lambda t: Token("".join(t))
)
bare_items = st.one_of(
    st.integers(-(10**15) + 1, 10**15 - 1),
    st.integers(-(10**15) + 1, 10**15 - 1).map(lambda n: Decimal(n).scaleb(-3)),  # 12 + 3 digits
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=10),
    tokens,
    st.binary(max_size=12),
    st.booleans(),
)
params = st.dictionaries(keys, bare_items, max_size=3)
members = st.one_of(
    st.tuples(bare_items, params),
    st.tuples(st.lists(st.tuples(bare_items, params), max_size=3), params),
)
dictionaries = st.dictionaries(keys, members, max_size=5)


def serialise_bare(value: object) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        text = f"{value.quantize(Decimal('0.001')):f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, Token):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode() + ":"
    raise AssertionError(value)


def serialise_params(values: dict[str, object]) -> str:
    return "".join(f";{k}" if v is True else f";{k}={serialise_bare(v)}" for k, v in values.items())


def serialise(dictionary: dict[str, tuple[object, dict[str, object]]]) -> str:
    parts = []
    for key, (value, member_params) in dictionary.items():
        if isinstance(value, list):
            inner = " ".join(serialise_bare(v) + serialise_params(p) for v, p in value)
            parts.append(f"{key}=({inner}){serialise_params(member_params)}")
        elif value is True:
            parts.append(key + serialise_params(member_params))
        else:
            parts.append(f"{key}={serialise_bare(value)}{serialise_params(member_params)}")
    return ", ".join(parts)


def _plain(value: object) -> object:
    """Values compared with their type: Token("a") is not "a"; True is not 1."""
    if isinstance(value, list):
        return [(_plain(v), _plain(p)) for v, p in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, Decimal):
        return ("decimal", value.normalize())
    return (type(value).__name__, value)


@fuzz(dictionaries)
@example({"a": (Decimal("1.5"), {}), "b": (Token("*x"), {"c": True})})
@example({"a": ([], {}), "b": (True, {"p": b""})})
def test_serialised_dictionaries_parse_back(dictionary):
    parsed = parse_dictionary(serialise(dictionary))
    assert list(parsed) == list(dictionary)
    assert _plain(parsed) == _plain(dictionary)


# --------------------------------------------------------------------------- Content-Usage

_usage_values = st.one_of(
    sfv_inputs,
    st.dictionaries(
        st.sampled_from([*AIPREF_LABELS, *AIPREF_LEGACY_LABELS, "x"]),
        st.sampled_from(["y", "n", '"n"', "no", "?1", "y;exceptions=cc-cr", 'n;exceptions="a"', "(n)"]),
        max_size=6,
    ).map(lambda d: ", ".join(f"{k}={v}" for k, v in d.items())),
)


@fuzz(_usage_values, st.booleans())
@example('train-ai=n;exceptions="cc-cr", all=y', True)
@example("TRAIN-AI=n", False)
def test_parse_usage_never_raises(value, legacy):
    preference = parse_usage(value, legacy=legacy)
    assert (preference.error is not None) == (
        attempt(lambda: parse_dictionary(value.strip()), (SFVError,)).error is not None
    )
    if preference.error:
        assert preference.effects == {}
    if not legacy:
        assert preference.legacy == ()
        assert preference.legacy_purposes == frozenset()
    assert set(preference.effects.values()) <= {Outcome.ALLOW, Outcome.DENY}
    assert_evidence_json([preference.evidence(f"Content-Usage: {value}", "header", "detail")])


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

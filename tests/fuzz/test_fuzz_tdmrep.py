"""Fuzzing signals/tdmrep.py: TdmRepFile.parse, match and tdm_evidence.

TdmRepFile.parse may only raise TdmRepError (not JSON, not an array). Inputs: random bytes and text,
the spec's and our own files mutated, JSON values of any shape, JSON nested thousands deep, and
arrays of rules whose fields have every JSON type. A parsed file keeps one rule per entry with a
non-empty string location, never raises when matching, and its evidence serialises to JSON.
"""

from __future__ import annotations

import json

from fuzzing import (
    assert_evidence_json,
    attempt,
    documents,
    fuzz,
    lone_surrogates,
    path_text,
    tdmrep_seeds,
    text,
)
from hypothesis import example
from hypothesis import strategies as st

from scrapy_policyguard.core.paths import normalize_path
from scrapy_policyguard.core.signals.tdmrep import TdmRepError, TdmRepFile, TdmValues, tdm_evidence

URL = "https://a.example/.well-known/tdmrep.json"

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        text,
        st.sampled_from([0, 1, "0", "1", " 1 ", 1.0, 2, -1, True]),
    ),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(text, children, max_size=3)),
    max_leaves=8,
)
_location = st.one_of(path_text, st.sampled_from(["/", "", "*", "$", "/a/*.jpg$", "no-slash"]), json_values)
rules = st.fixed_dictionaries(
    {},
    optional={
        "location": _location,
        "tdm-reservation": json_values,
        "tdm-policy": st.one_of(text, json_values),
    },
)
rule_arrays = st.lists(st.one_of(rules, json_values), max_size=12)


def _dumps(value: object) -> str:
    return json.dumps(value, allow_nan=True)


@st.composite
def deep_json(draw: st.DrawFn) -> str:
    depth = draw(st.integers(1, 5000))
    opener, closer = draw(
        st.sampled_from(
            [
                ("[", "]"),
                ('{"a":', "}"),
                ('[{"location":"/","tdm-policy":', "}]"),
                # The reservation is quoted with repr() in the warning: a deep one must not overflow.
                ('[{"location":"/","tdm-reservation":', "}]"),
            ]
        )
    )
    closed = draw(st.booleans())
    return opener * depth + "1" + (closer * depth if closed else "")


tdmrep_inputs = st.one_of(
    documents(tdmrep_seeds),
    rule_arrays.map(_dumps),
    rule_arrays.map(lambda r: _dumps(r).encode("utf-16")),
    json_values.map(_dumps),
    deep_json(),
)


@fuzz(tdmrep_inputs, st.lists(path_text.map(normalize_path), max_size=4))
@example("[" * 100_000, ["/"])
@example('[{"location": "/", "tdm-reservation": ' + "9" * 5000 + "}]", ["/"])
@example(b"\xff\xfe[\x00", ["/"])
@example('[{"location": "/a", "tdm-reservation": 1e999}]', ["/a"])
@example("[" + "[" * 900 + "]" * 900 + "]", ["/"])
def test_parse_raises_only_tdmrep_error(body, paths):
    result = attempt(lambda: TdmRepFile.parse(body, URL), (TdmRepError,))
    if not result.ok:
        return
    parsed = result.value
    assert all(isinstance(w, str) for w in parsed.warnings)
    for path in paths:
        values = parsed.match(path)
        assert values is None or values.reservation in (None, 0, 1)
        evidence = tdm_evidence(values, TdmValues(1, "https://p"), None)
        if evidence is not None:
            assert_evidence_json([evidence])


@fuzz(rule_arrays)
@example([{"location": "x", "tdm-reservation": "1"}, {"location": ""}, 7])
def test_one_rule_per_entry_with_a_location(entries):
    parsed = TdmRepFile.parse(_dumps(entries), URL)
    usable = [
        e for e in entries if isinstance(e, dict) and isinstance(e.get("location"), str) and e["location"]
    ]
    assert len(parsed.rules) == len(usable)
    for rule in parsed.rules:
        assert rule.pattern.source.startswith("/")


# --------------------------------------------------------------------------- regressions


# Found by this suite, fixed in 162f4cb: a JSON escape such as \ud800 in a rule's location reached
# normalize_path, which raised UnicodeEncodeError out of TdmRepFile.parse (and engine.check()).
@fuzz(
    st.text(lone_surrogates, min_size=1).map(
        lambda s: json.dumps([{"location": "/" + s, "tdm-reservation": 1}])
    )
)
@example('[{"location": "/\\ud800", "tdm-reservation": 1}]')
def test_location_with_an_escaped_lone_surrogate(body):
    parsed = TdmRepFile.parse(body.encode("ascii"), URL)
    assert len(parsed.rules) == 1
    location = json.loads(body)[0]["location"]
    assert parsed.match(normalize_path(location)) is not None

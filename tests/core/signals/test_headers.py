"""What a response's HTTP headers say (scrapy_policyguard.core.signals.headers).

Every instance of a repeated header counts; header names are case-insensitive (RFC 9110 §5.1).
``Content-Usage`` instances combine into one Dictionary (RFC 9651 §4.2: field lines are joined with
", "), ``tdm-reservation`` 1/0 else unset (TDMRep §2), ``Link: <…>; rel="license";
type="application/rsl+xml"`` names an RSL licence (RSL 1.0, signals-research.md §6.2).
"""

from __future__ import annotations

import pytest

from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.signals.headers import X_ROBOTS_SOURCE, parse_link_header, read_headers
from scrapy_policyguard.core.signals.tdmrep import TdmValues

Y, N = Outcome.ALLOW, Outcome.DENY
TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH
URL = "https://a.example/articles/1"
OWN = "PolicyGuardBot"


def read(headers: list[tuple[str, str]], **kwargs):
    return read_headers(headers, url=URL, own_token=OWN, **kwargs)


def sources_and_effects(signals) -> list[tuple[str, dict]]:
    return [(e.source, dict(e.effects)) for e in signals.evidence]


# --------------------------------------------------------------------------- X-Robots-Tag


def test_A11_repeated_x_robots_tag_headers_all_count():
    signals = read([("X-Robots-Tag", "googlebot: noindex"), ("X-Robots-Tag", "NoAI")])
    # noindex is scoped to googlebot: only noai binds us.
    assert sources_and_effects(signals) == [(X_ROBOTS_SOURCE, {TRAIN: N, INPUT: N})]
    assert signals.evidence[0].rule == "X-Robots-Tag: NoAI"
    assert signals.evidence[0].location == "header X-Robots-Tag"


@pytest.mark.parametrize("name", ["X-Robots-Tag", "x-robots-tag", "X-ROBOTS-TAG", " x-Robots-tag "])
def test_header_names_are_case_insensitive(name):
    assert sources_and_effects(read([(name, "noai")])) == [(X_ROBOTS_SOURCE, {TRAIN: N, INPUT: N})]


def test_each_x_robots_tag_instance_is_its_own_statement():
    signals = read([("X-Robots-Tag", "noarchive"), ("X-Robots-Tag", "noindex"), ("X-Robots-Tag", "noai")])
    assert [dict(e.effects) for e in signals.evidence] == [{TRAIN: N}, {SEARCH: N}, {TRAIN: N, INPUT: N}]


def test_A12_own_token_noimageai_on_an_image():
    signals = read([("X-Robots-Tag", "policyguardbot: noimageai")], is_image=True)
    assert sources_and_effects(signals) == [(X_ROBOTS_SOURCE, {TRAIN: N, INPUT: N})]


def test_noimageai_on_a_page_is_a_condition():
    signals = read([("X-Robots-Tag", "noimageai")])
    (evidence,) = signals.evidence
    assert evidence.effects == {}
    assert evidence.conditions


# --------------------------------------------------------------------------- Content-Usage


@pytest.mark.parametrize(
    ("values", "effects"),
    [
        (["train-ai=n"], {TRAIN: N}),
        (["train-ai=y", "search=n"], {TRAIN: Y, SEARCH: N}),
        (["train-ai=n", "train-ai=y"], {TRAIN: Y}),  # one Dictionary: the last duplicate wins
        (["train-ai=n", "Search=y"], {}),  # one bad line spoils the combined field
        (["train-ai=n;exceptions=cc-cr"], {TRAIN: N}),
    ],
    ids=["single", "two-lines", "duplicate-across-lines", "bad-line", "A16-exceptions"],
)
def test_content_usage_lines_are_one_dictionary(values, effects):
    signals = read([("Content-Usage", v) for v in values])
    (evidence,) = signals.evidence
    assert evidence.source == "content-usage"
    assert dict(evidence.effects) == effects
    assert evidence.rule == "Content-Usage: " + ", ".join(values)
    assert evidence.location == "header Content-Usage"


def test_content_usage_cc_exception_becomes_a_condition():
    (evidence,) = read([("content-usage", "train-ai=n;exceptions=cc-cr")]).evidence
    assert evidence.conditions == ("exception offered: cc-cr (CC signals)",)


def test_content_usage_that_does_not_parse_says_why():
    (evidence,) = read([("Content-Usage", "Train-AI=n")]).evidence
    assert evidence.effects == {}
    assert "not a valid RFC 9651 dictionary" in evidence.detail
    assert "error" in evidence.refs


@pytest.mark.parametrize(("legacy", "effects"), [(False, {}), (True, {TRAIN: N})], ids=["off", "on"])
def test_content_usage_legacy_label_needs_the_mapping(legacy, effects):
    (evidence,) = read([("Content-Usage", "ai=n")], legacy_usage=legacy).evidence
    assert dict(evidence.effects) == effects
    assert evidence.inferred == frozenset(effects)


# --------------------------------------------------------------------------- Content-Signal


def test_content_signal_header_is_read_with_the_same_keys_and_marked_inferred():
    (evidence,) = read([("Content-Signal", "ai-train=yes, search=yes, ai-input=no")]).evidence
    assert evidence.source == "content-signal"
    assert dict(evidence.effects) == {TRAIN: Y, SEARCH: Y, INPUT: N}
    assert evidence.inferred == frozenset({TRAIN, SEARCH, INPUT})
    assert evidence.location == "header Content-Signal"


def test_content_signal_header_with_non_standard_values_says_nothing():
    (evidence,) = read([("Content-Signal", "ai-train=disallow")]).evidence
    assert evidence.effects == {}
    assert evidence.refs == {"ignored": "ai-train=disallow"}


# --------------------------------------------------------------------------- TDMRep headers

TDM = [
    pytest.param([("tdm-reservation", "1")], TdmValues(1, None, "header tdm-reservation"), 0, id="one"),
    pytest.param([("TDM-Reservation", " 0 ")], TdmValues(0, None, "header tdm-reservation"), 0, id="zero"),
    pytest.param([("tdm-reservation", "2")], None, 1, id="A13-two-is-a-protocol-error"),
    pytest.param([("tdm-reservation", "yes")], None, 1, id="yes-is-a-protocol-error"),
    pytest.param([("tdm-reservation", "")], None, 1, id="empty-is-a-protocol-error"),
    pytest.param(
        [("tdm-reservation", "1"), ("tdm-policy", "https://a.example/policy.json")],
        TdmValues(1, "https://a.example/policy.json", "header tdm-reservation / tdm-policy"),
        0,
        id="with-policy",
    ),
    pytest.param(
        [("tdm-policy", "https://a.example/policy.json")],
        TdmValues(None, "https://a.example/policy.json", "header tdm-policy"),
        0,
        id="policy-only",
    ),
    pytest.param([], None, 0, id="absent"),
]


@pytest.mark.parametrize(("headers", "tdm", "warnings"), TDM)
def test_tdm_headers(headers, tdm, warnings):
    signals = read(headers)
    assert signals.tdm == tdm
    assert len(signals.warnings) == warnings
    assert signals.evidence == []


# --------------------------------------------------------------------------- Link rel=license

RSL_TYPE = "application/rsl+xml"


@pytest.mark.parametrize(
    ("value", "licenses"),
    [
        pytest.param(
            "<https://a.example/license.xml>; rel=license; type=application/rsl+xml",
            ["https://a.example/license.xml"],
            id="unquoted",
        ),
        pytest.param(
            "</license.xml>; REL=License; Type=Application/RSL+XML",
            ["https://a.example/license.xml"],
            id="relative-and-mixed-case",
        ),
        pytest.param(
            "<https://a.example/a.xml>; rel=license; type=application/rsl+xml, </style.css>; rel=stylesheet",
            ["https://a.example/a.xml"],
            id="two-links-one-licence",
        ),
        pytest.param("<https://a.example/l.html>; rel=license; type=text/html", [], id="other-type"),
        pytest.param(
            "<https://a.example/l.xml>; rel=alternate; type=application/rsl+xml", [], id="other-rel"
        ),
        pytest.param("<https://a.example/l.xml>; type=application/rsl+xml", [], id="no-rel"),
    ],
)
def test_link_header_licences(value, licenses):
    assert read([("Link", value)]).licenses == licenses


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(
            '<https://a.example/license.xml>; rel="license"; type="application/rsl+xml"',
            id="rsl-guide-form",
        ),
        pytest.param(
            '<https://a.example/license.xml>; rel="license"; type=application/rsl+xml',
            id="quoted-rel",
        ),
    ],
)
def test_link_header_with_quoted_parameters(value):
    assert read([("Link", value)]).licenses == ["https://a.example/license.xml"]


def test_parse_link_header_params_are_lower_cased_names():
    links = parse_link_header("</l.xml>; REL=license; Type=application/rsl+xml")
    assert links == [("/l.xml", {"rel": "license", "type": "application/rsl+xml"})]


def test_licence_link_with_an_unusable_target_is_a_warning():
    signals = read([("Link", "<http://[::1/x>; rel=license; type=application/rsl+xml")])
    assert signals.licenses == []
    assert signals.warnings == ["Link rel=license target <http://[::1/x> is not a usable URL: ignored"]


# --------------------------------------------------------------------------- nothing to say


def test_unrelated_headers_say_nothing():
    signals = read([("Content-Type", "text/html"), ("Cache-Control", "no-store"), ("Robots", "noai")])
    assert signals.evidence == []
    assert signals.tdm is None
    assert signals.licenses == []
    assert signals.warnings == []


GARBAGE = [
    ("X-Robots-Tag", "\x00\x01:::,,,"),
    ("X-Robots-Tag", ""),
    ("Content-Usage", "((((("),
    ("Content-Signal", "=,=,="),
    ("tdm-reservation", "\udcff"),
    ("tdm-policy", "   "),
    ("Link", "<<<>>>;;;=="),
    ("Link", '<unterminated; rel="license'),
]


@pytest.mark.parametrize(("name", "value"), GARBAGE, ids=[f"{n}-{i}" for i, (n, _) in enumerate(GARBAGE)])
def test_garbage_values_never_raise_and_deny_nothing(name, value):
    signals = read([(name, value)])
    for evidence in signals.evidence:
        assert Outcome.DENY not in evidence.effects.values()
        assert Outcome.ALLOW not in evidence.effects.values()
    assert signals.tdm is None
    assert signals.licenses == []


def test_repeated_headers_are_read_once():
    headers = [("X-Robots-Tag", "noai"), ("TDM-Reservation", "1"), ("Content-Signal", "ai-train=no")]
    once = read(headers)
    many = read(headers * 40)
    assert [e.to_dict() for e in many.evidence] == [e.to_dict() for e in once.evidence]
    assert many.tdm == once.tdm

"""Fuzzing signals/headers.py (read_headers, parse_link_header) and robots_directives.py.

Header names and values as Scrapy hands them over (latin-1 text, any characters), real values
mutated, and every header repeated 40 times. Properties: nothing raises; all evidence serialises
to JSON; and sending the same headers 40 times says what sending them once says (same outcome per
purpose, same TDMRep values, same licence documents).
"""

from __future__ import annotations

from fuzzing import (
    HEADER_SEEDS,
    as_text,
    assert_evidence_json,
    fuzz,
    mutate,
    product_tokens,
    text,
    urls,
    valid_tokens,
)
from hypothesis import example
from hypothesis import strategies as st

from scrapy_policyguard.core.decision import combine
from scrapy_policyguard.core.paths import join_url
from scrapy_policyguard.core.purposes import PURPOSES
from scrapy_policyguard.core.signals.headers import parse_link_header, read_headers
from scrapy_policyguard.core.signals.robots_directives import directive_evidence, parse_directives

NAMES = sorted({name for name, _ in HEADER_SEEDS} | {"x-robots-tag", " LINK ", "Content-usage", "TDM-Policy"})
_latin1 = st.text(st.characters(max_codepoint=0xFF))
header_names = st.one_of(st.sampled_from(NAMES), _latin1.map(lambda s: s[:20]))
header_values = st.one_of(
    _latin1,
    text,
    st.sampled_from(HEADER_SEEDS)
    .flatmap(lambda nv: mutate(nv[1].encode("latin-1")))
    .map(lambda b: b.decode("latin-1")),
    st.sampled_from(HEADER_SEEDS).flatmap(lambda nv: mutate(nv[1].encode("utf-8"))).map(as_text),
)
header_pairs = st.one_of(
    st.sampled_from(HEADER_SEEDS),
    st.tuples(st.sampled_from(NAMES), header_values),
    st.tuples(header_names, header_values),
)
header_lists = st.lists(header_pairs, max_size=8)
own_tokens = st.one_of(valid_tokens, st.sampled_from(["ExampleBot", "GPTBot", "googlebot"]))


def _tdm(signals) -> tuple[int | None, str | None] | None:
    return None if signals.tdm is None else (signals.tdm.reservation, signals.tdm.policy)


def outcomes(signals) -> dict:
    return {p: combine(signals.evidence, p) for p in PURPOSES}


@fuzz(header_lists, urls(garbage=False), own_tokens, st.booleans(), st.booleans())
@example([("X-Robots-Tag", "ExampleBot: noai")], "https://a.example/", "ExampleBot", False, False)
@example([("Content-Usage", "train-ai=n"), ("Content-Usage", "")], "https://a.example/", "Bot", False, True)
@example([("Link", "<>; rel=license; type=application/rsl+xml")], "", "Bot", False, False)
def test_read_headers_never_raises(headers, url, own, is_image, legacy):
    signals = read_headers(headers, url=url, own_token=own, is_image=is_image, legacy_usage=legacy)
    assert_evidence_json(signals.evidence)
    assert all(isinstance(w, str) for w in signals.warnings)
    assert all(isinstance(u, str) for u in signals.licenses)
    if signals.tdm is not None:
        assert signals.tdm.reservation in (None, 0, 1)


@fuzz(st.lists(header_pairs, min_size=1, max_size=4), own_tokens, st.booleans())
@example([("Content-Usage", "train-ai=n, search=y")], "Bot", False)
@example([("Content-Usage", "a=y,"), ("Content-Usage", "train-ai=n")], "Bot", True)
@example([("tdm-reservation", "1"), ("tdm-reservation", "0")], "Bot", False)
def test_headers_repeated_40_times_say_the_same(headers, own, legacy):
    url = "https://a.example/page"
    once = read_headers(headers, url=url, own_token=own, legacy_usage=legacy)
    many = read_headers(headers * 40, url=url, own_token=own, legacy_usage=legacy)
    assert outcomes(many) == outcomes(once)
    # Values, not the location text: it names every instance ("header tdm-reservation / ...").
    assert _tdm(many) == _tdm(once)
    assert set(many.licenses) == set(once.licenses)
    assert_evidence_json(many.evidence)


@fuzz(
    st.one_of(
        header_values,
        st.sampled_from(HEADER_SEEDS).map(lambda nv: nv[1]),
        st.lists(
            st.sampled_from(
                ["<https://a/l.xml>", "<>", "<http://[::1]/x>", ";rel=license", ';type="a\\"b"', ", ", ";x"]
            ),
            max_size=8,
        ).map("".join),
    ),
    urls(garbage=False),
)
@example('<a>; rel="license;x"; type=application/rsl+xml', "https://a.example/")
@example("<" * 1000, "https://a.example/")
def test_parse_link_header_never_raises(value, base):
    links = parse_link_header(value)
    for target, params in links:
        assert isinstance(target, str)
        joined = join_url(base, target)  # how read_headers resolves a licence link: never raises
        assert joined is None or isinstance(joined, str)
        assert all(isinstance(k, str) and k == k.lower() and isinstance(v, str) for k, v in params.items())


@fuzz(
    st.one_of(header_values, st.sampled_from(HEADER_SEEDS).map(lambda nv: nv[1])),
    own_tokens,
    product_tokens,
    st.booleans(),
)
@example("ExampleBot: noai, max-snippet: 0, noimageai", "ExampleBot", "x", False)
@example("unavailable_after: 2030-01-01", "Bot", "x", True)
def test_directives_never_raise(value, own, other, is_image):
    directives = parse_directives(value) + parse_directives(f"{other}: {value}")
    for directive in directives:
        assert directive.name and directive.name == directive.name.lower() and "," not in directive.name
    evidence = directive_evidence(
        directives, source="x-robots-tag", rule=value, location="header", own_token=own, is_image=is_image
    )
    assert_evidence_json(evidence)


# --------------------------------------------------------------------------- regressions


# Found by this suite, fixed in 162f4cb: a Link target such as "http://[::1/x" made urljoin raise
# ValueError("Invalid IPv6 URL") out of parse_link_header / read_headers. Now the link is dropped
# with a warning.
@fuzz(
    st.sampled_from(["http://[", "http://[::1/x", "//[", "https://[v1.x/", "http://a:99x/"]).map(
        lambda u: f"<{u}>"
    )
)
@example("<http://[::1/x>")
def test_link_header_with_an_unusable_target(target):
    good = "<https://a.example/l.xml>; rel=license; type=application/rsl+xml"
    value = f"{target}; rel=license; type=application/rsl+xml, {good}"
    signals = read_headers([("Link", value)], url="https://a.example/", own_token="ExampleBot")
    assert signals.licenses == ["https://a.example/l.xml"]
    assert len(signals.warnings) == 1 and "not a usable URL" in signals.warnings[0]

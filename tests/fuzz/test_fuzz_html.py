"""Fuzzing signals/html.py (read_html): markup from the corpus mutated, random bytes and text.

A document lxml cannot read gives no statement and a warning; anything else gives statements whose
evidence serialises to JSON; and reading an already parsed tree says what reading the text says.
"""

from __future__ import annotations

from fuzzing import (
    assert_evidence_json,
    documents,
    fuzz,
    html_seeds,
    lone_surrogates,
    mutated,
    rsl_seeds,
    text,
    to_bytes,
    urls,
    valid_tokens,
)
from hypothesis import example
from hypothesis import strategies as st

from scrapy_policyguard.core.signals.html import parse_html, read_html

UNREADABLE = "HTML document could not be parsed: no statements read from it"

_meta = st.tuples(
    st.sampled_from(
        ["robots", "ROBOTS", "ExampleBot", "tdm-reservation", "tdm-policy", "content-signal", "x"]
    ),
    st.sampled_from(
        ["noai", "noimageai, noml", "ExampleBot: noai", "1", "0", "2", "", "search=no, ai-train=no"]
    ),
).map(lambda nc: f'<meta name="{nc[0]}" content="{nc[1]}">')
_link = st.sampled_from(["/l.xml", "https://b.example/l.xml", "", "  x  "]).map(
    lambda h: f'<link rel="license" type="application/rsl+xml" href="{h}">'
)
_script = st.sampled_from(rsl_seeds()[:5]).map(
    lambda x: f'<script type="application/rsl+xml">{x.decode()}</script>'
)
_built = st.lists(st.one_of(_meta, _link, _script, text.map(lambda t: t[:30])), max_size=10).map(
    lambda parts: "<html><head>" + "".join(parts) + "</head><body></body></html>"
)
html_inputs = st.one_of(documents(html_seeds), _built, _built.map(to_bytes))


def _read(document, own="ExampleBot", is_image=False, url="https://a.example/page"):
    return read_html(document, url=url, own_token=own, is_image=is_image)


def _summary(signals):
    return (signals.evidence, signals.tdm, signals.licenses, signals.inline_licenses, signals.warnings)


@fuzz(html_inputs, valid_tokens, st.booleans(), urls(garbage=False))
@example(b"\x00" * 10, "ExampleBot", False, "https://a.example/")
@example("<!-- only a comment -->", "ExampleBot", False, "https://a.example/")
@example("<div>" * 30000, "ExampleBot", False, "https://a.example/")
@example(b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00", "ExampleBot", False, "https://a.example/")
def test_read_html_never_raises(document, own, is_image, url):
    signals = _read(document, own, is_image, url)
    assert_evidence_json(signals.evidence)
    if UNREADABLE in signals.warnings:
        assert signals.evidence == [] and signals.tdm is None
        assert signals.licenses == signals.inline_licenses == []
    assert all(isinstance(x, str) for x in signals.licenses + signals.inline_licenses + signals.warnings)


@fuzz(html_inputs, valid_tokens)
def test_a_parsed_tree_reads_like_its_text(document, own):
    tree = parse_html(document)
    if tree is None:
        assert _summary(_read(document, own)) == ([], None, [], [], [UNREADABLE])
        return
    assert _summary(_read(tree, own)) == _summary(_read(document, own))


@fuzz(
    mutated(html_seeds).map(
        lambda b: b.replace(b"<head>", b"<head>" + b'<meta name="robots" content="noai">' * 40)
    )
)
def test_repeated_meta_tags_never_raise(document):
    assert_evidence_json(_read(document).evidence)


# --------------------------------------------------------------------------- regressions


# Found by this suite, fixed in 162f4cb: <base href="http://[..."> (or such a licence <link href>)
# made urljoin raise ValueError("Invalid IPv6 URL") out of read_html. Now the base is ignored and
# the link dropped.
@fuzz(st.sampled_from(["http://[", "http://[::1/x", "//[x", "https://a:99x/"]))
@example("http://[::1/x")
def test_unusable_base_and_link_hrefs(href):
    page = (
        f'<base href="{href}"><link rel="license" type="application/rsl+xml" href="l.xml">'
        f'<link rel="license" type="application/rsl+xml" href="{href}">'
    )
    signals = read_html(page, url="https://a.example/d/", own_token="ExampleBot")
    assert signals.licenses == ["https://a.example/d/l.xml"]


# Found by this suite, fixed in 162f4cb: read_html(str) encoded the text as strict UTF-8 and raised
# UnicodeEncodeError for a surrogate.
@fuzz(st.text(st.one_of(lone_surrogates, st.sampled_from("<meta>")), min_size=1))
@example("<meta name=robots content='noai\ud800'>")
def test_read_html_str_with_a_surrogate(document):
    signals = read_html(document, url="https://a.example/", own_token="ExampleBot")
    assert_evidence_json(signals.evidence)

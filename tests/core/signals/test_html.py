"""What an HTML document's markup says (scrapy_policyguard.core.signals.html).

``<meta name="robots">`` and ``<meta name="{our token}">`` directives, ``<meta name="tdm-reservation">``
/ ``tdm-policy`` (TDMRep §3.3 (c)), the informal ``<meta name="content-signal">``, and RSL
``<link rel="license" type="application/rsl+xml">`` (resolved against ``<base href>``) and inline
``<script type="application/rsl+xml">``. Broken markup is recovered the way browsers do; a
document with nothing to parse gives no statement and a warning, never an exception.
"""

from __future__ import annotations

import lxml.html
import pytest

from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.signals.html import META_SOURCE, parse_html, read_html
from scrapy_policyguard.core.signals.tdmrep import TdmValues

Y, N = Outcome.ALLOW, Outcome.DENY
TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH
AI = {TRAIN: N, INPUT: N}
URL = "https://a.example/news/story.html"
OWN = "PolicyGuardBot"


def read(document, **kwargs):
    return read_html(document, url=URL, own_token=OWN, **kwargs)


def page(head: str = "", body: str = "") -> str:
    return f"<!DOCTYPE html><html><head><title>t</title>{head}</head><body>{body}</body></html>"


# --------------------------------------------------------------------------- robots meta

META = [
    pytest.param(page('<meta name="robots" content="noai, noimageai">'), [AI, {}], id="deviantart-form"),
    pytest.param(page('<meta name="ROBOTS" content="NoAI">'), [AI], id="case-insensitive-name-and-value"),
    pytest.param(page('<meta name="PolicyGuardBot" content="noai">'), [AI], id="own-token-meta"),
    pytest.param(
        page('<meta name="policyguardbot" content="noarchive">'), [{TRAIN: N}], id="own-token-lower"
    ),
    pytest.param(page('<meta name="GPTBot" content="noai">'), [], id="other-crawler-meta"),
    pytest.param(page('<meta name="googlebot" content="noindex">'), [], id="googlebot-meta"),
    pytest.param(page('<meta name="robots" content="nosnippet">'), [{INPUT: N}], id="nosnippet"),
    pytest.param(page('<meta name="robots" content="noindex, nofollow">'), [{SEARCH: N}], id="noindex"),
    pytest.param(page('<meta name="robots">'), [], id="no-content-attribute"),
    pytest.param(page('<meta property="robots" content="noai">'), [], id="property-is-not-name"),
    pytest.param(
        page('<meta name="robots" content="noai">', '<meta name="robots" content="noarchive">'),
        [AI, {TRAIN: N}],
        id="meta-in-body-is-read",
    ),
    pytest.param(
        "<html><head><meta name=robots content=noai><title>x</head><body><p>unclosed <div><table><tr><td>x",
        [AI],
        id="broken-markup",
    ),
    pytest.param("<meta name='robots' content='noai'>", [AI], id="fragment-without-html"),
]


@pytest.mark.parametrize(("document", "effects"), META)
def test_robots_meta(document, effects):
    signals = read(document)
    assert [dict(e.effects) for e in signals.evidence] == effects
    assert all(e.source == META_SOURCE == "html-meta" for e in signals.evidence)
    assert signals.warnings == []


def test_noimageai_meta_on_an_image_response_denies():
    signals = read(page('<meta name="robots" content="noimageai">'), is_image=True)
    assert [dict(e.effects) for e in signals.evidence] == [AI]


def test_meta_evidence_quotes_the_tag():
    (evidence,) = read(page('<meta name="Robots" content="NoAI">')).evidence
    assert evidence.rule == '<meta name="Robots" content="NoAI">'
    assert evidence.location == "HTML meta robots"


def test_bytes_with_a_declared_charset():
    document = (
        b'<html><head><meta charset="iso-8859-1"><meta name="robots" content="noai"><title>caf\xe9</title>'
    )
    assert [dict(e.effects) for e in read(document).evidence] == [AI]


def test_an_already_parsed_tree_is_read_the_same():
    document = page('<meta name="robots" content="noai"><meta name="tdm-reservation" content="1">')
    tree = lxml.html.document_fromstring(document)
    from_tree, from_text = read(tree), read(document)
    assert (
        [dict(e.effects) for e in from_tree.evidence] == [dict(e.effects) for e in from_text.evidence] == [AI]
    )
    assert from_tree.tdm == from_text.tdm


# --------------------------------------------------------------------------- TDMRep meta

TDM = [
    pytest.param('<meta name="tdm-reservation" content="1">', TdmValues(1, None), 0, id="one"),
    pytest.param('<meta name="TDM-Reservation" content=" 0 ">', TdmValues(0, None), 0, id="zero"),
    pytest.param('<meta name="tdm-reservation" content="2">', None, 1, id="two-is-unset"),
    pytest.param('<meta name="tdm-reservation" content="yes">', None, 1, id="yes-is-unset"),
    pytest.param(
        '<meta name="tdm-reservation" content="1"><meta name="tdm-policy" content="https://a.example/p.json">',
        TdmValues(1, "https://a.example/p.json"),
        0,
        id="with-policy",
    ),
    pytest.param(
        '<meta name="tdm-policy" content="https://a.example/p.json">',
        TdmValues(None, "https://a.example/p.json"),
        0,
        id="policy-only",
    ),
    pytest.param(
        '<meta name="tdm-reservation" content="1"><meta name="tdm-reservation" content="0">',
        TdmValues(0, None),
        0,
        id="last-meta-wins",
    ),
    pytest.param(
        '<meta name="tdm-reservation" content="1"><meta name="tdm-reservation" content="x">',
        TdmValues(1, None),
        1,
        id="bad-later-meta-does-not-reset",
    ),
]


@pytest.mark.parametrize(("head", "values", "warnings"), TDM)
def test_tdm_meta(head, values, warnings):
    signals = read(page(head))
    if values is None:
        assert signals.tdm is None
    else:
        assert signals.tdm == TdmValues(
            values.reservation, values.policy, "HTML meta tdm-reservation / tdm-policy"
        )
    assert len(signals.warnings) == warnings


# --------------------------------------------------------------------------- Content-Signal meta


def test_content_signal_meta_is_informal_and_inferred():
    (evidence,) = read(page('<meta name="content-signal" content="ai-train=no, search=yes">')).evidence
    assert evidence.source == "content-signal"
    assert dict(evidence.effects) == {TRAIN: N, SEARCH: Y}
    assert evidence.inferred == frozenset({TRAIN, SEARCH})
    assert evidence.location == "HTML meta content-signal"


# --------------------------------------------------------------------------- RSL links

LINKS = [
    pytest.param(
        '<link rel="license" type="application/rsl+xml" href="https://lic.example/l.xml">',
        ["https://lic.example/l.xml"],
        id="absolute",
    ),
    pytest.param(
        '<link rel="license" type="application/rsl+xml" href="/license.xml">',
        ["https://a.example/license.xml"],
        id="relative-to-page",
    ),
    pytest.param(
        '<base href="https://cdn.example/site/">'
        '<link rel="license" type="application/rsl+xml" href="rsl/l.xml">',
        ["https://cdn.example/site/rsl/l.xml"],
        id="relative-to-base-href",
    ),
    pytest.param(
        '<base href="/other/"><link rel="license" type="application/rsl+xml" href="l.xml">',
        ["https://a.example/other/l.xml"],
        id="relative-base-href",
    ),
    pytest.param(
        '<base target="_blank"><base href="/first/"><base href="/second/">'
        '<link rel="license" type="application/rsl+xml" href="l.xml">',
        ["https://a.example/first/l.xml"],
        id="first-base-with-href-wins",
    ),
    pytest.param(
        '<link rel="License Alternate" type="Application/RSL+XML" href="l.xml">',
        ["https://a.example/news/l.xml"],
        id="rel-list-and-case",
    ),
    pytest.param(
        '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">',
        [],
        id="cc-licence-link-not-rsl",
    ),
    pytest.param('<link rel="license" type="application/rsl+xml">', [], id="no-href"),
    pytest.param('<link rel="stylesheet" type="application/rsl+xml" href="l.xml">', [], id="not-rel-license"),
]


@pytest.mark.parametrize(("head", "licenses"), LINKS)
def test_rsl_links(head, licenses):
    assert read(page(head)).licenses == licenses


INLINE = (
    '<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license>'
    '<prohibits type="usage">ai-train</prohibits></license></content></rsl>'
)


@pytest.mark.parametrize(
    ("document", "count"),
    [
        (page(f'<script type="application/rsl+xml">{INLINE}</script>'), 1),
        (page("", f'<script type="Application/RSL+XML">{INLINE}</script>'), 1),
        (page(f'<script type="application/ld+json">{INLINE}</script>'), 0),
        (page('<script type="application/rsl+xml"></script>'), 0),
    ],
    ids=["in-head", "in-body-any-case", "other-script-type", "empty-script"],
)
def test_inline_rsl_script(document, count):
    signals = read(document)
    assert len(signals.inline_licenses) == count
    if count:
        assert signals.inline_licenses[0] == INLINE


# --------------------------------------------------------------------------- nothing to read

EMPTY = [
    pytest.param("", id="empty-str"),
    pytest.param(b"", id="empty-bytes"),
    pytest.param("   \n\t ", id="whitespace"),
    pytest.param("<!-- only a comment -->", id="only-a-comment"),
    pytest.param("<?xml version='1.0' encoding='utf-8'?>", id="only-an-xml-declaration"),
]


@pytest.mark.parametrize("document", EMPTY)
def test_a_document_with_nothing_to_parse_is_a_warning(document):
    signals = read(document)
    assert signals.evidence == []
    assert signals.tdm is None
    assert signals.licenses == []
    assert signals.warnings == ["HTML document could not be parsed: no statements read from it"]
    assert parse_html(document) is None


GARBAGE = [
    pytest.param(b"\x00\x01\x02\xff\xfe", id="binary"),
    pytest.param("\x00", id="nul"),
    pytest.param("<" * 5000, id="angle-brackets"),
    pytest.param("<div>" * 20000, id="deep-nesting"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="png-bytes"),
    pytest.param("<html><head><meta name=robots content=noai", id="cut-inside-a-tag"),
    pytest.param('<meta name="robots" content="\x00noai">', id="nul-in-attribute"),
]


@pytest.mark.parametrize("document", GARBAGE)
def test_garbage_never_raises_and_says_nothing(document):
    # A tag cut by the end of the document is dropped, as the HTML parsing algorithm drops it.
    signals = read(document)
    assert signals.evidence == []
    assert signals.tdm is None
    assert signals.licenses == signals.inline_licenses == []


def test_repeated_elements_are_read_once():
    # A page that repeats one tag 10,000 times must not give 10,000 pieces of evidence.
    once = read(
        '<meta name="robots" content="noai"><link rel="license" type="application/rsl+xml" href="/l.xml">'
    )
    page = '<meta name="robots" content="noai">' * 10_000 + (
        '<link rel="license" type="application/rsl+xml" href="/l.xml">' * 100
    )
    many = read(page)
    assert [e.to_dict() for e in many.evidence] == [e.to_dict() for e in once.evidence]
    assert many.licenses == once.licenses == ["https://a.example/l.xml"]

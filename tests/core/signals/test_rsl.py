"""RSL licence documents (scrapy_policyguard.core.signals.rsl).

Evaluation cases are in data/rsl_cases.yaml (RSL 1.0, signals-research.md §6.3-6.4). Documents are
parsed with defusedxml, refusing any DOCTYPE or ENTITY declaration, so that no entity is ever
expanded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.engine import parse_license
from scrapy_policyguard.core.paths import path_of
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.signals.rsl import NAMESPACE, SOURCE, RslDocument, RslError, rsl_evidence

HERE = Path(__file__).parent / "data"
DATA = yaml.safe_load((HERE / "rsl_cases.yaml").read_text(encoding="utf-8"))
DOC_URL = DATA["document_url"]
TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH


def rsl(body: str) -> str:
    return f'<rsl xmlns="{NAMESPACE}">{body}</rsl>'


def evaluate(text: str | bytes, url: str, agreements: dict | None = None, doc_url: str = DOC_URL):
    doc = RslDocument.parse(text, doc_url)
    return rsl_evidence([doc], url, path_of(url), agreements or {}, channel="robots.txt")


def _case_params():
    params = []
    for case in DATA["cases"]:
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


@pytest.mark.parametrize("case", _case_params())
def test_rsl_case(case):
    text = case["raw"] if "raw" in case else rsl(case["doc"])
    found = evaluate(text, case["url"], case.get("agreements"))
    if case["expect"].get("none"):
        assert found == []
        return
    (evidence,) = found
    expected = {Purpose(k): Outcome(v) for k, v in case["expect"].items()}
    assert dict(evidence.effects) == expected
    assert evidence.source == SOURCE == "rsl"
    assert evidence.refs["document"] == DOC_URL
    assert evidence.location == f"{DOC_URL} (found via robots.txt)"
    if "content" in case:
        assert evidence.refs["content"] == case["content"]
        assert evidence.rule == f'<content url="{case["content"]}">'
    assert list(evidence.conditions) == case.get("conditions", [])
    if case.get("agreements") and Outcome.ALLOW in expected.values():
        assert evidence.refs["agreement"] in case["agreements"].values()


# --------------------------------------------------------------------------- the spec example

SPEC = (HERE / "rsl" / "spec-example.xml").read_bytes()


def test_spec_example_needs_a_licence_from_its_server():
    (evidence,) = evaluate(SPEC, "https://example.com/news/1", doc_url="https://example.com/license.xml")
    assert dict(evidence.effects) == {TRAIN: Outcome.DENY, INPUT: Outcome.DENY, SEARCH: Outcome.DENY}
    assert evidence.refs["server"] == "https://rslcollective.org/api"
    assert evidence.refs["terms"] == "https://example.com/legal/ai-terms"
    assert "licence required" in evidence.detail


def test_spec_example_with_a_licence_from_its_server():
    agreements = {"https://rslcollective.org/api": "RSL Collective licence token"}
    (evidence,) = evaluate(
        SPEC, "https://example.com/news/1", agreements, doc_url="https://example.com/license.xml"
    )
    assert dict(evidence.effects) == {TRAIN: Outcome.DENY, INPUT: Outcome.ALLOW, SEARCH: Outcome.ALLOW}
    assert evidence.refs["agreement"] == "RSL Collective licence token"


# --------------------------------------------------------------------------- documents refused

REFUSED = [
    pytest.param(
        '<!DOCTYPE rsl [<!ENTITY a "ai-train">]>'
        + rsl('<content url="/"><license><prohibits type="usage">&a;</prohibits></license></content>'),
        "DOCTYPE",
        id="doctype-with-entity",
    ),
    pytest.param(
        '<?xml version="1.0"?>\n<!DOCTYPE rsl SYSTEM "http://evil.example/rsl.dtd">' + rsl(""),
        "DOCTYPE",
        id="external-dtd",
    ),
    pytest.param(
        '<!doctype rsl [<!entity lol "lol">]>' + rsl(""),
        "DOCTYPE",
        id="lower-case-doctype",
    ),
    pytest.param('<!ENTITY x "y">' + rsl(""), "DOCTYPE", id="entity-alone"),
    pytest.param("<rsl><content url='/'>", "well-formed", id="not-well-formed"),
    pytest.param("", "well-formed", id="empty"),
    pytest.param("License: https://a.example/l.xml", "well-formed", id="not-xml"),
    pytest.param('<?xml version="1.0" encoding="x-no"?><rsl/>', "unknown encoding", id="unknown-encoding"),
    pytest.param('<?xml version="1.0" encoding="utf-7"?><rsl/>', "multi-byte", id="unusable-encoding"),
    pytest.param("<html><body>404</body></html>", "root element", id="html-error-page"),
    pytest.param(rsl("<content url='/'>" + " " * (1024 * 1024) + "</content>"), "larger", id="too-large"),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused_documents(text, reason):
    with pytest.raises(RslError, match=reason):
        RslDocument.parse(text, DOC_URL)
    # The engine turns the error into a reason, never an exception.
    problem = parse_license(text, DOC_URL)
    assert isinstance(problem, str)
    assert reason in problem


def test_doctype_is_refused_in_any_encoding():
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE rsl [<!ENTITY a "ai-train">]>' + rsl(
        '<content url="/"><license><prohibits type="usage">&a;</prohibits></license></content>'
    )
    with pytest.raises(RslError):
        RslDocument.parse(text.encode("utf-16"), DOC_URL)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(f'<content url="/{"a" * 1_000_000}"><license/></content>', id="huge-attribute"),
        pytest.param(
            '<content url="/"><license/>' + "<x>" * 50_000 + "</x>" * 50_000 + "</content>", id="deep-nesting"
        ),
    ],
)
def test_large_documents_within_the_size_limit_parse(body):
    # Bounded by the 1 MB limit only: the parser builds deep or wide trees without recursion.
    (content,) = RslDocument.parse(rsl(body), DOC_URL).contents
    assert content.url.startswith("/")


# --------------------------------------------------------------------------- parsing details


def test_contents_without_url_or_licence_are_reported():
    doc = RslDocument.parse(
        rsl(
            '<content><license/></content><content url="/a/"></content>'
            '<content url="/b/"><license/></content>'
        ),
        DOC_URL,
    )
    assert [c.url for c in doc.contents] == ["/a/", "/b/"]
    assert len(doc.warnings) == 2


def test_relative_content_url_resolves_against_the_document():
    doc = RslDocument.parse(
        rsl('<content url="docs/"><license/></content>'), "https://a.example/rsl/license.xml"
    )
    assert doc.scope("a.example", "/rsl/docs/x") is not None
    assert doc.scope("a.example", "/docs/x") is None


def test_scheme_relative_content_url_names_its_host():
    # "//host/path" is a network-path reference: its scope is that host's path, not a path
    # starting "//" that no request could match.
    doc = RslDocument.parse(
        rsl(
            '<content url="//a.example/private/"><license><prohibits>ai-train</prohibits></license></content>'
        ),
        "https://licences.example/rsl.xml",
    )
    assert doc.scope("a.example", "/private/x") is not None
    assert doc.scope("b.example", "/private/x") is None
    assert doc.warnings == ()


@pytest.mark.parametrize(
    ("content_url", "doc_url", "reason"),
    [
        ("mailto:licensing@a.example", DOC_URL, "not an http(s) URL"),
        ("urn:isbn:0451450523", DOC_URL, "not an http(s) URL"),
        ("http://[::1/x", DOC_URL, "not a usable URL"),
        ("docs/", "http://[x/rsl.xml", "cannot be resolved"),
    ],
)
def test_unusable_content_urls_are_skipped_with_a_warning(content_url, doc_url, reason):
    # Skipped, never widened: an unresolvable relative URL must not become the whole site.
    doc = RslDocument.parse(rsl(f'<content url="{content_url}"><license/></content>'), doc_url)
    assert doc.contents == ()
    assert len(doc.warnings) == 1
    assert reason in doc.warnings[0]


def test_several_documents_give_one_statement_each():
    first = RslDocument.parse(
        rsl('<content url="/"><license><prohibits>ai-train</prohibits></license></content>'), DOC_URL
    )
    second = RslDocument.parse(
        rsl('<content url="/"><license><prohibits>search</prohibits></license></content>'),
        "https://a.example/other.xml",
    )
    found = rsl_evidence([first, second], "https://a.example/x", "/x", {}, channel="the response")
    assert [e.refs["document"] for e in found] == [DOC_URL, "https://a.example/other.xml"]
    assert found[0].effects[TRAIN] is Outcome.DENY
    assert found[1].effects[SEARCH] is Outcome.DENY
    assert found[1].location.endswith("(found via the response)")

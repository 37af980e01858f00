"""engine.check() end to end on strings: every signal kind, appendix A of signals-research.md, and
bad input of every kind (a statement of nothing with a note or warning, never an exception).

The crawler's product token is ``PolicyGuardBot``; platform-terms packs are off (``rules=[]``)
except where a test is about them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from scrapy_policyguard.core.bundled import bundled_agents
from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.engine import Policy, SiteDocuments, SitePolicy, check
from scrapy_policyguard.core.purposes import Purpose

A, D, U = Outcome.ALLOW, Outcome.DENY, Outcome.UNKNOWN
TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH
URL = "https://a.example/articles/1"
OWN = "PolicyGuardBot"
RSL_NS = "https://rslstandard.org/rsl"
APPENDIX = yaml.safe_load((Path(__file__).parent / "data" / "appendix_a.yaml").read_text(encoding="utf-8"))


def run(url: str = URL, **kwargs):
    kwargs.setdefault("user_agent", OWN)
    kwargs.setdefault("rules", [])
    return check(url, **kwargs)


def rsl(body: str) -> str:
    return f'<rsl xmlns="{RSL_NS}">{body}</rsl>'


def sources(decision) -> list[str]:
    return [e.source for e in decision.evidence]


# --------------------------------------------------------------------------- appendix A


def _appendix_params():
    params = []
    for case in APPENDIX["cases"]:
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


@pytest.mark.parametrize("case", _appendix_params())
def test_appendix_a(case):
    kwargs = {}
    if "robots" in case:
        kwargs["robots_txt"] = case["robots"]
    if "robots_status" in case:
        kwargs["robots_status"] = case["robots_status"]
    if "headers" in case:
        kwargs["headers"] = [tuple(pair) for pair in case["headers"]]
    for key, arg in (("html", "html"), ("tdmrep", "tdmrep"), ("rsl", "rsl"), ("user_agent", "user_agent")):
        if key in case:
            kwargs[arg] = case[key]
    kwargs["legacy_content_usage"] = case.get("legacy", False)
    decision = run(case["url"], **kwargs)
    for purpose, outcome in case["expect"].items():
        assert decision.outcomes[Purpose(purpose)] is Outcome(outcome), purpose
    if "crawl_denied" in case:
        assert decision.crawl_denied is case["crawl_denied"]
    for source in case.get("sources", []):
        assert source in sources(decision)
    for source in case.get("no_sources", []):
        assert source not in sources(decision)
    for condition in case.get("conditions", []):
        assert condition in decision.conditions


def test_appendix_a_covers_vectors_1_to_16():
    assert {case["vector"] for case in APPENDIX["cases"]} == set(range(1, 17))


# --------------------------------------------------------------------------- each signal kind


def test_no_input_at_all_is_unknown_everywhere():
    decision = run()
    assert decision.evidence == ()
    assert decision.outcomes == {TRAIN: U, INPUT: U, SEARCH: U}
    assert decision.allowed is True
    assert run(unknown="deny").allowed is False


def test_robots_crawl_permission_for_our_own_token():
    decision = run(robots_txt="User-agent: PolicyGuardBot\nDisallow: /articles/\n", purpose="search")
    assert decision.crawl_denied
    (crawl,) = decision.evidence
    assert crawl.kind == "crawl"
    assert crawl.location == "https://a.example/robots.txt line 2"
    assert crawl.refs["token"] == OWN


def test_robots_full_user_agent_string_is_reduced_to_its_token():
    decision = run(
        robots_txt="User-agent: PolicyGuardBot\nDisallow: /\n",
        user_agent="Mozilla/5.0 (compatible; PolicyGuardBot/1.0; +https://example.org/bot)",
    )
    assert decision.crawl_denied


def test_robots_ai_groups_and_ai_tokens_setting():
    robots = "User-agent: ExampleAIBot\nDisallow: /\n"
    assert run(robots_txt=robots).outcomes[TRAIN] is U
    decision = run(robots_txt=robots, ai_tokens={"ExampleAIBot": "training"})
    assert decision.outcomes[TRAIN] is D
    assert decision.denied_by == ("robots-ai-groups",)


def test_robots_extension_lines():
    robots = (
        "User-agent: *\nAllow: /\nContent-Signal: search=yes, ai-input=no\n"
        "Content-Usage: /articles/ train-ai=n\nDisallowAITraining: /drafts/\n"
    )
    decision = run(robots_txt=robots)
    assert decision.outcomes == {TRAIN: D, INPUT: D, SEARCH: A}
    assert sources(decision) == ["robots.txt", "content-signal", "content-usage"]
    drafts = run("https://a.example/drafts/x", robots_txt=robots)
    assert "ai-training-rules" in sources(drafts)


def test_response_headers_every_kind():
    headers = {
        "X-Robots-Tag": ["noarchive", "googlebot: noai"],
        "Content-Usage": "search=y",
        "Content-Signal": "ai-input=no",
        "tdm-reservation": "0",
    }
    decision = run(headers=headers)
    # noarchive denies ai-train; TDMRep 0 allows it: any deny wins.
    assert decision.outcomes == {TRAIN: D, INPUT: D, SEARCH: A}
    assert decision.stage == "response"
    # "googlebot: noai" is scoped to another crawler and gives no statement.
    assert sorted(sources(decision)) == ["content-signal", "content-usage", "tdmrep", "x-robots-tag"]


def test_header_values_as_bytes_are_read_as_latin_1():
    decision = run(headers=[("X-Robots-Tag", b"noai")])
    assert decision.outcomes[TRAIN] is D


def test_html_meta():
    html = (
        '<html><head><meta name="robots" content="noai">'
        '<meta name="tdm-reservation" content="1"></head></html>'
    )
    decision = run(html=html, purpose="ai-input")
    assert decision.outcome is D
    assert sources(decision) == ["tdmrep", "html-meta"]
    tdm = decision.evidence[0]
    assert tdm.location == "HTML meta tdm-reservation / tdm-policy"


def test_tdmrep_file_header_and_meta_together():
    tdmrep = '[{"location": "/", "tdm-reservation": 1, "tdm-policy": "https://a.example/policy.json"}]'
    # The header's 0 supersedes the file's 1; the file's policy stays.
    decision = run(tdmrep=tdmrep, headers={"tdm-reservation": "0"})
    (tdm,) = decision.evidence
    assert tdm.rule == "tdm-reservation: 0"
    assert tdm.refs["tdm-policy"] == "https://a.example/policy.json"
    assert decision.outcomes[TRAIN] is A
    # The file alone, before any response: reserved, with the policy as a condition.
    before = run(tdmrep=tdmrep)
    assert before.outcomes[TRAIN] is D
    assert before.conditions == ("TDM licence terms offered: https://a.example/policy.json",)
    assert before.evidence[0].location.startswith("https://a.example/.well-known/tdmrep.json rule 0")


def test_rsl_from_robots_txt_with_and_without_an_agreement():
    robots = "License: https://a.example/license.xml\nUser-agent: *\nAllow: /\n"
    doc = rsl(
        '<content url="/" server="https://rsl.example/api">'
        '<license><permits type="usage">all</permits></license></content>'
    )
    denied = run(robots_txt=robots, rsl={"https://a.example/license.xml": doc})
    assert denied.outcomes == {TRAIN: D, INPUT: D, SEARCH: D}
    assert denied.denied_by == ("rsl",)
    assert not denied.crawl_denied
    licensed = run(
        robots_txt=robots,
        rsl={"https://a.example/license.xml": doc},
        agreements={"https://rsl.example/api": "licence token 1"},
    )
    assert licensed.outcomes == {TRAIN: A, INPUT: A, SEARCH: A}
    assert licensed.evidence[-1].refs["agreement"] == "licence token 1"


def test_rsl_named_but_not_supplied_is_a_note():
    decision = run(robots_txt="License: https://a.example/license.xml\nUser-agent: *\nAllow: /\n")
    (note,) = [e for e in decision.evidence if e.source == "rsl"]
    assert note.effects == {}
    assert "licence document not supplied" in note.detail


def test_rsl_named_by_the_page_replaces_the_site_wide_licence():
    robots = "License: https://a.example/site.xml\nUser-agent: *\nAllow: /\n"
    site = rsl('<content url="/"><license><prohibits type="usage">all</prohibits></license></content>')
    page = rsl('<content url="/"><license><prohibits type="usage">ai-train</prohibits></license></content>')
    html = '<html><head><link rel="license" type="application/rsl+xml" href="/page.xml"></head></html>'
    decision = run(
        robots_txt=robots,
        html=html,
        rsl={"https://a.example/site.xml": site, "https://a.example/page.xml": page},
    )
    (evidence,) = [e for e in decision.evidence if e.source == "rsl"]
    assert evidence.refs["document"] == "https://a.example/page.xml"
    assert evidence.location == "https://a.example/page.xml (found via the response)"
    assert decision.outcomes == {TRAIN: D, INPUT: A, SEARCH: A}


def test_rsl_inline_script():
    inline = rsl('<content url="/"><license><permits type="usage">search</permits></license></content>')
    html = f'<html><head><script type="application/rsl+xml">{inline}</script></head></html>'
    decision = run(html=html)
    (evidence,) = [e for e in decision.evidence if e.source == "rsl"]
    # The licence is in the page itself: named after the page, as its error notes are.
    assert evidence.refs["document"] == f"{URL}#inline-rsl-0"
    assert evidence.location == f"{URL}#inline-rsl-0 (found via the response)"
    assert decision.outcomes == {TRAIN: D, INPUT: D, SEARCH: A}


def test_rsl_from_a_link_header():
    doc = rsl('<content url="/"><license><prohibits type="usage">ai-input</prohibits></license></content>')
    decision = run(
        headers={"Link": "<https://a.example/l.xml>; rel=license; type=application/rsl+xml"},
        rsl={"https://a.example/l.xml": doc},
    )
    assert decision.outcomes[INPUT] is D


def test_is_image_follows_the_content_type_unless_given():
    headers = {"Content-Type": "image/png", "X-Robots-Tag": "noimageai"}
    assert run(headers=headers).outcomes[TRAIN] is D
    assert run(headers=headers, is_image=False).outcomes[TRAIN] is U


def test_platform_terms_are_on_by_default_and_rules_empty_switches_them_off():
    reddit = "https://www.reddit.com/r/python/"
    assert "terms" in sources(check(reddit, user_agent=OWN))
    assert "terms" not in sources(check(reddit, user_agent=OWN, rules=[]))


def test_every_kind_of_evidence_serialises_to_json():
    robots = (
        "License: https://a.example/license.xml\nUser-agent: *\nAllow: /\n"
        "Content-Signal: ai-train=no, use=reference, foo=bar\nContent-Usage: train-ai=n;exceptions=cc-cr\n"
        "DisallowAITraining: /\n\nUser-agent: GPTBot\nDisallow: /\n"
    )
    decision = run(
        robots_txt=robots,
        headers={
            "X-Robots-Tag": "noimageai",
            "Content-Usage": "Train-AI=n",
            "tdm-reservation": "1",
            "tdm-policy": "https://a.example/p",
        },
        html='<html><head><meta name="robots" content="nosnippet"></head></html>',
        tdmrep="{bad json",
        rsl={
            "https://a.example/license.xml": rsl(
                '<content url="/"><license><payment type="attribution"/></license></content>'
            )
        },
        legacy_content_usage=True,
    )
    data = json.loads(json.dumps(decision.to_dict()))
    assert {e["source"] for e in data["evidence"]} == {
        "robots.txt",
        "robots-ai-groups",
        "content-signal",
        "content-usage",
        "ai-training-rules",
        "tdmrep",
        "rsl",
        "x-robots-tag",
        "html-meta",
    }
    assert data["outcome"] == "deny"


# --------------------------------------------------------------------------- bad input of every kind

GARBAGE_ROBOTS = [
    pytest.param(b"\x00\xff\xfe garbage\n\x89PNG\r\n", id="binary"),
    pytest.param("<html><body><h1>Welcome</h1></body></html>", id="html-page-served-as-robots"),
    pytest.param("User-agent\nDisallow\n:::\n=\n", id="records-without-values"),
    pytest.param(
        "Content-Usage: ((((\nContent-Signal: ===\nLicense: not a url\n", id="bad-extension-lines-only"
    ),
    pytest.param(
        "User-agent: *\nContent-Usage: ((((\nContent-Signal: ===\nDisallowAITraining:\n",
        id="bad-extension-lines",
    ),
]


@pytest.mark.parametrize("robots", GARBAGE_ROBOTS)
def test_garbage_robots_txt_is_read_without_an_exception(robots):
    decision = run(robots_txt=robots)
    assert not decision.crawl_denied
    assert decision.outcomes[TRAIN] is U
    assert decision.outcomes[INPUT] is U


GARBAGE_HEADERS = [
    pytest.param({"X-Robots-Tag": "\x00\x01:::,,,"}, id="x-robots-tag"),
    pytest.param({"Content-Usage": "((((("}, id="content-usage"),
    pytest.param({"Content-Signal": "=,=,="}, id="content-signal"),
    pytest.param({"tdm-reservation": "yes please"}, id="tdm-reservation"),
    pytest.param({"Link": "<<<>>>;;;=="}, id="link"),
    pytest.param({"Content-Type": "\udcff/\udcfe"}, id="content-type"),
    pytest.param({"X-Robots-Tag": b"\xff\xfe\x00"}, id="bytes"),
]


@pytest.mark.parametrize("headers", GARBAGE_HEADERS)
def test_garbage_headers_say_nothing(headers):
    decision = run(headers=headers)
    assert decision.outcomes == {TRAIN: U, INPUT: U, SEARCH: U}


GARBAGE_HTML = [
    pytest.param("", id="empty"),
    pytest.param(b"\x00\x01\x02", id="binary"),
    pytest.param("<" * 1000, id="angle-brackets"),
    pytest.param("<?xml version='1.0'?>", id="xml-declaration-only"),
]


@pytest.mark.parametrize("html", GARBAGE_HTML)
def test_garbage_html_says_nothing(html):
    decision = run(html=html)
    assert decision.outcomes == {TRAIN: U, INPUT: U, SEARCH: U}


@pytest.mark.parametrize(
    ("headers", "html", "warning"),
    [
        pytest.param({}, "", "HTML document could not be parsed", id="empty-html"),
        pytest.param(
            {"tdm-reservation": "2"}, None, "tdm-reservation header '2' is not 0 or 1", id="tdm-header"
        ),
        pytest.param(
            {}, '<meta name="tdm-reservation" content="yes">', "meta tdm-reservation 'yes'", id="tdm-meta"
        ),
    ],
)
def test_reader_warnings_reach_the_response_facts(headers, html, warning):
    site = SitePolicy(Policy(OWN, agents=bundled_agents()), SiteDocuments("https://a.example"))
    facts = site.policy.read_response(URL, list(headers.items()), html)
    assert any(warning in w for w in facts.warnings), facts.warnings
    decision = site.decide_response(URL, TRAIN, facts)
    assert decision.outcomes == {TRAIN: U, INPUT: U, SEARCH: U}


GARBAGE_TDMREP = [
    pytest.param("{bad", id="not-json"),
    pytest.param('{"location": "/", "tdm-reservation": 1}', id="object"),
    pytest.param(b"\xff\xfe\x00", id="binary"),
    pytest.param("[" * 50_000, id="deep-nesting"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("tdmrep", GARBAGE_TDMREP)
def test_garbage_tdmrep_is_a_note(tdmrep):
    decision = run(tdmrep=tdmrep)
    (note,) = decision.evidence
    assert note.source == "tdmrep"
    assert note.effects == {}
    assert note.location == "https://a.example/.well-known/tdmrep.json"
    assert "no TDMRep statement" in note.detail
    assert decision.outcomes == {TRAIN: U, INPUT: U, SEARCH: U}


GARBAGE_RSL = [
    pytest.param("<<<", "not well-formed", id="not-xml"),
    pytest.param("", "not well-formed", id="empty"),
    pytest.param('<!DOCTYPE rsl [<!ENTITY a "b">]><rsl/>', "DOCTYPE", id="doctype"),
    pytest.param("<html><body>Forbidden</body></html>", "root element", id="html"),
    pytest.param(b"\x00\x01", "not well-formed", id="binary"),
]


@pytest.mark.parametrize(("body", "reason"), GARBAGE_RSL)
def test_garbage_rsl_from_robots_txt_is_a_note(body, reason):
    robots = "License: https://a.example/license.xml\nUser-agent: *\nAllow: /\n"
    decision = run(robots_txt=robots, rsl={"https://a.example/license.xml": body})
    (note,) = [e for e in decision.evidence if e.source == "rsl"]
    assert note.effects == {}
    assert reason in note.detail
    assert note.location == "https://a.example/license.xml (found via robots.txt)"
    assert decision.outcomes == {TRAIN: U, INPUT: U, SEARCH: A}


@pytest.mark.parametrize(("body", "reason"), GARBAGE_RSL)
def test_garbage_inline_rsl_is_a_note(body, reason):
    text = body.decode("latin-1") if isinstance(body, bytes) else body
    html = f'<html><head><script type="application/rsl+xml">{text}</script></head></html>'
    decision = run(html=html)
    notes = [e for e in decision.evidence if e.source == "rsl"]
    if not text:
        assert notes == []  # an empty script names no licence
        return
    (note,) = notes
    assert note.effects == {}
    assert note.location == f"{URL}#inline-rsl-0 (found via the response)"


def test_a_crawler_name_that_is_no_product_token_is_a_caller_error():
    with pytest.raises(ValueError, match="product token"):
        run(user_agent="42")


def test_unknown_default_must_be_allow_or_deny():
    with pytest.raises(ValueError, match="allow"):
        run(unknown="maybe")

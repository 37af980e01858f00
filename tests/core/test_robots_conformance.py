"""RFC 9309 conformance: Google's robots_test.cc cases and RFC 9309's own cases, run as data.

Every case in data/robots_conformance.yaml is run twice, and both runs must give its `expected`:

* through the parser and matcher: ``RobotsTxt.parse(body).group_for(agent).match(path_of(url))``;
* through the engine: ``check(url, user_agent=agent, robots_txt=body)``, where "allowed" means
  ``not decision.crawl_denied``.

The YAML file says where each case comes from and why we differ from Google's library where we do.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from scrapy_policyguard.core.decision import Decision, Evidence, EvidenceKind
from scrapy_policyguard.core.engine import Policy, check
from scrapy_policyguard.core.paths import path_of
from scrapy_policyguard.core.robots import PARSE_LIMIT, RobotsTxt, is_product_token

DATA_FILE = Path(__file__).parent / "data" / "robots_conformance.yaml"
SPEC: dict[str, Any] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = SPEC["cases"]

ALLOWED = "allowed"
DISALLOWED = "disallowed"
REFUSED = "refused"
_BODY_KEYS = ("robots", "robots_octets", "robots_parts")
_LINE_AT_END = re.compile(r" line \d+$")

# How many checks each matching TEST() of robots_test.cc makes (one URL and agent per check), or
# for the three parser-statistics TEST()s, how many files it parses. The YAML must restate them all.
GOOGLE_TESTS = {
    "GoogleOnly_SystemTest": 4,
    "ID_LineSyntax_Line": 3,
    "ID_LineSyntax_Groups": 10,
    "ID_LineSyntax_Groups_OtherRules": 4,
    "ID_REPLineNamesCaseInsensitive": 6,
    "ID_UserAgentValueCaseInsensitive": 12,
    "GoogleOnly_AcceptUserAgentUpToFirstSpace": 2,
    "ID_GlobalGroups_Secondary": 4,
    "ID_AllowDisallow_Value_CaseSensitive": 2,
    "ID_LongestMatch": 14,
    "ID_Encoding": 7,
    "ID_SpecialCharacters": 10,
    "GoogleOnly_IndexHTMLisDirectory": 4,
    "GoogleOnly_LineTooLong": 5,
    "GoogleOnly_DocumentationChecks": 58,
    "ID_LinesNumbersAreCountedCorrectly": 5,
    "ID_UTF8ByteOrderMarkIsSkipped": 5,
    "ID_NonStandardLineExample_Sitemap": 2,
}


# --------------------------------------------------------------------------- case data helpers


@functools.cache
def _build(parts_json: str) -> bytes:
    """Join generated pieces: "text", ["text", n], or {"pad_to": N} (one comment line)."""
    out = bytearray()
    for piece in json.loads(parts_json):
        if isinstance(piece, str):
            out += piece.encode("utf-8")
        elif isinstance(piece, list):
            text, times = piece
            out += text.encode("utf-8") * times
        else:
            room = piece["pad_to"] - len(out)
            assert room >= 2, f"cannot pad to {piece['pad_to']}: already {len(out)} octets"
            out += b"#" + b"-" * (room - 2) + b"\n"
    return bytes(out)


def build(parts: list[Any]) -> bytes:
    return _build(json.dumps(parts))


def robots_body(case: dict[str, Any]) -> str | bytes:
    if "robots" in case:
        return case["robots"]
    if "robots_octets" in case:
        return case["robots_octets"].encode("latin-1")
    return build(case["robots_parts"])


def url_of(case: dict[str, Any]) -> str:
    if "url" in case:
        return case["url"]
    return build(case["url_parts"]).decode("utf-8")


@functools.cache
def parsed(body: str | bytes) -> RobotsTxt:
    return RobotsTxt.parse(body)


def verdict(allowed: bool) -> str:
    return ALLOWED if allowed else DISALLOWED


def case_params(runner: str) -> list[Any]:
    params = []
    for case in CASES:
        if case.get("via", runner) != runner:
            continue
        params.append(pytest.param(case, id=case["id"]))
    return params


# --------------------------------------------------------------------------- the data itself


def test_data_header_records_sources():
    source = SPEC["source"]
    commit = source["google_robots_test_commit"]
    assert re.fullmatch(r"[0-9a-f]{40}", commit)
    assert source["google_robots_test"].endswith(f"/blob/{commit}/robots_test.cc")
    assert source["rfc9309"] == "https://www.rfc-editor.org/rfc/rfc9309.html"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", source["read_on"])


def test_data_cases_are_well_formed():
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    assert len(CASES) >= 90
    for case in CASES:
        where = case["id"]
        assert sum(key in case for key in _BODY_KEYS) == 1, where
        assert ("url" in case) != ("url_parts" in case), where
        assert case["expected"] in (ALLOWED, DISALLOWED, REFUSED), where
        assert isinstance(case["agent"], str), where
        assert case["source"], where
        if "google" in case:
            assert case["google"] in (ALLOWED, DISALLOWED) and case["google"] != case["expected"], where
            assert case.get("why"), f"{where}: a deviation from Google needs a why"
        if "protego" in case:
            assert case["protego"] != case["expected"], where
        assert case.get("via", "matcher") in ("matcher", "check"), where


def test_data_restates_every_google_test():
    sources = Counter(case["source"] for case in CASES if case["id"].startswith("g-"))
    for name, count in GOOGLE_TESTS.items():
        assert sources[name] >= count, f"{name}: {sources[name]} cases, robots_test.cc has {count}"
    assert set(sources) <= set(GOOGLE_TESTS)


def test_parse_limit_is_rfc_minimum():
    assert SPEC["parse_limit"] == 500 * 1024
    assert SPEC["parse_limit"] == PARSE_LIMIT


def test_generated_bodies_have_the_intended_size():
    by_id = {case["id"]: case for case in CASES}
    over = robots_body(by_id["pg-limit-rule-before-honoured"])
    assert len(over) > PARSE_LIMIT
    assert over[:PARSE_LIMIT].endswith(b"\nDisallow: /strad")
    assert len(robots_body(by_id["pg-limit-exactly-at-limit"])) == PARSE_LIMIT
    assert len(robots_body(by_id["pg-limit-exactly-at-limit-no-newline"])) == PARSE_LIMIT
    assert len(url_of(by_id["g-long-line-disallow-not-cut"])) > 16_664


# --------------------------------------------------------------------------- the two runners


def _assert_parsed(robots: RobotsTxt, want: dict[str, Any]) -> None:
    if "groups" in want:
        assert len(robots.groups) == want["groups"]
    if "agent_lines" in want:
        assert [line.number for g in robots.groups for line in g.agent_lines] == want["agent_lines"]
    if "rule_lines" in want:
        numbers = sorted({rule.line.number for g in robots.groups for rule in g.rules})
        assert numbers == want["rule_lines"]
    if "ignored" in want:
        assert [line.number for line in robots.ignored] == want["ignored"]
    if "sitemaps" in want:
        assert robots.sitemaps == want["sitemaps"]
    if "truncated" in want:
        assert robots.truncated is want["truncated"]


def _own_robots_evidence(decision: Decision) -> list[Evidence]:
    """The crawl-permission evidence robots.txt gave for our own product token."""
    return [e for e in decision.evidence if e.kind is EvidenceKind.CRAWL and e.source == "robots.txt"]


@pytest.mark.parametrize("case", case_params("matcher"))
def test_matcher(case):
    agent = case["agent"]
    if case["expected"] == REFUSED:
        assert not is_product_token(agent)
        with pytest.raises(ValueError, match="product token"):
            Policy(agent)
        return
    body = robots_body(case)
    path = path_of(url_of(case))
    # A text body must give the same answer whether it arrives as str or as UTF-8 octets.
    forms = [body, body.encode("utf-8")] if isinstance(body, str) else [body]
    for form in forms:
        robots = parsed(form)
        rule = robots.group_for(agent).match(path)
        assert verdict(rule is None or rule.allow) == case["expected"]
        if "line" in case:
            assert (rule.line.number if rule else None) == case["line"]
        if "text" in case:
            assert rule is not None
            assert rule.line.text == case["text"]
        if "parsed" in case:
            _assert_parsed(robots, case["parsed"])


@pytest.mark.parametrize("case", case_params("check"))
def test_check(case):
    url = url_of(case)
    user_agent = case.get("user_agent", case["agent"])
    body = robots_body(case)
    if case["expected"] == REFUSED:
        with pytest.raises(ValueError, match="product token"):
            check(url, user_agent=user_agent, robots_txt=body, robots_status=200)
        return
    decision = check(url, user_agent=user_agent, robots_txt=body, robots_status=200)
    assert verdict(not decision.crawl_denied) == case["expected"]
    (evidence,) = _own_robots_evidence(decision)
    if "line" in case:
        if case["line"] is None:
            assert not _LINE_AT_END.search(evidence.location)
        else:
            assert evidence.location.endswith(f"/robots.txt line {case['line']}")
    if "text" in case:
        assert evidence.rule == case["text"]


# --------------------------------------------------------------------------- deciding lines


ROBOTS_WITH_LINES = """\
# shop robots
User-agent: *
Disallow: /cart
Allow: /cart/share

User-agent: ExampleBot
Disallow: /search   # no search pages
Allow: /search/about
Sitemap: https://shop.example/sitemap.xml
"""


# (agent, URL, the deciding rule as (allow, line number, line text, pattern source))
DECIDING_RULES = [
    ("OtherBot", "https://shop.example/cart/1", (False, 3, "Disallow: /cart", "/cart")),
    ("OtherBot", "https://shop.example/cart/share/1", (True, 4, "Allow: /cart/share", "/cart/share")),
    (
        "ExampleBot",
        "https://shop.example/search?q=x",
        (False, 7, "Disallow: /search   # no search pages", "/search"),
    ),
    ("examplebot", "https://shop.example/search/about", (True, 8, "Allow: /search/about", "/search/about")),
]


@pytest.mark.parametrize(("agent", "url", "expected"), DECIDING_RULES)
def test_deciding_rule_is_reported(agent, url, expected):
    allow, number, text, _pattern = expected
    rule = RobotsTxt.parse(ROBOTS_WITH_LINES).group_for(agent).match(path_of(url))
    assert rule is not None
    assert (rule.allow, rule.line.number, rule.line.text, rule.pattern.source) == expected
    decision = check(url, user_agent=agent, robots_txt=ROBOTS_WITH_LINES)
    assert decision.crawl_denied is not allow
    (evidence,) = _own_robots_evidence(decision)
    assert evidence.rule == text
    assert evidence.location == f"https://shop.example/robots.txt line {number}"
    assert evidence.refs["token"] == agent


def test_group_label_names_every_merged_group():
    body = "User-agent: FooBot\nDisallow: /a\n\nUser-agent: BarBot\nUser-agent: foobot\nDisallow: /b\n"
    group = RobotsTxt.parse(body).group_for("FOOBOT")
    assert group.token == "foobot"
    assert group.label == "User-agent: FooBot (line 1); User-agent: BarBot / User-agent: foobot (line 4)"
    decision = check("https://e.example/b", user_agent="FooBot", robots_txt=body)
    (evidence,) = _own_robots_evidence(decision)
    assert evidence.refs["group"] == group.label
    assert evidence.location.endswith("line 6")


def test_fallback_and_missing_groups_are_labelled():
    robots = RobotsTxt.parse("User-agent: *\nDisallow: /x\n")
    assert robots.group_for("FooBot").token == "*"
    assert robots.group_for("FooBot").label == "User-agent: * (line 1)"
    nothing = RobotsTxt.parse("User-agent: BarBot\nDisallow: /\n").group_for("FooBot")
    assert nothing.token is None
    assert nothing.label == "no group applies"
    assert nothing.match("/") is None


def test_index_html_directory_rule_reports_the_allow_line():
    body = "User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n"
    rule = RobotsTxt.parse(body).group_for("foobot").match(path_of("http://foo.com/allowed-slash/"))
    assert rule is not None
    assert rule.allow
    assert rule.line.number == 2
    assert rule.line.text == "Allow: /allowed-slash/index.html"
    assert rule.pattern.source == "/allowed-slash/$"


# --------------------------------------------------------------------------- product tokens


@pytest.mark.parametrize(
    ("value", "valid"),
    [(item["value"], item["valid"]) for item in SPEC["product_tokens"]],
    ids=[repr(item["value"]) for item in SPEC["product_tokens"]],
)
def test_product_token_validity(value, valid):
    assert is_product_token(value) is valid
    if valid:
        assert Policy(value).user_agent == value
    else:
        with pytest.raises(ValueError, match="product token"):
            Policy(value)


# --------------------------------------------------------------------------- Protego 0.7


def _protego_07() -> bool:
    try:
        return metadata.version("protego").startswith("0.7.")
    except metadata.PackageNotFoundError:
        return False


needs_protego_07 = pytest.mark.skipif(not _protego_07(), reason="compares with Protego 0.7 as measured")


@needs_protego_07
def test_protego_splits_group_on_unknown_line_we_do_not():
    from protego import Protego

    body = "User-agent: FooBot\nContent-Signal: ai-train=no\nUser-agent: *\nDisallow: /\n"
    url = "https://www.example.com/page"
    # Protego 0.7 ends FooBot's group at the unknown line, so FooBot is left with no rules.
    assert Protego.parse(body).can_fetch(url, "FooBot") is True
    # RFC 9309 §2.2.4: FooBot and * form one group, and Disallow: / applies to FooBot.
    rule = RobotsTxt.parse(body).group_for("FooBot").match(path_of(url))
    assert rule is not None
    assert not rule.allow
    assert rule.line.number == 4
    assert check(url, user_agent="FooBot", robots_txt=body).crawl_denied


@needs_protego_07
@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case["id"]) for case in CASES if "protego" in case],
)
def test_protego_differs_where_recorded(case):
    from protego import Protego

    robots = Protego.parse(case["robots"])
    assert verdict(robots.can_fetch(url_of(case), case["agent"])) == case["protego"]

"""Statements read from an archived response carry the capture's date; those from the site's
documents (fetched now) do not: how ``policyguard recheck`` tells the two apart in its evidence."""

from __future__ import annotations

from scrapy_policyguard.core.access import RobotsAccess
from scrapy_policyguard.core.bundled import bundled_agents
from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.engine import Policy, SiteDocuments, SitePolicy, parse_license, parse_tdmrep
from scrapy_policyguard.core.purposes import Purpose

URL = "https://a.example/reserved/1"
OWN = "PolicyGuardBot"
WHEN = "2024-03-01T12:00:00Z"
LICENCE = "https://a.example/license.xml"
RSL = (
    '<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license>'
    '<prohibits type="usage">ai-train</prohibits></license></content></rsl>'
)


def site() -> SitePolicy:
    robots = RobotsAccess.from_result(
        "https://a.example/robots.txt", 200, "User-agent: GPTBot\nDisallow: /\n"
    )
    tdmrep, _ = parse_tdmrep('[{"location": "/reserved/", "tdm-reservation": 0}]', "https://a.example/t.json")
    return SitePolicy(
        Policy(OWN, agents=bundled_agents()), SiteDocuments("https://a.example", robots, tdmrep)
    )


def test_only_the_captured_statements_carry_the_capture_date() -> None:
    policy = site()
    facts = policy.policy.read_response(
        URL,
        [
            ("X-Robots-Tag", "noai"),
            ("tdm-reservation", "1"),
            ("Link", f'<{LICENCE}>; rel="license"; type="application/rsl+xml"'),
        ],
        '<html><head><meta name="robots" content="noarchive"></head></html>',
        captured=WHEN,
    )
    assert facts.license_urls == [LICENCE]
    decision = policy.decide_response(
        URL, Purpose.AI_TRAIN, facts.with_licenses(URL, {LICENCE: parse_license(RSL, LICENCE)})
    )
    marks = {(e.source, e.captured) for e in decision.evidence}
    assert marks == {
        ("robots.txt", None),  # robots.txt today
        ("robots-ai-groups", None),
        ("tdmrep", WHEN),  # the capture's header overrides the file (TDMRep: header over file)
        ("rsl", WHEN),  # the licence the captured page named
        ("x-robots-tag", WHEN),
        ("html-meta", WHEN),
    }
    assert decision.outcome is Outcome.DENY
    data = decision.to_dict()["evidence"]
    assert [e.get("captured") for e in data] == [e.captured for e in decision.evidence]
    assert "captured" not in data[0]


def test_a_response_fetched_now_has_no_capture_date() -> None:
    policy = site()
    facts = policy.policy.read_response(URL, [("X-Robots-Tag", "noai")], None)
    decision = policy.decide_response(URL, Purpose.AI_TRAIN, facts)
    assert all(e.captured is None for e in decision.evidence)
    # The file alone decides TDMRep: today's document, no date.
    captured = policy.policy.read_response(URL, [], None, captured=WHEN)
    tdm = next(
        e for e in policy.decide_response(URL, Purpose.AI_TRAIN, captured).evidence if e.source == "tdmrep"
    )
    assert tdm.captured is None

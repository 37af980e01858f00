"""robots.txt extension lines of the group our crawler obeys (core.signals.robots_extensions).

``Content-Signal`` (Cloudflare): a line in the selected group applies; lines before the first group
are a site-wide default used only when the selected group has none (signals-research.md §5.2).
``Content-Usage`` (draft-ietf-aipref-attach-05 §3): group rules with an optional path; the longest
matching path wins; rules with the same path combine most restrictively.
``DisallowAITraining`` / ``AllowAITraining`` (draft-canel-robots-ai-control-00): ai-train path
rules, longest match, ties to Allow. ``License`` (RSL 1.0 §4.4): the selected group's lines, else
the global ones. Our own product token here is ``PolicyGuardBot``.
"""

from __future__ import annotations

import pytest

from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.paths import path_of
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.robots import RobotsTxt
from scrapy_policyguard.core.signals.robots_extensions import (
    AI_TRAINING_SOURCE,
    RobotsExtensions,
    license_urls,
)

Y, N = Outcome.ALLOW, Outcome.DENY
TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH
OWN = "PolicyGuardBot"
ROBOTS_URL = "https://a.example/robots.txt"


def extensions(text: str, token: str = OWN, legacy: bool = False) -> RobotsExtensions:
    robots = RobotsTxt.parse(text)
    return RobotsExtensions(robots, robots.group_for(token), ROBOTS_URL, legacy_usage=legacy)


def by_source(text: str, path: str = "/x", token: str = OWN, legacy: bool = False) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for evidence in extensions(text, token, legacy).evidence(path_of("https://a.example" + path)):
        found.setdefault(evidence.source, []).append(dict(evidence.effects))
    return found


# --------------------------------------------------------------------------- Content-Signal

SIGNALS = [
    pytest.param(
        "User-agent: *\nContent-Signal: search=yes, ai-train=no\nAllow: /",
        [{SEARCH: Y, TRAIN: N}],
        id="in-star-group",
    ),
    pytest.param(
        "User-Agent: *\nContent-signal: search=yes,ai-train=no,use=reference\nAllow: /",
        [{SEARCH: Y, TRAIN: N}],
        id="A7-cloudflare-with-use",
    ),
    pytest.param(
        "content-signal: ai-train=no\nUser-agent: *\nAllow: /", [{TRAIN: N}], id="site-wide-before-groups"
    ),
    pytest.param(
        "Content-Signal: ai-train=yes\nUser-agent: *\nContent-Signal: ai-train=no\n",
        [{TRAIN: N}],
        id="group-beats-site-wide",
    ),
    pytest.param(
        "Content-Signal: search=no\n\nUser-agent: *\nContent-Signal: ai-train=no\nAllow: /\n\n"
        "User-agent: PolicyGuardBot\nAllow: /",
        [{SEARCH: N}],
        id="our-group-has-none-so-site-wide-not-star",
    ),
    pytest.param(
        "User-agent: *\nContent-Signal: ai-train=no\nAllow: /\n\nUser-agent: PolicyGuardBot\nAllow: /",
        [],
        id="star-group-is-not-ours",
    ),
    pytest.param("User-agent: GPTBot\nContent-Signal: ai-train=no\nDisallow: /", [], id="other-bots-group"),
    pytest.param(
        "Content-Signal: ai-input=no\nUser-agent: GPTBot\nDisallow: /", [{INPUT: N}], id="no-group-for-us"
    ),
    pytest.param("CONTENT-SIGNAL: ai-train=no\nUser-agent: *", [{TRAIN: N}], id="upper-case-name"),
    pytest.param("User-agent: *\nContent-Signals: ai-train=no", [{TRAIN: N}], id="misspelt-plural"),
    pytest.param(
        "User-agent: *\n  Content-Signal  :  ai-train=no  # CMS", [{TRAIN: N}], id="spaces-and-comment"
    ),
    pytest.param(
        "User-agent: *\nContent-Signal: ai-train=no\nContent-Signal: search=yes",
        [{TRAIN: N}, {SEARCH: Y}],
        id="two-lines",
    ),
    pytest.param("User-agent: *\nContent-Signal: ai-train=disallow", [{}], id="bad-value-says-nothing"),
]


@pytest.mark.parametrize(("text", "effects"), SIGNALS)
def test_content_signal_scope(text, effects):
    assert by_source(text).get("content-signal", []) == effects


def test_content_signal_evidence_says_which_scope_produced_it():
    group_text = "User-agent: *\nContent-Signal: ai-train=no, use=reference\n"
    (evidence,) = extensions(group_text).evidence("/x")
    assert evidence.detail == "Content-Signal in group User-agent: * (line 1)"
    assert evidence.location == f"{ROBOTS_URL} line 2"
    assert evidence.rule == "Content-Signal: ai-train=no, use=reference"
    assert evidence.refs == {"use": "reference"}
    global_text = "Content-Signal: ai-train=no\nUser-agent: *\nAllow: /\n"
    (evidence,) = extensions(global_text).evidence("/x")
    assert "site-wide line before the first group" in evidence.detail
    assert evidence.location == f"{ROBOTS_URL} line 1"


def test_content_signal_is_not_a_crawl_rule_and_has_no_path():
    text = "User-agent: *\nContent-Signal: ai-train=no\nDisallow: /private/"
    for path in ("/", "/private/x", "/public"):
        assert by_source(text, path)["content-signal"] == [{TRAIN: N}]


# --------------------------------------------------------------------------- Content-Usage

ATTACH_EXAMPLE = """\
User-Agent: *
Allow: /
Disallow: /never/
Content-Usage: train-ai=n
Content-Usage: /ai-ok/ train-ai=y

User-Agent: ExampleBot
Allow: /
Content-Usage: train-ai=y
"""

USAGE = [
    pytest.param(
        "User-agent: *\nAllow: /\nContent-Usage: train-ai=n\nContent-Usage: /ai-ok/ train-ai=y",
        OWN,
        "/x",
        [{TRAIN: N}],
        id="A1-root",
    ),
    pytest.param(
        "User-agent: *\nAllow: /\nContent-Usage: train-ai=n\nContent-Usage: /ai-ok/ train-ai=y",
        OWN,
        "/ai-ok/x",
        [{TRAIN: Y}],
        id="A1-longer-path",
    ),
    pytest.param(ATTACH_EXAMPLE, OWN, "/test", [{TRAIN: N}], id="attach-05-example-test"),
    pytest.param(ATTACH_EXAMPLE, OWN, "/ai-ok/test", [{TRAIN: Y}], id="attach-05-example-ai-ok"),
    pytest.param(ATTACH_EXAMPLE, "ExampleBot", "/test", [{TRAIN: Y}], id="attach-05-examplebot-own-group"),
    pytest.param(
        ATTACH_EXAMPLE, "ExampleBot", "/never/test", [{TRAIN: Y}], id="attach-05-examplebot-everywhere"
    ),
    pytest.param(
        "User-agent: *\nContent-Usage: /blog/ train-ai=y, search=y\nContent-Usage: /blog/ train-ai=n",
        OWN,
        "/blog/x",
        [{TRAIN: N, SEARCH: Y}],
        id="A3-same-path-most-restrictive",
    ),
    pytest.param(
        "User-agent: *\nContent-Usage: /blog/ train-ai=n\nContent-Usage: /blog/ train-ai=y",
        OWN,
        "/blog/x",
        [{TRAIN: N}],
        id="same-path-order-does-not-matter",
    ),
    pytest.param("User-agent: *\nContent-Usage: Train-AI=n", OWN, "/x", [{}], id="A4-upper-case-key-unknown"),
    pytest.param("User-agent: *\nContent-Usage: train-ai=no", OWN, "/x", [{}], id="A4-token-no-unknown"),
    pytest.param("User-agent: *\nContent-Usage: ai=n", OWN, "/x", [{}], id="A5-legacy-label-unknown"),
    pytest.param(
        "User-agent: *\nContent-Usage: /restricted/ ai=n train-ai=n",
        OWN,
        "/restricted/x",
        [{}],
        id="nuxt-space-separated",
    ),
    pytest.param(
        "User-agent: *\nContent-Usage: /a/\ttrain-ai=n", OWN, "/a/x", [{TRAIN: N}], id="tab-after-path"
    ),
    pytest.param("User-agent: *\nContent-Usage: /a/", OWN, "/a/x", [{}], id="path-without-preference"),
    pytest.param("User-agent: *\nContent-Usage: /a/ train-ai=n", OWN, "/b/x", [], id="path-does-not-match"),
    pytest.param(
        "User-agent: *\nContent-Usage: /docs/ train-ai=y\nContent-Usage: /*.pdf$ train-ai=n",
        OWN,
        "/docs/x.pdf",
        [{TRAIN: N}],
        id="longest-pattern-counts-wildcards",
    ),
    pytest.param(
        "User-agent: *\nContent-Usage: train-ai=n # set by the CMS",
        OWN,
        "/x",
        [{TRAIN: N}],
        id="comment-stripped",
    ),
    pytest.param(
        "Content-Usage: train-ai=n\nUser-agent: *\nAllow: /", OWN, "/x", [], id="outside-a-group-ignored"
    ),
    pytest.param("User-agent: GPTBot\nContent-Usage: train-ai=n", OWN, "/x", [], id="other-bots-group"),
    pytest.param(
        "User-agent: *\nAllow: /\nContent-Usage: train-ai=n\n\nUser-agent: PolicyGuardBot\nAllow: /",
        OWN,
        "/x",
        [],
        id="star-group-is-not-ours",
    ),
    pytest.param(
        "User-agent: *\nContent-Usage: train-ai=n;exceptions=cc-cr",
        OWN,
        "/x",
        [{TRAIN: N}],
        id="A16-robots-exceptions",
    ),
]


@pytest.mark.parametrize(("text", "token", "path", "effects"), USAGE)
def test_content_usage_rules(text, token, path, effects):
    assert by_source(text, path, token).get("content-usage", []) == effects


@pytest.mark.parametrize(("legacy", "effects"), [(False, {}), (True, {TRAIN: N})], ids=["off", "on"])
def test_A5_legacy_label_in_robots_txt(legacy, effects):
    (evidence,) = extensions("User-agent: *\nContent-Usage: ai=n", legacy=legacy).evidence("/x")
    assert dict(evidence.effects) == effects
    assert evidence.inferred == frozenset(effects)


def test_same_path_rules_name_every_line_and_keep_conditions():
    text = (
        "User-agent: *\n"
        "Content-Usage: /blog/ train-ai=y, search=y\n"
        "Content-Usage: /blog/ train-ai=n;exceptions=cc-cr\n"
    )
    (evidence,) = extensions(text).evidence("/blog/x")
    assert evidence.rule == (
        "line 2: Content-Usage: /blog/ train-ai=y, search=y; "
        "line 3: Content-Usage: /blog/ train-ai=n;exceptions=cc-cr"
    )
    assert evidence.location == f"{ROBOTS_URL} line 2"
    assert "combined most restrictively" in evidence.detail
    assert evidence.conditions == ("exception offered: cc-cr (CC signals)",)


def test_extension_lines_before_any_rule_do_not_end_the_user_agent_list():
    # RFC 9309 §2.2: a group is its User-agent lines, then its rules; blank lines and other
    # records do not end the list of User-agent lines, so PolicyGuardBot joins the * group here.
    text = "User-agent: *\nContent-Signal: ai-train=no\n\nUser-agent: PolicyGuardBot\nAllow: /"
    assert by_source(text)["content-signal"] == [{TRAIN: N}]


def test_content_usage_is_a_rule_so_the_next_user_agent_starts_a_new_group():
    text = "User-agent: *\nContent-Usage: train-ai=n\n\nUser-agent: GPTBot\nDisallow: /\n"
    robots = RobotsTxt.parse(text)
    assert robots.group_for(OWN).match("/x") is None  # our crawl: no Disallow applies
    assert by_source(text)["content-usage"] == [{TRAIN: N}]
    assert by_source(text, token="GPTBot").get("content-usage", []) == []


def test_content_usage_evidence_for_one_rule():
    text = "User-agent: *\nContent-Usage: /ai-ok/ train-ai=y\n"
    (evidence,) = extensions(text).evidence("/ai-ok/page")
    assert evidence.source == "content-usage"
    assert evidence.rule == "Content-Usage: /ai-ok/ train-ai=y"
    assert evidence.location == f"{ROBOTS_URL} line 2"
    assert evidence.detail == "longest matching Content-Usage rule for /ai-ok/page"


def test_content_usage_that_does_not_parse_says_why():
    (evidence,) = extensions("User-agent: *\nContent-Usage: Train-AI=n\n").evidence("/x")
    assert evidence.effects == {}
    assert "not a valid RFC 9651 dictionary" in evidence.detail


# --------------------------------------------------------------------------- DisallowAITraining

TRAINING = [
    pytest.param("User-Agent: *\nDisallowAITraining: /\nAllow: /", "/x", N, 2, id="disallow-root"),
    pytest.param(
        "User-agent: *\nDisallowAITraining: /\nAllowAITraining: /public/",
        "/public/x",
        Y,
        3,
        id="longer-allow",
    ),
    pytest.param(
        "User-agent: *\nDisallowAITraining: /\nAllowAITraining: /public/", "/x", N, 2, id="shorter-disallow"
    ),
    pytest.param(
        "User-agent: *\nAllowAITraining: /\nDisallowAITraining: /drafts/",
        "/drafts/x",
        N,
        3,
        id="longer-disallow",
    ),
    pytest.param(
        "User-agent: *\nDisallowAITraining: /a\nAllowAITraining: /a", "/a", Y, 3, id="tie-goes-to-allow"
    ),
    pytest.param("User-agent: *\nAllowAITraining: /", "/x", Y, 2, id="allow-only"),
    pytest.param(
        "User-agent: *\ndisallowaitraining: /*.jpg$", "/img/a.jpg", N, 2, id="lower-case-and-wildcard"
    ),
    pytest.param(
        "User-agent: *\ndisallowaitraining: /*.jpg$", "/img/a.png", None, None, id="wildcard-no-match"
    ),
    pytest.param("User-agent: *\nDisallowAITraining:", "/x", None, None, id="empty-value-ignored"),
    pytest.param("User-agent: GPTBot\nDisallowAITraining: /", "/x", None, None, id="other-bots-group"),
]


@pytest.mark.parametrize(("text", "path", "outcome", "line"), TRAINING)
def test_ai_training_rules_longest_match(text, path, outcome, line):
    found = [
        e
        for e in extensions(text).evidence(path_of("https://a.example" + path))
        if e.source == AI_TRAINING_SOURCE
    ]
    if outcome is None:
        assert found == []
        return
    (evidence,) = found
    assert dict(evidence.effects) == {TRAIN: outcome}
    assert evidence.location == f"{ROBOTS_URL} line {line}"


# --------------------------------------------------------------------------- License

LICENSES = [
    pytest.param(
        "License: https://a.example/l.xml\nUser-agent: PolicyGuardBot\nLicense: https://a.example/pg.xml",
        ("https://a.example/pg.xml",),
        id="A8-group-beats-global",
    ),
    pytest.param(
        "License: https://a.example/l.xml\nUser-agent: *\nAllow: /",
        ("https://a.example/l.xml",),
        id="global-when-group-has-none",
    ),
    pytest.param(
        "User-agent: *\nAllow: /\nLicense: https://a.example/l.xml",
        ("https://a.example/l.xml",),
        id="in-star-group",
    ),
    pytest.param(
        "License: https://a.example/l.xml\nUser-agent: GPTBot\nLicense: https://a.example/gpt.xml",
        ("https://a.example/l.xml",),
        id="other-bots-group-licence-not-ours",
    ),
    pytest.param(
        "License: https://a.example/a.xml\nLicense: https://a.example/b.xml\nLicense: https://a.example/a.xml",
        ("https://a.example/a.xml", "https://a.example/b.xml"),
        id="repeated-and-deduplicated",
    ),
    pytest.param(
        "User-agent: PolicyGuardBot\nLicense: https://a.example/1.xml\nAllow: /\n\n"
        "User-agent: policyguardbot\nLicense: https://a.example/2.xml",
        ("https://a.example/1.xml", "https://a.example/2.xml"),
        id="merged-groups",
    ),
    pytest.param("License:\nUser-agent: *", (), id="empty-value"),
]


@pytest.mark.parametrize(("text", "licenses"), LICENSES)
def test_license_lines(text, licenses):
    robots = RobotsTxt.parse(text)
    assert license_urls(robots, robots.group_for(OWN)) == licenses

"""robots.txt groups for AI crawlers read as AI-use reservations (core.signals.robots_groups).

A Disallow for an AI token of the agent catalogue (rules/agents.yaml) that matches the path denies
the purposes the catalogue gives that token, inferred: training crawlers and control tokens
(GPTBot, CCBot, Google-Extended) speak for ai-train, AI search and user-triggered fetchers for
ai-input (signals-research.md §1.3-1.5). Never through ``*`` and never through our own token's
group (those govern our crawl permission). Tokens match whole and case-insensitively (RFC 9309
§2.2.1). Our own product token here is ``PolicyGuardBot``.
"""

from __future__ import annotations

import pytest
from protego import Protego

from scrapy_policyguard.core.agents import Agent, AgentCatalogue
from scrapy_policyguard.core.bundled import bundled_agents
from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.paths import path_of
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.robots import RobotsTxt
from scrapy_policyguard.core.signals.content_signal import parse_content_signal
from scrapy_policyguard.core.signals.robots_groups import SOURCE, AiGroups

N = Outcome.DENY
TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH
OWN = "PolicyGuardBot"
ROBOTS_URL = "https://a.example/robots.txt"


def ai_groups(text: str, own: str = OWN, catalogue: AgentCatalogue | None = None) -> AiGroups:
    return AiGroups(RobotsTxt.parse(text), catalogue or bundled_agents(), own, ROBOTS_URL)


def denied(text: str, path: str = "/x", **kwargs) -> tuple[dict, list[str]]:
    """The purposes the AI groups deny for ``path``, and the tokens named, sorted."""
    found = ai_groups(text, **kwargs).evidence(path_of("https://a.example" + path))
    effects: dict = {}
    tokens: list[str] = []
    for evidence in found:
        assert evidence.source == SOURCE
        assert set(evidence.effects.values()) == {N}
        assert evidence.inferred == frozenset(evidence.effects)
        effects.update(evidence.effects)
        tokens.extend(evidence.refs["tokens"].split(", "))
    return effects, sorted(tokens)


# (robots.txt, path, denied purposes, tokens)
CASES = [
    pytest.param("User-agent: GPTBot\nDisallow: /", "/x", {TRAIN: N}, ["GPTBot"], id="gptbot"),
    pytest.param("User-agent: CCBot\nDisallow: /", "/x", {TRAIN: N}, ["CCBot"], id="ccbot"),
    pytest.param(
        "User-agent: Google-Extended\nDisallow: /",
        "/x",
        {TRAIN: N, INPUT: N},
        ["Google-Extended"],
        id="A9-google-extended",
    ),
    pytest.param(
        "User-agent: OAI-SearchBot\nDisallow: /", "/x", {INPUT: N}, ["OAI-SearchBot"], id="ai-search-bot"
    ),
    pytest.param(
        "User-agent: ChatGPT-User\nDisallow: /", "/x", {INPUT: N}, ["ChatGPT-User"], id="user-triggered"
    ),
    pytest.param(
        "User-agent: *\nAllow: /\n\nUser-agent: GPTBot\nDisallow: /",
        "/x",
        {TRAIN: N},
        ["GPTBot"],
        id="star-allows-gptbot-not",
    ),
    pytest.param(
        "User-agent: PolicyGuardBot\nAllow: /\n\n"
        "User-agent: GPTBot\nUser-agent: CCBot\nUser-agent: Google-Extended\nDisallow: /",
        "/x",
        {TRAIN: N, INPUT: N},
        ["CCBot", "GPTBot", "Google-Extended"],
        id="our-token-may-crawl-but-ai-groups-deny",
    ),
    pytest.param("User-agent: *\nDisallow: /", "/x", {}, [], id="star-never-counts"),
    pytest.param(
        "User-agent: GPTBot\nDisallow: /private/", "/private/a", {TRAIN: N}, ["GPTBot"], id="path-inside"
    ),
    pytest.param("User-agent: GPTBot\nDisallow: /private/", "/public/a", {}, [], id="path-outside"),
    pytest.param("User-agent: GPTBot\nDisallow: /\nAllow: /open/", "/open/a", {}, [], id="longer-allow-wins"),
    pytest.param(
        "User-agent: GPTBot\nDisallow: /\nAllow: /open/",
        "/closed",
        {TRAIN: N},
        ["GPTBot"],
        id="shorter-disallow",
    ),
    pytest.param("User-agent: GPTBot\nDisallow: /a\nAllow: /a", "/a", {}, [], id="equal-length-allow-wins"),
    pytest.param("User-agent: GPTBot\nDisallow: /*.pdf$", "/doc.pdf", {TRAIN: N}, ["GPTBot"], id="wildcard"),
    pytest.param("User-agent: GPTBot\nDisallow:", "/x", {}, [], id="empty-disallow"),
    pytest.param("User-agent: GPTBot\nAllow: /", "/x", {}, [], id="allow-only"),
    pytest.param("user-agent: gptbot\ndisallow: /", "/x", {TRAIN: N}, ["GPTBot"], id="lower-case"),
    pytest.param("USER-AGENT: GPTBOT\nDISALLOW: /", "/x", {TRAIN: N}, ["GPTBot"], id="upper-case"),
    pytest.param(
        "User-agent: GPTBot/1.1\nDisallow: /", "/x", {TRAIN: N}, ["GPTBot"], id="version-cut-at-slash"
    ),
    pytest.param("User-agent: GPTBotX\nDisallow: /", "/x", {}, [], id="longer-name-is-not-gptbot"),
    pytest.param("User-agent: NotGPTBot\nDisallow: /", "/x", {}, [], id="suffix-is-not-gptbot"),
    pytest.param("User-agent: GPT\nDisallow: /", "/x", {}, [], id="prefix-is-not-gptbot"),
    pytest.param("User-agent: Google\nDisallow: /", "/x", {}, [], id="google-is-not-google-extended"),
    pytest.param(
        "User-agent: GPTBot\nDisallow: /a/\n\nUser-agent: gptbot\nDisallow: /b/",
        "/b/x",
        {TRAIN: N},
        ["GPTBot"],
        id="groups-merge",
    ),
    pytest.param(
        "User-agent: GPTBot\nCrawl-delay: 5\nFoo: bar\nUser-agent: CCBot\nDisallow: /",
        "/x",
        {TRAIN: N},
        ["CCBot", "GPTBot"],
        id="unknown-records-do-not-split",
    ),
    pytest.param(
        "User-agent: GPTBot\nContent-Signal: ai-train=no\nUser-agent: CCBot\nDisallow: /",
        "/x",
        {TRAIN: N},
        ["CCBot", "GPTBot"],
        id="A6-extension-line-does-not-split",
    ),
    pytest.param(
        "Disallow: /\nUser-agent: GPTBot\nAllow: /", "/x", {}, [], id="rule-before-any-group-ignored"
    ),
]


@pytest.mark.parametrize(("text", "path", "effects", "tokens"), CASES)
def test_ai_groups(text, path, effects, tokens):
    assert denied(text, path) == (effects, tokens)


def test_A9_google_extended_does_not_stop_our_crawl():
    robots = RobotsTxt.parse("User-agent: Google-Extended\nDisallow: /")
    group = robots.group_for(OWN)
    assert group.match("/x") is None  # no group applies: we may crawl


# --------------------------------------------------------------------------- our own token


def test_our_own_group_never_counts_even_when_our_token_is_an_ai_token():
    catalogue = bundled_agents().with_changes({OWN: "training"})
    assert catalogue.get(OWN) is not None
    text = "User-agent: PolicyGuardBot\nDisallow: /private/"
    assert denied(text, "/private/x", catalogue=catalogue) == ({}, [])


def test_crawling_as_gptbot_our_group_is_not_an_ai_reservation():
    text = "User-agent: GPTBot\nDisallow: /\n\nUser-agent: CCBot\nDisallow: /"
    assert denied(text, own="GPTBot") == ({TRAIN: N}, ["CCBot"])


def test_a_group_shared_with_our_token_still_counts_for_the_other_token():
    text = "User-agent: PolicyGuardBot\nUser-agent: GPTBot\nDisallow: /"
    assert denied(text) == ({TRAIN: N}, ["GPTBot"])


# --------------------------------------------------------------------------- the catalogue decides


def test_removing_a_token_from_the_catalogue_removes_its_reading():
    catalogue = bundled_agents().with_changes({"GPTBot": None})
    assert denied("User-agent: GPTBot\nDisallow: /", catalogue=catalogue) == ({}, [])


def test_adding_a_token_to_the_catalogue():
    catalogue = bundled_agents().with_changes({"ExampleSearchBot": "search"})
    assert denied("User-agent: ExampleSearchBot\nDisallow: /", catalogue=catalogue) == (
        {INPUT: N},
        ["ExampleSearchBot"],
    )


def test_a_token_whose_signals_are_empty_is_not_read():
    quiet = Agent("QuietBot", "quietbot", "v", "training", frozenset(), "test")
    loud = Agent("LoudBot", "loudbot", "v", "training", frozenset({TRAIN}), "test")
    catalogue = AgentCatalogue([quiet, loud])
    text = "User-agent: QuietBot\nDisallow: /\n\nUser-agent: LoudBot\nDisallow: /"
    assert denied(text, catalogue=catalogue) == ({TRAIN: N}, ["LoudBot"])


# --------------------------------------------------------------------------- evidence


def test_evidence_names_token_group_and_line():
    text = "# AI crawlers\nUser-agent: *\nAllow: /\n\nUser-agent: GPTBot\nDisallow: /articles/\n"
    (evidence,) = ai_groups(text).evidence("/articles/1")
    assert evidence.rule == "Disallow: /articles/"
    assert evidence.location == f"{ROBOTS_URL} line 6"
    assert evidence.refs == {
        "tokens": "GPTBot",
        "lines": "GPTBot: line 6",
        "group": "User-agent: GPTBot (line 5)",
    }
    assert "GPTBot" in evidence.detail
    assert "training (OpenAI)" in evidence.detail


def test_identical_groups_give_one_statement_naming_every_token_and_line():
    text = "User-agent: GPTBot\nDisallow: /\n\nUser-agent: OAI-SearchBot\nDisallow: /\n"
    (evidence,) = ai_groups(text).evidence("/x")
    assert evidence.refs["tokens"] == "GPTBot, OAI-SearchBot"
    assert evidence.refs["lines"] == "GPTBot: line 2; OAI-SearchBot: line 5"
    assert dict(evidence.effects) == {TRAIN: N, INPUT: N}


def test_different_rules_give_separate_statements():
    text = "User-agent: GPTBot\nDisallow: /a/\n\nUser-agent: CCBot\nDisallow: /\n"
    found = ai_groups(text).evidence("/a/x")
    assert sorted(e.refs["tokens"] for e in found) == ["CCBot", "GPTBot"]
    assert ai_groups(text).evidence("/b")[0].refs["tokens"] == "CCBot"


# --------------------------------------------------------------------------- A6: Protego splits the group

A6 = "User-agent: GPTBot\nContent-Signal: ai-train=no\nUser-agent: CCBot\nDisallow: /\n"
A6_WITHOUT_SIGNAL = "User-agent: GPTBot\nUser-agent: CCBot\nDisallow: /\n"


def test_A6_protego_splits_the_group_at_the_unknown_line():
    protego = Protego.parse(A6)
    assert protego.can_fetch("https://a.example/x", "GPTBot") is True
    assert protego.can_fetch("https://a.example/x", "CCBot") is False
    # Without the extension line Protego disallows both: the line is what splits the group.
    plain = Protego.parse(A6_WITHOUT_SIGNAL)
    assert plain.can_fetch("https://a.example/x", "GPTBot") is False


def test_A6_we_keep_one_group_and_the_line_belongs_to_it():
    robots = RobotsTxt.parse(A6)
    assert len(robots.groups) == 1
    for token in ("GPTBot", "CCBot"):
        group = robots.group_for(token)
        rule = group.match("/x")
        assert rule is not None
        assert not rule.allow
        (line,) = group.extension("content-signal")
        assert line.line.number == 2
        assert parse_content_signal(line.value).effects == {TRAIN: N}


def test_evidence_names_each_product_token_the_file_names_once():
    text = "User-agent: AI2Bot\nDisallow: /\n\nUser-agent: Ai2Bot-Dolma\nDisallow: /\n"
    (evidence,) = ai_groups(text).evidence("/x")
    assert evidence.refs["tokens"] == "AI2Bot, Ai2Bot-Dolma"
    assert evidence.refs["lines"] == "AI2Bot: line 2; Ai2Bot-Dolma: line 5"


# --------------------------------------------------------------------------- the catalogue's lookup


@pytest.mark.parametrize(
    ("name", "token"),
    [
        ("GPTBot", "GPTBot"),
        ("gptbot", "GPTBot"),
        ("CCBot/2.0", "CCBot"),
        ("GPTBotX", None),
        ("Google", None),
        ("Mozilla/5.0 (compatible; GPTBot/1.1)", None),
    ],
)
def test_catalogue_lookup_is_by_whole_product_token(name, token):
    agent = bundled_agents().get(name)
    assert (agent.token if agent else None) == token


@pytest.mark.parametrize("token", ["*", "", "/"])
def test_catalogue_changes_refuse_what_is_no_product_token(token):
    with pytest.raises(ValueError, match="product token"):
        bundled_agents().with_changes({token: "training"})

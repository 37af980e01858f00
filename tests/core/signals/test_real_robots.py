"""Real robots.txt files (data/robots/*.txt) through check(): what a crawl may do on each site.

Each file's first line gives where it was read and when. Platform-terms packs are switched off
(rules=[]): these tests are about what robots.txt says. The crawler is ``PolicyGuardBot`` unless a
case says otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.engine import check
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.robots import RobotsTxt

ROBOTS = Path(__file__).parent / "data" / "robots"
FILES = sorted(ROBOTS.glob("*.txt"))
A, D, U = Outcome.ALLOW, Outcome.DENY, Outcome.UNKNOWN
TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH
SCRAPY_UA = "Scrapy/2.19 (+https://scrapy.org)"


def body(name: str) -> str:
    return (ROBOTS / name).read_text(encoding="utf-8")


def line_of(name: str, text: str) -> int:
    """1-based number of the first line of the file that is exactly ``text``."""
    return body(name).splitlines().index(text) + 1


def decide(name: str, url: str, user_agent: str = "PolicyGuardBot", **kwargs):
    return check(url, user_agent=user_agent, robots_txt=body(name), rules=[], **kwargs)


def tokens_named(decision) -> set[str]:
    return {
        t for e in decision.evidence if e.source == "robots-ai-groups" for t in e.refs["tokens"].split(", ")
    }


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_file_names_its_source_and_read_date_on_its_first_line(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert re.fullmatch(r"# Source: https://\S+ .*\bread \d{4}-\d{2}-\d{2}\)", first), first
    assert path.stat().st_size < 8 * 1024
    # Every record of these files is one the parser knows (no line is ignored as unknown).
    assert RobotsTxt.parse(path.read_bytes()).ignored == []


# (file, url, user agent, crawl denied, ai-train, ai-input, search)
CASES = [
    # A news site that keeps search crawlers in and AI crawlers out.
    ("nytimes.txt", "https://www.nytimes.com/2026/11/24/world/europe/story.html", None, False, D, D, A),
    ("nytimes.txt", "https://www.nytimes.com/svc/wordle/v2/2026-11-25.json", None, False, D, D, A),
    ("nytimes.txt", "https://www.nytimes.com/search?query=ai", None, True, D, D, D),
    ("nytimes.txt", "https://www.nytimes.com/reports/annual.pdf", None, True, D, D, D),
    ("nytimes.txt", "https://www.nytimes.com/2026/11/24/story.html?smid=share", None, True, D, D, D),
    # The Guardian also disallows bingbot, PetalBot and YouBot, which the catalogue reads as search.
    # Search is allowed: blocking bingbot, PetalBot or YouBot is not a search opt-out for others.
    ("theguardian.txt", "https://www.theguardian.com/world/2026/nov/24/story", None, False, D, D, A),
    ("theguardian.txt", "https://www.theguardian.com/world/2026/nov/24/story", SCRAPY_UA, True, D, D, D),
    ("theguardian.txt", "https://www.theguardian.com/search?q=x", None, True, D, D, D),
    ("bbc.txt", "https://www.bbc.com/news/articles/c0x4y", None, False, D, D, A),
    ("bbc.txt", "https://www.bbc.com/search?q=x", None, True, D, D, D),
    ("bbc.txt", "https://www.bbc.com/newsround/123", None, True, D, D, D),
    ("reddit.txt", "https://www.reddit.com/r/python/", None, True, D, D, D),
    ("medium.txt", "https://medium.com/@someone/a-post-1234", None, False, U, U, A),
    ("medium.txt", "https://medium.com/me/settings", None, True, D, D, D),
    ("crawlstop.txt", "https://www.crawlstop.com/blog/post", None, False, D, D, A),
    ("crawlstop.txt", "https://www.crawlstop.com/lp/offer", None, True, D, D, D),
    ("massvacation.txt", "https://massvacation.com/2026/summer-trip", None, False, D, U, A),
    ("massvacation.txt", "https://massvacation.com/wp-admin/options.php", None, True, D, D, D),
    ("massvacation.txt", "https://massvacation.com/wp-admin/admin-ajax.php", None, False, D, U, A),
    ("ipapp.txt", "https://ip.app/", None, False, D, D, A),
    ("ipapp.txt", "https://ip.app/", SCRAPY_UA, True, D, D, D),
    ("neobanks.txt", "https://neobanks.guide/compare/revolut", None, False, U, U, A),
]


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c[0][:-4]}:{c[1].split('/', 3)[3]}{':scrapy' if c[2] else ''}" for c in CASES]
)
def test_real_robots_txt(case):
    name, url, ua, crawl_denied, train, ai_input, search = case
    decision = decide(name, url, ua or "PolicyGuardBot")
    assert decision.crawl_denied is crawl_denied
    assert decision.outcomes == {TRAIN: train, INPUT: ai_input, SEARCH: search}


# --------------------------------------------------------------------------- why, per site


def test_nytimes_article_training_denied_by_named_ai_crawlers_only():
    decision = decide("nytimes.txt", "https://www.nytimes.com/2026/11/24/world/europe/story.html")
    assert decision.denied_by == ("robots-ai-groups",)
    assert {"GPTBot", "CCBot", "Google-Extended", "ClaudeBot", "anthropic-ai"} <= tokens_named(decision)
    # Bots that are not in the AI catalogue do not count.
    assert not {"magpie-crawler", "DataForSeoBot", "AwarioRssBot"} & tokens_named(decision)
    (ai,) = [e for e in decision.evidence if e.source == "robots-ai-groups"]
    assert ai.inferred == frozenset({TRAIN, INPUT})


def test_nytimes_wordle_allow_is_the_longest_match():
    decision = decide("nytimes.txt", "https://www.nytimes.com/svc/wordle/v2/2026-11-25.json")
    crawl = decision.evidence[0]
    assert crawl.rule == "Allow: /svc/wordle"
    assert (
        crawl.location
        == f"https://www.nytimes.com/robots.txt line {line_of('nytimes.txt', 'Allow: /svc/wordle')}"
    )


def test_guardian_lower_case_claudebot_and_search_reading():
    decision = decide("theguardian.txt", "https://www.theguardian.com/world/2026/nov/24/story")
    named = tokens_named(decision)
    assert "ClaudeBot" in named  # written "claudebot" in the file
    assert {"PetalBot", "YouBot"} <= named  # read for ai-input (AI answers)
    assert "bingbot" not in named  # a Disallow for Bing says nothing about AI use
    # No token's Disallow speaks for search: our own group allows it.
    assert decision.for_purpose(SEARCH).outcome is A


def test_guardian_as_default_scrapy_our_group_is_a_crawl_denial_not_an_ai_group():
    decision = decide("theguardian.txt", "https://www.theguardian.com/world/2026/nov/24/story", SCRAPY_UA)
    crawl = decision.evidence[0]
    assert crawl.rule == "Disallow: /"
    assert (
        crawl.refs["group"] == f"User-agent: Scrapy (line {line_of('theguardian.txt', 'User-agent: Scrapy')})"
    )
    assert "Scrapy" not in tokens_named(decision)


def test_bbc_sitemap_lines_inside_the_star_group_do_not_split_it():
    decision = decide("bbc.txt", "https://www.bbc.com/search?q=x")
    assert decision.evidence[0].rule == "Disallow: /search?"
    assert tokens_named(decide("bbc.txt", "https://www.bbc.com/news/x")) == {
        "CCBot",
        "GPTBot",
        "ChatGPT-User",
    }


def test_reddit_star_disallow_is_a_crawl_denial_and_not_an_ai_reservation():
    decision = decide("reddit.txt", "https://www.reddit.com/r/python/")
    assert [e.source for e in decision.evidence] == ["robots.txt"]
    assert decision.denied_by == ("robots.txt",)


def test_medium_without_ai_groups_leaves_training_to_the_default():
    allow = decide("medium.txt", "https://medium.com/@someone/a-post-1234")
    deny = decide("medium.txt", "https://medium.com/@someone/a-post-1234", unknown="deny")
    assert allow.allowed is True
    assert deny.allowed is False
    assert deny.outcome is U


def test_crawlstop_content_signal_is_in_the_merged_star_group():
    decision = decide("crawlstop.txt", "https://www.crawlstop.com/blog/post")
    (signal,) = [e for e in decision.evidence if e.source == "content-signal"]
    assert signal.rule == "Content-signal: search=yes, ai-train=no"
    number = line_of("crawlstop.txt", "Content-signal: search=yes, ai-train=no")
    assert signal.location == f"https://www.crawlstop.com/robots.txt line {number}"
    assert signal.inferred == frozenset()  # the policy's own words
    assert dict(signal.effects) == {SEARCH: A, TRAIN: D}
    # Both User-agent: * groups apply: the managed Allow: / and the site's Disallow: /lp.
    lp = decide("crawlstop.txt", "https://www.crawlstop.com/lp/offer")
    assert lp.evidence[0].rule == "Disallow: /lp"


def test_massvacation_full_user_agent_strings_name_no_ai_crawler():
    decision = decide("massvacation.txt", "https://massvacation.com/2026/summer-trip")
    # Only the plain "claudebot" group counts; Amazonbot and Bytespider appear only inside
    # "Mozilla/5.0 (...)" values, which name the product token "Mozilla".
    assert tokens_named(decision) == {"ClaudeBot"}
    robots = RobotsTxt.parse(body("massvacation.txt"))
    assert "mozilla" in robots.tokens
    assert "bytespider" not in robots.tokens


def test_ipapp_disallow_ai_training_and_legacy_content_usage():
    decision = decide("ipapp.txt", "https://ip.app/")
    sources = {e.source: e for e in decision.evidence}
    assert dict(sources["ai-training-rules"].effects) == {TRAIN: D}
    assert sources["ai-training-rules"].inferred == frozenset()
    assert sources["content-usage"].effects == {}  # "ai=n" is a legacy label: unknown by default
    legacy = decide("ipapp.txt", "https://ip.app/", legacy_content_usage=True)
    usage = next(e for e in legacy.evidence if e.source == "content-usage")
    assert dict(usage.effects) == {TRAIN: D}
    assert usage.inferred == frozenset({TRAIN})


def test_ipapp_kangaroo_bot_and_non_ascii_hyphen():
    named = tokens_named(decide("ipapp.txt", "https://ip.app/"))
    assert "Kangaroo Bot" in named  # "Kangaroo Bot" names the product token "Kangaroo"
    # "Perplexity\u2011User" (non-ASCII hyphen) names "Perplexity", which is no catalogue token.
    assert "Perplexity-User" not in named


def test_neobanks_trailing_content_signal_belongs_to_the_last_group():
    # The site means the line for everyone, but it follows "User-agent: Baiduspider / Allow: /",
    # so under RFC 9309 grouping it is part of that group (our documented reading).
    ours = decide("neobanks.txt", "https://neobanks.guide/compare/revolut")
    assert [e.source for e in ours.evidence] == ["robots.txt"]
    baidu = decide("neobanks.txt", "https://neobanks.guide/compare/revolut", "Baiduspider")
    (signal,) = [e for e in baidu.evidence if e.source == "content-signal"]
    assert dict(signal.effects) == {SEARCH: A, INPUT: A, TRAIN: D}

"""Unit tests for parser details of scrapy_policyguard.core.robots that the conformance data does not
cover: extension lines, sitemaps, product tokens, the parse limit and what the parser reports."""

from __future__ import annotations

import pytest

from scrapy_policyguard.core.robots import (
    PARSE_LIMIT,
    ExtensionLine,
    RobotsTxt,
    SourceLine,
    crawler_token,
    is_product_token,
    product_token,
)

# --------------------------------------------------------------------------- extension lines

EXTENSIONS = """\
License: https://example.com/license.xml
Content-Usage: train-ai=n
User-agent: ExampleBot
Content-Signal: ai-train=no, search=yes   # set by the CMS
User-agent: OtherBot
Disallow: /private
DisallowAITraining: /drafts/
Crawl-delay: 5

User-agent: *
Content-Usage: /articles/ train-ai=y
Disallow: /tmp
Content-Signals: ai-input=no
User-agent: ExampleBot
Content-Usage: train-ai=n
"""


def _ext(robots_lines: list[ExtensionLine]) -> list[tuple[str, str, int]]:
    return [(ext.name, ext.value, ext.line.number) for ext in robots_lines]


def test_extension_lines_before_the_first_group_are_global():
    robots = RobotsTxt.parse(EXTENSIONS)
    assert _ext(robots.global_extensions) == [
        ("license", "https://example.com/license.xml", 1),
        ("content-usage", "train-ai=n", 2),
    ]
    assert robots.global_extensions[0].line.text == "License: https://example.com/license.xml"


def test_extension_lines_stay_with_their_group():
    robots = RobotsTxt.parse(EXTENSIONS)
    assert len(robots.groups) == 3
    first, star, last = robots.groups
    # Between two User-agent lines: part of the group, which it does not split.
    assert first.tokens == {"examplebot", "otherbot"}
    assert _ext(first.extensions) == [
        ("content-signal", "ai-train=no, search=yes", 4),
        ("disallowaitraining", "/drafts/", 7),
        ("crawl-delay", "5", 8),
    ]
    assert first.extensions[0].line.text == "Content-Signal: ai-train=no, search=yes   # set by the CMS"
    assert _ext(star.extensions) == [
        ("content-usage", "/articles/ train-ai=y", 11),
        ("content-signal", "ai-input=no", 13),  # the plural spelling is the same record
    ]
    assert _ext(last.extensions) == [("content-usage", "train-ai=n", 15)]
    # Extension lines are neither rules nor ignored lines.
    assert [rule.line.number for rule in first.rules] == [6]
    assert robots.ignored == []


def test_merged_group_extensions_in_file_order():
    group = RobotsTxt.parse(EXTENSIONS).group_for("examplebot")
    assert group.token == "examplebot"
    assert _ext(group.extensions) == [
        ("content-signal", "ai-train=no, search=yes", 4),
        ("disallowaitraining", "/drafts/", 7),
        ("crawl-delay", "5", 8),
        ("content-usage", "train-ai=n", 15),
    ]
    assert _ext(group.extension("content-usage")) == [("content-usage", "train-ai=n", 15)]
    assert group.extension("license") == ()
    # DisallowAITraining is kept as an extension and never acts as a Disallow rule.
    assert group.match("/drafts/one") is None
    assert group.match("/private/one") is not None


def test_extension_for_fallback_group():
    group = RobotsTxt.parse(EXTENSIONS).group_for("NoSuchBot")
    assert group.token == "*"
    assert _ext(group.extension("content-signal")) == [("content-signal", "ai-input=no", 13)]


def test_extension_names_are_case_insensitive():
    robots = RobotsTxt.parse("user-agent: *\nCONTENT-SIGNAL: search=yes\nlicense: https://e.example/l\n")
    assert _ext(robots.groups[0].extensions) == [
        ("content-signal", "search=yes", 2),
        ("license", "https://e.example/l", 3),
    ]


def test_unknown_records_are_ignored_with_their_line():
    robots = RobotsTxt.parse("User-agent: *\nNoindex: /x\nDisallow / x\nDisallow: /y\n")
    assert robots.ignored == [SourceLine(2, "Noindex: /x"), SourceLine(3, "Disallow / x")]
    assert not robots.groups[0].extensions
    assert [rule.pattern.source for rule in robots.groups[0].rules] == ["/y"]


def test_rules_outside_groups_are_ignored_with_their_line():
    robots = RobotsTxt.parse("Disallow: /\nAllow: /a\nUser-agent: *\nDisallow: /b\n")
    assert [line.number for line in robots.ignored] == [1, 2]
    assert robots.group_for("x").match("/a") is None


# --------------------------------------------------------------------------- sitemaps


def test_sitemaps_anywhere_in_file_order():
    body = (
        "Sitemap: https://e.example/first.xml\n"
        "User-agent: FooBot\n"
        "sitemap: https://e.example/between-agents.xml\n"
        "User-agent: BarBot\n"
        "Disallow: /x\n"
        "SITEMAP:https://e.example/Among-Rules.xml\n"
        "Disallow: /y\n"
        "Site-map: https://e.example/alias.xml\n"
        "Sitemap:\n"
        "Sitemap: https://e.example/last.xml # trailing comment\n"
    )
    robots = RobotsTxt.parse(body)
    assert robots.sitemaps == [
        "https://e.example/first.xml",
        "https://e.example/between-agents.xml",
        "https://e.example/Among-Rules.xml",
        "https://e.example/alias.xml",
        "https://e.example/last.xml",
    ]
    # None of them split the group or ended the rules.
    assert len(robots.groups) == 1
    assert robots.group_for("FooBot").match("/y").line.number == 7
    assert robots.ignored == []


# --------------------------------------------------------------------------- grouping details


def test_empty_rule_still_ends_the_agent_list():
    robots = RobotsTxt.parse("User-agent: a\nDisallow:\nUser-agent: b\nDisallow: /\n")
    assert len(robots.groups) == 2
    assert robots.group_for("a").match("/x") is None
    assert robots.group_for("b").match("/x") is not None


def test_tokens_and_named_groups():
    robots = RobotsTxt.parse("User-agent: FooBot/1.0\nUser-agent: *\nDisallow: /\nUser-agent: Bar Baz\n")
    assert robots.tokens == frozenset({"foobot", "*", "bar"})
    assert robots.named_group("FOOBOT") is not None
    assert robots.named_group("QuxBot") is None
    assert robots.group_for("QuxBot").token == "*"
    assert robots.group_for("QuxBot") is robots.group_for("quxbot")


def test_group_named_with_digits_is_found_by_its_whole_name():
    robots = RobotsTxt.parse("User-agent: AI2Bot\nDisallow: /\n")
    assert robots.tokens == frozenset({"ai2bot"})
    assert robots.named_group("AI2Bot") is not None
    assert robots.named_group("AI") is None
    assert robots.group_for("ai2bot").match("/x") is not None


def test_group_label_lists_agent_lines():
    robots = RobotsTxt.parse("\n\nUser-agent: FooBot\nuser-agent: BarBot # two bots\nDisallow: /\n")
    assert robots.groups[0].label == "User-agent: FooBot / user-agent: BarBot # two bots (line 3)"


def test_index_html_allow_adds_the_directory_rule():
    robots = RobotsTxt.parse("User-agent: *\nAllow: /d/index.html\n")
    sources = sorted(rule.pattern.source for rule in robots.groups[0].rules)
    assert sources == ["/d/$", "/d/index.html"]
    assert {rule.line.number for rule in robots.groups[0].rules} == {2}


def test_long_rule_text_is_capped_in_evidence_but_matched_whole():
    value = "/x/" + "a" * 1000
    robots = RobotsTxt.parse(f"User-agent: *\nDisallow: {value}\n")
    rule = robots.group_for("x").match(value + "/more")
    assert rule is not None
    assert rule.pattern.source == value
    assert len(rule.line.text) == 301
    assert rule.line.text.endswith("…")
    assert robots.group_for("x").match("/x/" + "a" * 999) is None


# --------------------------------------------------------------------------- Crawl-delay, Request-rate


@pytest.mark.parametrize(
    ("lines", "seconds", "line"),
    [
        pytest.param(["Crawl-delay: 10"], 10.0, 2, id="crawl-delay"),
        pytest.param(["Crawl-delay: 0.5"], 0.5, 2, id="fraction"),
        pytest.param(["Crawl-delay: .25"], 0.25, 2, id="leading-dot"),
        pytest.param(["crawl delay: 3 # seconds"], 3.0, 2, id="spelling-and-comment"),
        pytest.param(["CRAWL-DELAY 4"], 4.0, 2, id="no-colon"),
        pytest.param(["Crawl-delay: 0"], 0.0, 2, id="zero"),
        pytest.param(["Request-rate: 1/5"], 5.0, 2, id="rate-seconds-by-default"),
        pytest.param(["Request-rate: 1/5s"], 5.0, 2, id="rate-seconds"),
        pytest.param(["Request-rate: 10/1m"], 6.0, 2, id="rate-minutes"),
        pytest.param(["Request-rate: 3 / 1H"], 1200.0, 2, id="rate-hours-spaced"),
        pytest.param(["Request-rate: 1/1d"], 86400.0, 2, id="rate-days"),
        pytest.param(["Request-rate: 1/10s 0900-1730"], 10.0, 2, id="rate-window-not-read"),
        pytest.param(["Request rate: 2/1"], 0.5, 2, id="rate-spelling"),
        pytest.param(["Crawl-delay: 2", "Request-rate: 1/5s"], 5.0, 3, id="rate-stricter"),
        pytest.param(["Request-rate: 1/5s", "Crawl-delay: 8"], 8.0, 3, id="delay-stricter"),
        pytest.param(["Crawl-delay: 5", "Crawl-delay: 5"], 5.0, 2, id="tie-first-line"),
        pytest.param(["Crawl-delay: 5", "Crawl-delay: 1"], 5.0, 2, id="repeated-strictest"),
        pytest.param(["Crawl-delay: soon", "Crawl-delay: 2"], 2.0, 3, id="unreadable-skipped"),
    ],
)
def test_crawl_delay_of_a_group(lines: list[str], seconds: float, line: int):
    robots = RobotsTxt.parse("\n".join(["User-agent: *", *lines, "Disallow: /x"]))
    delay = robots.group_for("TestBot").crawl_delay
    assert delay is not None
    assert (delay.seconds, delay.line.number) == (seconds, line)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("Crawl-delay: -1", None),
        ("Crawl-delay: 1e3", None),
        ("Crawl-delay: inf", None),
        ("Crawl-delay: nan", None),
        ("Crawl-delay: 10s", None),
        ("Crawl-delay: " + "9" * 400, None),  # a float that reads as infinity
        ("Crawl-delay:", None),
        ("Request-rate: 0/5", None),
        ("Request-rate: 1/5x", None),
        ("Request-rate: 1/5s whenever", None),
        ("Request-rate: five/1", None),
        ("Request-rate: " + "9" * 5000 + "/1", 0.0),  # more digits than int() reads: 0 s, never an error
    ],
)
def test_unreadable_values_ask_for_no_delay(value: str, seconds: float | None):
    delay = RobotsTxt.parse(f"User-agent: *\n{value}\n").group_for("TestBot").crawl_delay
    assert (delay.seconds if delay is not None else None) == seconds


def test_crawl_delay_belongs_to_its_group_and_merges_with_it():
    body = (
        "Crawl-delay: 60\n"  # before any group: belongs to none
        "User-agent: FooBot\n"
        "Crawl-delay: 2\n"
        "User-agent: BarBot\n"  # the same group: Crawl-delay is not a rule (RFC 9309 §2.2.4)
        "Disallow: /x\n"
        "User-agent: *\n"
        "Disallow: /y\n"
        "User-agent: FooBot\n"
        "Request-rate: 1/4\n"
    )
    robots = RobotsTxt.parse(body)
    assert robots.group_for("FooBot").crawl_delay.seconds == 4.0  # merged: the stricter line, 9
    assert robots.group_for("BarBot").crawl_delay.seconds == 2.0
    assert robots.group_for("BarBot").match("/x") is not None
    assert robots.group_for("QuxBot").crawl_delay is None
    assert [ext.name for ext in robots.global_extensions] == ["crawl-delay"]


# --------------------------------------------------------------------------- size and limit


def test_size_and_line_count():
    body = "\ufeffUser-agent: *\r\nDisallow: /x\r\n"
    robots = RobotsTxt.parse(body)
    assert robots.size == len(body.encode("utf-8"))
    assert robots.truncated is False
    assert robots.line_count == 3  # two lines and the empty rest after the last line end


def test_parse_limit_default():
    assert PARSE_LIMIT == 500 * 1024


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_small_limit_drops_the_cut_line(newline):
    head = f"User-agent: *{newline}Disallow: /a{newline}"
    body = f"{head}Disallow: /bcdef{newline}Disallow: /z{newline}"
    limit = len(head) + len("Disallow: /b")
    robots = RobotsTxt.parse(body, limit=limit)
    assert robots.truncated is True
    assert robots.size == len(body)
    group = robots.group_for("x")
    assert group.match("/a") is not None
    assert group.match("/b") is None  # the cut line is not read as "Disallow: /b"
    assert group.match("/bcdef") is None
    assert group.match("/z") is None


def test_limit_at_a_line_end_keeps_the_line():
    head = "User-agent: *\nDisallow: /a\n"
    robots = RobotsTxt.parse(head + "Disallow: /b\n", limit=len(head))
    assert robots.truncated is True
    assert robots.group_for("x").match("/a") is not None
    assert robots.group_for("x").match("/b") is None


def test_limit_between_cr_and_lf_keeps_the_line():
    head = "User-agent: *\r\nDisallow: /a\r"
    robots = RobotsTxt.parse(head + "\nDisallow: /b\r\n", limit=len(head))
    assert robots.truncated is True
    assert robots.group_for("x").match("/a") is not None
    assert robots.group_for("x").match("/b") is None


def test_limit_without_any_line_end_parses_nothing():
    robots = RobotsTxt.parse("User-agent: * Disallow: /", limit=10)
    assert robots.truncated is True
    assert robots.groups == []


def test_limit_counts_octets_after_the_bom():
    body = b"\xef\xbb\xbfUser-agent: *\nDisallow: /a\n"
    robots = RobotsTxt.parse(body, limit=len(body) - 3)
    assert robots.truncated is False
    assert robots.size == len(body)
    assert robots.group_for("x").match("/a") is not None


def test_a_bom_is_skipped_without_copying_the_body():
    # The fetched body is kept as the last good copy; the parser reads the same bytes object.
    body = b"\xef\xbb\xbfUser-agent: *\nDisallow: /a # first\n"
    robots = RobotsTxt.parse(body)
    assert robots._lines.data is body
    matched = robots.group_for("x").match("/a")
    assert matched is not None and (matched.line.number, matched.line.text) == (2, "Disallow: /a # first")


def test_limit_counts_octets_not_characters():
    body = "User-agent: *\nDisallow: /ツ\nDisallow: /b\n"
    cut = len(b"User-agent: *\nDisallow: /\xe3\x83\x84\n")
    robots = RobotsTxt.parse(body, limit=cut)
    assert robots.truncated is True
    assert robots.group_for("x").match("/%E3%83%84") is not None
    assert robots.group_for("x").match("/b") is None


# --------------------------------------------------------------------------- product tokens


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("ExampleBot", "examplebot"),
        ("  ExampleBot  ", "examplebot"),
        ("Googlebot/2.1", "googlebot"),
        ("Googlebot-Image/1.0", "googlebot-image"),
        ("FOO BAR", "foo"),
        ("Example_Bot-2", "example_bot-2"),  # digits do not cut a group's name (AI2Bot)
        ("AI2Bot/1.0", "ai2bot"),
        ("*", "*"),
        ("* everyone", "*"),
        ("*\teveryone", "*"),
        ("*bot", ""),
        ("", ""),
        ("ツbot", ""),
        ("/bot", ""),
    ],
)
def test_product_token_of_a_user_agent_line(value, token):
    assert product_token(value) == token


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("ExampleBot", True),
        ("Google-Extended", True),
        ("_", True),
        ("-", True),
        ("", False),
        ("*", False),
        ("Bot2", False),
        ("Example Bot", False),
        ("ExampleBot/1.0", False),
        ("ExampleBot\n", False),
        ("Bötli", False),
    ],
)
def test_is_product_token(value, valid):
    assert is_product_token(value) is valid


@pytest.mark.parametrize(
    ("user_agent", "token"),
    [
        ("Scrapy/2.19.0 (+https://scrapy.org)", "Scrapy"),
        ("Mozilla/5.0 (compatible; ExampleBot/1.0; +https://e.x/bot)", "ExampleBot"),
        ("Mozilla/5.0 (compatible; ExampleBot/0.1; https://www.example.com/bot.html)", "ExampleBot"),
        (
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "GPTBot",
        ),
        ("Mozilla/5.0 (compatible;Example_Bot-Beta/3; +https://e.x)", "Example_Bot-Beta"),
        ("ExampleBot", "ExampleBot"),
        ("  ExampleBot  ", "ExampleBot"),
        ("ExampleBot/1.0", "ExampleBot"),
        ("Google-Extended", "Google-Extended"),
        ("", ""),
        ("ツ", ""),
        ("2bot/1.0", "2bot"),  # announced as written; callers refuse it (not a valid token)
    ],
)
def test_crawler_token(user_agent, token):
    assert crawler_token(user_agent) == token

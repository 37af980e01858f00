"""scrapy_policyguard.RobotParser: Scrapy's parser-interface cases, where we differ from Protego,
the parser the add-on sends with ``robots_parsed``, and real crawls with Scrapy's own middleware.

Scrapy's cases are restated as data from tests/test_robotstxt_interface.py of scrapy/scrapy at
commit 11079cb1c85b9e75a39a7269943c69d1a975d485 (read 2026-12-08): BaseRobotParserTest with the
cases TestProtegoRobotParser runs. The one it skips for Protego, ``test_order_based_precedence``,
expects the first matching rule to win; RFC 9309 §2.2.2 says the most specific (longest) match
wins, so we answer as its ``test_length_based_precedence`` does (the README lists it).
"""

from __future__ import annotations

from typing import Any

import pytest
from crawling import BASE_SETTINGS, ListSpider, coroutine_test
from scrapy import signals
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from scrapy_policyguard import PolicyGuardConfigError, RobotParser, check
from scrapy_policyguard.core.access import RobotsAccess
from scrapy_policyguard.demo.web import Reply

SITE = "https://www.site.local"

#: (case, robots.txt body, [(url, user agent, allowed)]), as Scrapy's interface tests give them.
SCRAPY_CASES: list[tuple[str, bytes, list[tuple[str, str, bool]]]] = [
    (
        "allowed",
        b"User-agent: * \nDisallow: /disallowed \nAllow: /allowed \nCrawl-delay: 10",
        [(f"{SITE}/allowed", "*", True), (f"{SITE}/disallowed", "*", False)],
    ),
    (
        "allowed_wildcards",
        b"User-agent: first\n                                Disallow: /disallowed/*/end$\n\n"
        b"                                User-agent: second\n"
        b"                                Allow: /*allowed\n                                Disallow: /\n",
        [
            (f"{SITE}/disallowed", "first", True),
            (f"{SITE}/disallowed/xyz/end", "first", False),
            (f"{SITE}/disallowed/abc/end", "first", False),
            (f"{SITE}/disallowed/xyz/endinglater", "first", True),
            (f"{SITE}/allowed", "second", True),
            (f"{SITE}/is_still_allowed", "second", True),
            (f"{SITE}/is_allowed_too", "second", True),
        ],
    ),
    (
        "length_based_precedence",
        b"User-agent: * \nDisallow: / \nAllow: /page",
        [(f"{SITE}/page", "*", True)],
    ),
    (
        # Scrapy's order-based case: the same file, expecting "disallowed" (first rule wins).
        # RFC 9309 §2.2.2: the longest match wins, so /page is allowed (Protego skips this case).
        "order_based_precedence_rfc_9309",
        b"User-agent: * \nDisallow: / \nAllow: /page",
        [(f"{SITE}/page", "*", True)],
    ),
    (
        "empty_response",
        b"",
        [
            ("https://site.local/", "*", True),
            ("https://site.local/", "chrome", True),
            ("https://site.local/index.html", "*", True),
            ("https://site.local/disallowed", "*", True),
        ],
    ),
    (
        "garbage_response",
        b"GIF89a\xd3\x00\xfe\x00\xa2",
        [
            ("https://site.local/", "*", True),
            ("https://site.local/", "chrome", True),
            ("https://site.local/index.html", "*", True),
            ("https://site.local/disallowed", "*", True),
        ],
    ),
    (
        "unicode_url_and_useragent",
        """
        User-Agent: *
        Disallow: /admin/
        Disallow: /static/
        # taken from https://en.wikipedia.org/robots.txt
        Disallow: /wiki/K%C3%A4ytt%C3%A4j%C3%A4:
        Disallow: /wiki/Käyttäjä:

        User-Agent: UnicödeBöt
        Disallow: /some/randome/page.html""".encode(),
        [
            ("https://site.local/", "*", True),
            ("https://site.local/admin/", "*", False),
            ("https://site.local/static/", "*", False),
            ("https://site.local/admin/", "UnicödeBöt", True),
            ("https://site.local/wiki/K%C3%A4ytt%C3%A4j%C3%A4:", "*", False),
            ("https://site.local/wiki/Käyttäjä:", "*", False),
            ("https://site.local/some/randome/page.html", "*", True),
            ("https://site.local/some/randome/page.html", "UnicödeBöt", False),
        ],
    ),
]

CRAWL_DELAY_CASES = [
    pytest.param(b"User-agent: *\nDisallow: /private\nCrawl-delay: 10\n", "*", 10.0, id="crawl_delay"),
    pytest.param(b"User-agent: *\nDisallow: /private\n", "*", None, id="crawl_delay_unset"),
    # Ours: Request-rate counts too, and the stricter of the two is the answer.
    pytest.param(b"User-agent: *\nCrawl-delay: 2\nRequest-rate: 1/5s\n", "*", 5.0, id="rate-stricter"),
    pytest.param(b"User-agent: *\nCrawl-delay: 2\nRequest-rate: 10/1m\n", "*", 6.0, id="rate-per-minute"),
    pytest.param(b"User-agent: a\nCrawl-delay: 4\nUser-agent: *\nCrawl-delay: 1", "a/1", 4.0, id="own-group"),
]


def parse(body: bytes) -> RobotParser:
    # As Scrapy's own tests build parsers: no crawler.
    return build_from_crawler(RobotParser, None, body)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "url", "agent", "allowed"),
    [
        pytest.param(body, url, agent, allowed, id=f"{case}-{index}")
        for case, body, checks in SCRAPY_CASES
        for index, (url, agent, allowed) in enumerate(checks)
    ],
)
def test_scrapy_interface_cases(body: bytes, url: str, agent: str, allowed: bool) -> None:
    parser = parse(body)
    assert parser.allowed(url, agent) is allowed
    assert parser.allowed(url.encode(), agent.encode()) is allowed  # Scrapy may pass bytes


@pytest.mark.parametrize(("body", "agent", "delay"), CRAWL_DELAY_CASES)
def test_crawl_delay(body: bytes, agent: str, delay: float | None) -> None:
    assert parse(body).crawl_delay(agent) == delay


def test_it_is_a_scrapy_robot_parser_with_the_public_name() -> None:
    from scrapy.robotstxt import RobotParser as ScrapyRobotParser
    from scrapy.utils.misc import load_object

    assert load_object("scrapy_policyguard.RobotParser") is RobotParser
    assert issubclass(RobotParser, ScrapyRobotParser)


# --------------------------------------------------------------------------- where Protego differs

#: (robots.txt, URL, user agent, ours, Protego 0.7 through Scrapy's ProtegoRobotParser, reason)
PROTEGO_DIFFERENCES = [
    pytest.param(
        "User-agent: TestBot\nContent-Signal: ai-train=no\nUser-agent: *\nDisallow: /private\n",
        "http://s.test/private/1",
        "TestBot",
        False,
        True,
        id="unknown-record-does-not-split-the-group",  # RFC 9309 §2.2.4
    ),
    pytest.param(
        "User-agent: TestBot\nCrawl-delay: 3\nUser-agent: Other\nDisallow: /\n",
        "http://s.test/x",
        "TestBot",
        False,
        True,
        id="crawl-delay-does-not-split-the-group",  # RFC 9309 §2.2.4: not a rule of §2.2.2
    ),
    pytest.param(
        "User-agent: Test\nDisallow: /\n",
        "http://s.test/x",
        "TestBot",
        True,
        False,
        id="tokens-match-whole-not-by-prefix",  # RFC 9309 §2.2.1
    ),
    pytest.param(
        "User-agent: Google\nDisallow: /\n",
        "http://s.test/x",
        "Google-Extended/1.0",
        True,
        False,
        id="google-group-is-not-google-extended",  # RFC 9309 §2.2.1
    ),
    pytest.param(
        "User-agent: *\nDisallow: /a%3Fb\n",
        "http://s.test/a?b",
        "TestBot",
        True,
        False,
        id="reserved-escape-stays-distinct",  # RFC 9309 §2.2.2, RFC 3986 §2.2
    ),
    pytest.param(
        "User-agent: *\nDisallow: /*.php$\n",
        "http://s.test/x.php$",
        "TestBot",
        True,
        False,
        id="final-dollar-is-only-an-anchor",  # RFC 9309 §2.2.3
    ),
]


@pytest.mark.parametrize(("body", "url", "agent", "ours", "protego"), PROTEGO_DIFFERENCES)
def test_where_we_differ_from_protego_we_answer_as_the_rfc_says(body, url, agent, ours, protego) -> None:
    assert parse(body.encode()).allowed(url, agent) is ours
    assert build_from_crawler(ProtegoRobotParser, None, body.encode()).allowed(url, agent) is protego  # type: ignore[arg-type]
    # And it is the engine's answer, for the token the user agent names.
    token = agent.split("/")[0]
    assert check(url, user_agent=token, robots_txt=body).crawl_denied is not ours


@pytest.mark.parametrize(
    ("user_agent", "allowed"),
    [
        pytest.param("TestBot", False, id="token"),
        pytest.param("testbot", False, id="case-insensitive"),
        pytest.param("TestBot/1.0 (+https://example.org/bot)", False, id="product-and-version"),
        pytest.param("Mozilla/5.0 (compatible; TestBot/1.0; +https://example.org/bot)", False, id="browser"),
        pytest.param(b"TestBot/1.0", False, id="bytes"),
        pytest.param("Scrapy/2.19 (+https://scrapy.org)", True, id="another-token-gets-star"),
        pytest.param("*", True, id="star"),
    ],
)
def test_user_agents_name_their_product_token(user_agent: str | bytes, allowed: bool) -> None:
    parser = parse(b"User-agent: TestBot\nDisallow: /x\n\nUser-agent: *\nAllow: /\n")
    assert parser.allowed("http://s.test/x", user_agent) is allowed
    assert parser.allowed("http://s.test/robots.txt", user_agent) is True  # RFC 9309 §2.2.2


@pytest.mark.parametrize(
    ("status", "allowed"),
    [pytest.param(503, False, id="unreachable"), pytest.param(404, True, id="unavailable")],
)
def test_a_parser_built_from_a_fetch_outcome_answers_as_rfc_9309_says(status: int, allowed: bool) -> None:
    access = RobotsAccess.from_result("http://s.test/robots.txt", status, b"User-agent: *\nAllow: /\n")
    parser = RobotParser(access)
    assert parser.allowed("http://s.test/page", "TestBot") is allowed
    assert parser.crawl_delay("TestBot") is None


def test_the_crawlers_parse_limit_setting_is_used_and_checked() -> None:
    padding = b"#" + b"-" * 600_000 + b"\n"
    body = b"User-agent: *\n" + padding + b"Disallow: /\n"
    assert parse(body).allowed("http://s.test/x", "TestBot") is True  # past the 500 KiB limit
    crawler = get_crawler(settings_dict={"POLICYGUARD_ROBOTS_MAX_BYTES": 700_000})
    assert build_from_crawler(RobotParser, crawler, body).allowed("http://s.test/x", "TestBot") is False
    crawler = get_crawler(settings_dict={"POLICYGUARD_ROBOTS_MAX_BYTES": 1000})
    with pytest.raises(PolicyGuardConfigError, match="POLICYGUARD_ROBOTS_MAX_BYTES=1000"):
        build_from_crawler(RobotParser, crawler, body)


# --------------------------------------------------------------------------- real crawls

#: Rules on which Protego and our engine disagree (see PROTEGO_DIFFERENCES), plus ordinary ones.
DIFFERING_ROBOTS = """\
User-agent: TestBot
Content-Signal: ai-train=no
User-agent: *
Disallow: /private
Disallow: /q%3Fx

User-agent: Test
Disallow: /
"""
DIFFERING_PATHS = ["/", "/a", "/private/1", "/private/2", "/q?x", "/q%3Fx", "/public"]


def serve_differing(web) -> list[str]:  # type: ignore[no-untyped-def]
    web.add("diff.test", "/robots.txt", DIFFERING_ROBOTS)
    for path in DIFFERING_PATHS:
        web.add("diff.test", path, f"<html><body>{path}</body></html>")
    return [web.url("diff.test", path) for path in DIFFERING_PATHS]


#: Scrapy's own middleware, one request at a time: with more in flight, Scrapy 2.19 lets the
#: requests that arrive while robots.txt downloads through unchecked, whatever the parser.
SCRAPY_MIDDLEWARE = {
    "ADDONS": {},
    "ROBOTSTXT_OBEY": True,
    "ROBOTSTXT_USER_AGENT": "TestBot",
    "CONCURRENT_REQUESTS": 1,
}


@coroutine_test
async def test_scrapys_middleware_with_our_parser_blocks_what_the_engine_blocks(web, crawl) -> None:
    urls = serve_differing(web)
    engine_blocks = {
        url for url in urls if check(url, user_agent="TestBot", robots_txt=DIFFERING_ROBOTS).crawl_denied
    }
    assert engine_blocks  # the case is not empty
    crawler = await crawl(
        settings={**SCRAPY_MIDDLEWARE, "ROBOTSTXT_PARSER": "scrapy_policyguard.RobotParser"}, urls=urls
    )
    fetched = set(crawler.spider.fetched)
    assert fetched == set(urls) - engine_blocks
    assert crawler.stats.get_value("robotstxt/forbidden") == len(engine_blocks)
    # The same crawl with Scrapy's default parser (Protego) fetches other pages: the difference is real.
    web.clear_log()
    protego = await crawl(settings=SCRAPY_MIDDLEWARE, urls=urls)
    assert set(protego.spider.fetched) != fetched


@coroutine_test
async def test_robots_parsed_listeners_get_a_parser_that_answers_as_the_guard(web) -> None:
    urls = serve_differing(web)
    web.add("down.test", "/robots.txt", Reply(status=503, body="down"))
    web.add("down.test", "/page", "<html></html>")
    urls.append(web.url("down.test", "/page"))
    received: list[dict[str, Any]] = []

    def listener(robotparser: Any, request: Any) -> None:
        received.append({"parser": robotparser, "request": request})

    crawler = get_crawler(ListSpider, {**BASE_SETTINGS, "POLICYGUARD_PURPOSE": "search"})
    crawler.signals.connect(listener, signal=signals.robots_parsed)
    await crawler.crawl_async(urls=urls)
    spider = crawler.spider
    assert len(received) == 2  # once per robots.txt fetched, whatever the number of pages
    assert {event["request"].url for event in received} <= set(urls)
    parsers = {event["request"].url.split("/")[2]: event["parser"] for event in received}
    assert set(parsers) == {"diff.test", "down.test"}
    for url in urls:
        guard_allowed = url in spider.fetched
        assert guard_allowed is not (url in spider.denied)
        parser = parsers[url.split("/")[2]]
        assert parser.allowed(url, "TestBot") is guard_allowed, url
        assert parser.allowed(url, crawler.settings["USER_AGENT"]) is parser.allowed(url, "*")
    assert not parsers["down.test"].allowed(web.url("down.test", "/"), "TestBot")  # unreachable

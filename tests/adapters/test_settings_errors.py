"""Every invalid POLICYGUARD_* value stops the crawl at start, before any request, with a message
that names the setting and says how to fix it.

test_downloader_robots.py::test_bad_configuration_stops_the_crawl_before_any_request covers a bad
purpose ('training'), mode ('strict'), user agent ('Test Bot/1.0'), POLICYGUARD_UNKNOWN ('maybe'),
TTL ('soon') and a too small POLICYGUARD_ROBOTS_MAX_BYTES (1000); the cases here are the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from crawling import coroutine_test

from scrapy_policyguard import PolicyGuardConfigError

BOOLEAN_FIX = "not a boolean. Fix: use True or False"
SECONDS_FIX = "must be a number of seconds >= 1. Fix: set a number"
TOKEN_FIX = "not a robots.txt product token"

CASES = [
    pytest.param(
        {"POLICYGUARD_ENABLED": "maybe"}, ["POLICYGUARD_ENABLED='maybe'", BOOLEAN_FIX], id="enabled"
    ),
    pytest.param(
        {"POLICYGUARD_MODE": 3},
        ["POLICYGUARD_MODE=3", "Fix: use one of 'enforce', 'audit'"],
        id="mode-not-text",
    ),
    pytest.param(
        {"POLICYGUARD_PURPOSE": ""},
        ["POLICYGUARD_PURPOSE=''", "use one of: ai-train, ai-input, search"],
        id="purpose-empty",
    ),
    pytest.param(
        {"POLICYGUARD_PURPOSE": ["ai-train", "search"]},
        ["POLICYGUARD_PURPOSE=['ai-train', 'search']", "use one of: ai-train, ai-input, search"],
        id="purpose-list",
    ),
    pytest.param(
        {"POLICYGUARD_UNKNOWN": "block"},
        ["POLICYGUARD_UNKNOWN='block'", "Fix: use one of 'allow', 'deny'"],
        id="unknown",
    ),
    pytest.param(
        {"POLICYGUARD_USER_AGENT": "Bot2"},
        ["POLICYGUARD_USER_AGENT='Bot2'", TOKEN_FIX, "Fix: set the bare token your crawler announces"],
        id="user-agent-digit",
    ),
    pytest.param(
        {"POLICYGUARD_USER_AGENT": None, "ROBOTSTXT_USER_AGENT": "ExampleBot/1.0"},
        ["ROBOTSTXT_USER_AGENT='ExampleBot/1.0'", TOKEN_FIX, "Fix: set the bare token"],
        id="robotstxt-user-agent",
    ),
    pytest.param(
        {"POLICYGUARD_USER_AGENT": None, "USER_AGENT": "(compatible; +https://example.com/bot)"},
        [
            "USER_AGENT='(compatible; +https://example.com/bot)'",
            "announces no product token",
            "POLICYGUARD_USER_AGENT",
        ],
        id="user-agent-header-without-token",
    ),
    pytest.param(
        {"POLICYGUARD_USER_AGENT": None, "USER_AGENT": "Policy2Bot/1.0 (+https://example.com)"},
        ["announces 'Policy2Bot', not a robots.txt product token", "Fix: set POLICYGUARD_USER_AGENT"],
        id="user-agent-header-bad-token",
    ),
    pytest.param({"POLICYGUARD_ROBOTS_TTL": 0}, ["POLICYGUARD_ROBOTS_TTL=0", SECONDS_FIX], id="ttl-zero"),
    pytest.param(
        {"POLICYGUARD_ROBOTS_TTL": -60}, ["POLICYGUARD_ROBOTS_TTL=-60", SECONDS_FIX], id="ttl-negative"
    ),
    pytest.param(
        {"POLICYGUARD_ROBOTS_TTL": float("nan")}, ["POLICYGUARD_ROBOTS_TTL=nan", SECONDS_FIX], id="ttl-nan"
    ),
    pytest.param(
        {"POLICYGUARD_UNREACHABLE_RETRY": "later"},
        ["POLICYGUARD_UNREACHABLE_RETRY='later'", SECONDS_FIX],
        id="retry-text",
    ),
    pytest.param(
        {"POLICYGUARD_UNREACHABLE_RETRY": 0.5},
        ["POLICYGUARD_UNREACHABLE_RETRY=0.5", SECONDS_FIX],
        id="retry-too-short",
    ),
    pytest.param(
        {"POLICYGUARD_ROBOTS_MAX_BYTES": "lots"},
        ["POLICYGUARD_ROBOTS_MAX_BYTES='lots'", "Fix: use an integer >= 512000"],
        id="max-bytes-text",
    ),
    pytest.param(
        {"POLICYGUARD_ROBOTS_MAX_BYTES": -1},
        ["POLICYGUARD_ROBOTS_MAX_BYTES=-1", "Fix: use an integer >= 512000"],
        id="max-bytes-negative",
    ),
    pytest.param(
        {"POLICYGUARD_CRAWL_DELAY": "politely"},
        ["POLICYGUARD_CRAWL_DELAY='politely'", BOOLEAN_FIX],
        id="crawl-delay",
    ),
    pytest.param(
        {"POLICYGUARD_CRAWL_DELAY_MAX": 0},
        ["POLICYGUARD_CRAWL_DELAY_MAX=0", SECONDS_FIX, "e.g. 30"],
        id="crawl-delay-max-zero",
    ),
    pytest.param(
        {"POLICYGUARD_CRAWL_DELAY_MAX": "a minute"},
        ["POLICYGUARD_CRAWL_DELAY_MAX='a minute'", SECONDS_FIX],
        id="crawl-delay-max-text",
    ),
    pytest.param(
        {"POLICYGUARD_AUDIT_ALL": "sometimes"},
        ["POLICYGUARD_AUDIT_ALL='sometimes'", BOOLEAN_FIX],
        id="audit-all",
    ),
    pytest.param(
        {"POLICYGUARD_BLOCK_BEFORE_FETCH": "perhaps"},
        ["POLICYGUARD_BLOCK_BEFORE_FETCH='perhaps'", BOOLEAN_FIX],
        id="block-before-fetch",
    ),
    pytest.param(
        {"POLICYGUARD_AI_TOKENS": {"ExampleBot": "trainer"}},
        [
            "POLICYGUARD_AI_TOKENS=",
            "'ExampleBot': unknown class 'trainer'",
            "Fix: use one of training, control",
        ],
        id="ai-tokens-bad-class",
    ),
    pytest.param(
        {"POLICYGUARD_AI_TOKENS": '{"GPTBot": "nope"}'},
        ["POLICYGUARD_AI_TOKENS=", "'GPTBot': unknown class 'nope'", "Fix: use one of"],
        id="ai-tokens-json-bad-class",
    ),
    pytest.param(
        {"POLICYGUARD_AI_TOKENS": {"*": "training"}},
        [
            "POLICYGUARD_AI_TOKENS=",
            "'*' is not a robots.txt product token",
            "Fix: use the token as in robots.txt",
        ],
        id="ai-tokens-star",
    ),
    pytest.param(
        {"POLICYGUARD_AI_TOKENS": {"/1.0": "training"}},
        ["POLICYGUARD_AI_TOKENS=", "'/1.0' is not a robots.txt product token", "Fix: use the token"],
        id="ai-tokens-no-token",
    ),
    pytest.param(
        {"POLICYGUARD_AI_TOKENS": ["GPTBot", "CCBot"]},
        [
            "POLICYGUARD_AI_TOKENS=['GPTBot', 'CCBot']: must be a dict",
            'Fix: e.g. {"ExampleAIBot": "training"',
        ],
        id="ai-tokens-list",
    ),
    pytest.param(
        {"POLICYGUARD_CONTENT_USAGE_LEGACY": "yes please"},
        ["POLICYGUARD_CONTENT_USAGE_LEGACY='yes please'", BOOLEAN_FIX],
        id="legacy",
    ),
    pytest.param(
        {"POLICYGUARD_RULES": ["packs/", 7]},
        ["POLICYGUARD_RULES=['packs/', 7]: must be a list of strings", "Fix: e.g."],
        id="rules-not-strings",
    ),
    pytest.param(
        {"POLICYGUARD_RULES_DISABLED": ["redit"]},
        ["POLICYGUARD_RULES_DISABLED", "no rule pack has id 'redit'", "known: ", "reddit"],
        id="rules-disabled-unknown-id",
    ),
    pytest.param(
        {"POLICYGUARD_RULES_DISABLED": [""]},
        ["POLICYGUARD_RULES_DISABLED=['']: must be a list of strings", "Fix: e.g."],
        id="rules-disabled-empty-id",
    ),
    pytest.param(
        {"POLICYGUARD_AGREEMENTS": {"twitter": "contract 7"}},
        [
            "POLICYGUARD_AGREEMENTS names 'twitter'",
            "Fix: use one of",
            "x, youtube",
            "the URL of an RSL licence",
        ],
        id="agreements-unknown-pack",
    ),
    pytest.param(
        {"POLICYGUARD_AGREEMENTS": ["reddit"]},
        ["POLICYGUARD_AGREEMENTS=['reddit']: must map pack ids", 'Fix: {"reddit": "Data API licence'],
        id="agreements-list",
    ),
    pytest.param(
        {"POLICYGUARD_AGREEMENTS": {"reddit": ""}},
        ["POLICYGUARD_AGREEMENTS={'reddit': ''}: must map pack ids", "Fix: "],
        id="agreements-empty-reference",
    ),
    pytest.param(
        {"POLICYGUARD_ITEM_ACTION": "delete"},
        ["POLICYGUARD_ITEM_ACTION='delete'", "Fix: use one of 'drop', 'tag'"],
        id="item-action",
    ),
    pytest.param(
        {"POLICYGUARD_ITEM_FIELD": "policy guard"},
        ["POLICYGUARD_ITEM_FIELD='policy guard': must be a field name", 'Fix: e.g. "policyguard"'],
        id="item-field-space",
    ),
    pytest.param(
        {"POLICYGUARD_ITEM_FIELD": 5},
        ["POLICYGUARD_ITEM_FIELD=5: must be a field name", "Fix: "],
        id="item-field-int",
    ),
    pytest.param(
        {"POLICYGUARD_MAX_PRICE": "0.01"},
        [
            "POLICYGUARD_MAX_PRICE='0.01': not a price",
            'Fix: write a currency code and an amount, e.g. "USD 0.01"',
        ],
        id="max-price-no-currency",
    ),
    pytest.param(
        {"POLICYGUARD_MAX_PRICE": 0.01},
        ["POLICYGUARD_MAX_PRICE=0.01: not a price"],
        id="max-price-float",
    ),
    pytest.param(
        {"POLICYGUARD_BUDGET": "USD 5"},
        [
            "POLICYGUARD_BUDGET='USD 5'",
            "without POLICYGUARD_MAX_PRICE pays nothing",
            "Fix: set POLICYGUARD_MAX_PRICE",
        ],
        id="budget-without-max-price",
    ),
    pytest.param(
        {"POLICYGUARD_MAX_PRICE": "USD 0.01", "POLICYGUARD_BUDGET": "EUR 5"},
        [
            "POLICYGUARD_BUDGET='EUR 5': in EUR, but POLICYGUARD_MAX_PRICE is in USD",
            "Fix: give every limit in USD",
        ],
        id="budget-other-currency",
    ),
    pytest.param(
        {"POLICYGUARD_MAX_PRICE": "USD 0.01", "POLICYGUARD_BUDGET_PER_ORIGIN": {"shop.test": "USD 1"}},
        ["POLICYGUARD_BUDGET_PER_ORIGIN=", "'shop.test' is not an origin or '*'"],
        id="budget-per-origin-key",
    ),
    pytest.param(
        {"POLICYGUARD_MAX_PRICE": "USD 0.01", "POLICYGUARD_BUDGET_PER_ORIGIN": {"*": "lots"}},
        ["POLICYGUARD_BUDGET_PER_ORIGIN='lots': '*': not a price"],
        id="budget-per-origin-value",
    ),
    pytest.param(
        {"POLICYGUARD_MAX_PRICE": "USD 0.01", "POLICYGUARD_BUDGET": "USD 5"},
        [
            "POLICYGUARD_MAX_PRICE='USD 0.01': paying needs POLICYGUARD_SIGNING_KEY, which is not set",
            "pay-per-crawl refuses unsigned requests",
            "Fix: set POLICYGUARD_SIGNING_KEY and POLICYGUARD_SIGNATURE_AGENT",
        ],
        id="max-price-without-key",
    ),
    pytest.param(
        {"POLICYGUARD_MODE": "audit", "POLICYGUARD_MAX_PRICE": "USD 0.01"},
        ["POLICYGUARD_MAX_PRICE='USD 0.01': paying needs POLICYGUARD_SIGNING_KEY"],
        id="max-price-without-key-audit-mode",
    ),
    pytest.param(
        {"POLICYGUARD_SIGNATURE_AGENT": "https://crawler.example"},
        ["POLICYGUARD_SIGNING_KEY=None", "no key to sign with", "policyguard keys new DIR"],
        id="agent-without-key",
    ),
    pytest.param(
        {"POLICYGUARD_SIGNING_KEY": "/nonexistent/key.pem"},
        ["POLICYGUARD_SIGNATURE_AGENT=None", "the https URL where its key directory is published"],
        id="key-without-agent",
    ),
    pytest.param(
        {
            "POLICYGUARD_SIGNING_KEY": "/nonexistent/key.pem",
            "POLICYGUARD_SIGNATURE_AGENT": "https://crawler.example",
        },
        ["POLICYGUARD_SIGNING_KEY='/nonexistent/key.pem': cannot read /nonexistent/key.pem"],
        id="key-missing",
    ),
    pytest.param(
        {
            "POLICYGUARD_SIGNING_KEY": "/nonexistent/key.pem",
            "POLICYGUARD_SIGNATURE_AGENT": "http://crawler.example",
        },
        ["POLICYGUARD_SIGNATURE_AGENT='http://crawler.example': must be an https:// URL"],
        id="agent-not-https",
    ),
    pytest.param(
        {"POLICYGUARD_SIGNATURE_TTL": 90000},
        ["POLICYGUARD_SIGNATURE_TTL=90000: at most 86400", "Fix: use an integer from 1 to 86400"],
        id="signature-ttl-too-long",
    ),
    pytest.param(
        {"POLICYGUARD_PAYWALL": "block"},
        ["POLICYGUARD_PAYWALL='block'", "Fix: use one of 'deny', 'tag', 'ignore'"],
        id="paywall",
    ),
    pytest.param(
        {"POLICYGUARD_CONTACT": "a\nb"},
        ["POLICYGUARD_CONTACT='a\\nb': must be one line of text", "Fix: e.g. 'crawler@example.org'"],
        id="contact-two-lines",
    ),
    pytest.param(
        {"POLICYGUARD_BLOCKLISTS": [3]},
        ["POLICYGUARD_BLOCKLISTS=[3]: must be a list of strings", "Fix: e.g."],
        id="blocklists-not-strings",
    ),
    pytest.param(
        {"POLICYGUARD_MEDIA_READERS": ["xmp", "exif"]},
        [
            "POLICYGUARD_MEDIA_READERS=['xmp', 'exif']: must be a list of media readers",
            "Fix: use a list of 'xmp'",
        ],
        id="media-readers-unknown",
    ),
    pytest.param(
        {"POLICYGUARD_MEDIA_READERS": {"xmp": True}},
        ["POLICYGUARD_MEDIA_READERS={'xmp': True}", "or [] for none"],
        id="media-readers-dict",
    ),
    pytest.param(
        {"POLICYGUARD_CACHE": "memcached"},
        ["POLICYGUARD_CACHE='memcached'", "Fix: use one of 'memory', 'redis'"],
        id="cache-kind",
    ),
    pytest.param(
        {"POLICYGUARD_CACHE": "redis", "POLICYGUARD_REDIS_URL": "http://127.0.0.1:6379"},
        ["POLICYGUARD_REDIS_URL='http://127.0.0.1:6379': not a Redis URL", "Fix: use redis://host:port/db"],
        id="redis-url",
    ),
    pytest.param(
        {"POLICYGUARD_CACHE": "redis", "POLICYGUARD_REDIS_URL": None, "REDIS_URL": "ftp://x"},
        ["REDIS_URL='ftp://x': not a Redis URL"],
        id="scrapy-redis-url",
    ),
    pytest.param(
        {"POLICYGUARD_CACHE": "redis", "POLICYGUARD_REDIS_KEY": "%(name)s:policyguard"},
        ["POLICYGUARD_REDIS_KEY='%(name)s:policyguard': not a key template", 'Fix: use e.g. "%(spider)s'],
        id="redis-key",
    ),
    pytest.param(
        {"POLICYGUARD_CACHE": "redis", "POLICYGUARD_REDIS_ON_ERROR": "ignore"},
        ["POLICYGUARD_REDIS_ON_ERROR='ignore'", "Fix: use one of 'fetch', 'deny'"],
        id="redis-on-error",
    ),
    pytest.param(
        {"POLICYGUARD_CACHE": "redis", "POLICYGUARD_REDIS_LOCK_TTL": 0},
        ["POLICYGUARD_REDIS_LOCK_TTL=0", "Fix:"],
        id="redis-lock-ttl",
    ),
]


async def assert_stops_before_any_request(web, crawl, settings: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    web.add("site.test", "/robots.txt", "User-agent: *\nAllow: /\n")
    web.add("site.test", "/a", "<html><body>a</body></html>")
    with pytest.raises(PolicyGuardConfigError) as caught:
        await crawl(settings=settings, urls=[web.url("site.test", "/a")])
    assert isinstance(caught.value, ValueError)
    assert web.seen == []
    return str(caught.value)


@pytest.mark.parametrize(("settings", "fragments"), CASES)
@coroutine_test
async def test_an_invalid_setting_stops_the_crawl_before_any_request(
    web, crawl, settings: dict[str, Any], fragments: list[str]
) -> None:
    message = await assert_stops_before_any_request(web, crawl, settings)
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file or folder"),
        (b"\xff\xfe\x00schema", "not UTF-8"),
        (b"schema: 1\nid: [unclosed\n", "expected ',' or ']'"),
        (b"just a line\n", "must be a mapping"),
    ],
    ids=["missing", "not-utf8", "yaml-syntax", "not-a-mapping"],
)
@coroutine_test
async def test_an_unreadable_rule_pack_names_the_setting_and_the_path(
    web, crawl, tmp_path: Path, content: bytes | None, problem: str
) -> None:
    pack = tmp_path / "packs" / "mine.yaml"
    if content is not None:
        pack.parent.mkdir()
        pack.write_bytes(content)
    message = await assert_stops_before_any_request(web, crawl, {"POLICYGUARD_RULES": [str(pack)]})
    assert "POLICYGUARD_RULES" in message
    assert str(pack) in message
    assert problem in message, message


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        (b"pirate.example\nhttps://mirror.example/\n", ":2: 'https://mirror.example/' is not a bare domain"),
    ],
    ids=["missing", "url-not-domain"],
)
@coroutine_test
async def test_a_broken_blocklist_names_the_setting_file_and_line(
    web, crawl, tmp_path: Path, content: bytes | None, problem: str
) -> None:
    listed = tmp_path / "infringing.txt"
    if content is not None:
        listed.write_bytes(content)
    message = await assert_stops_before_any_request(web, crawl, {"POLICYGUARD_BLOCKLISTS": [str(listed)]})
    assert message.startswith(f"POLICYGUARD_BLOCKLISTS: {listed}")
    assert problem in message, message
    assert "Fix: one domain per line" in message


@pytest.mark.parametrize(
    ("settings", "shown"),
    [
        ({"POLICYGUARD_AI_TOKENS": "GPTBot"}, "POLICYGUARD_AI_TOKENS='GPTBot'"),
        ({"POLICYGUARD_AGREEMENTS": "reddit"}, "POLICYGUARD_AGREEMENTS='reddit'"),
    ],
    ids=["ai-tokens", "agreements"],
)
@coroutine_test
async def test_a_setting_that_is_not_json_is_shown_as_given(
    web, crawl, settings: dict[str, Any], shown: str
) -> None:
    # As set with `scrapy crawl -s POLICYGUARD_AI_TOKENS=GPTBot`: the message must show what was set.
    message = await assert_stops_before_any_request(web, crawl, settings)
    assert shown in message, message


@coroutine_test
async def test_an_audit_log_that_cannot_be_created_names_the_setting(web, crawl, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    message = await assert_stops_before_any_request(
        web, crawl, {"POLICYGUARD_AUDIT_LOG": str(blocker / "audit.jsonl")}
    )
    assert "POLICYGUARD_AUDIT_LOG" in message
    assert str(blocker / "audit.jsonl") in message
    assert "Fix:" in message


@coroutine_test
async def test_reading_c2pa_without_its_library_stops_the_crawl(web, crawl, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from scrapy_policyguard.core.signals import c2pa

    monkeypatch.setattr(c2pa, "available", lambda: False)
    settings = {"POLICYGUARD_MEDIA_READERS": "xmp, c2pa"}
    message = await assert_stops_before_any_request(web, crawl, settings)
    assert "needs c2pa-python, which is not installed" in message
    assert "Fix: pip install 'scrapy-policyguard[c2pa]'" in message

"""``policyguard check --fetch``'s crawl (adapters/live_check.py), run in-process with the real engine
against a LocalWeb addressed directly as ``http://127.0.0.1:PORT`` (routes under host 127.0.0.1).

The crawl is the plugin itself, so each case checks what the server received: robots.txt first and
once, tdmrep.json only where robots.txt allows it, the page only when allowed, each licence once.
``tests/cli/test_check_cli.py`` runs the command itself in a subprocess.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crawling import coroutine_test
from scrapy.crawler import Crawler

from scrapy_policyguard.adapters.live_check import CheckResult, CheckSpider, check_settings
from scrapy_policyguard.demo.web import LocalWeb, Reply

DATA = Path(__file__).parents[1] / "cli" / "data" / "check"
LICENSE = DATA / "license.xml"
NOAI_HTML = DATA / "noai.html"
TDMREP = DATA / "tdmrep.json"

TOKEN = "ExampleBot"
HOST = "127.0.0.1"
ROBOTS_OPEN = "User-agent: *\nAllow: /\n"
PAGE = "<!doctype html><html><head><title>Page</title></head><body><p>Text.</p></body></html>"


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalWeb]:
    """A LocalWeb addressed directly; no proxy variable may send requests elsewhere."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with LocalWeb() as local:
        yield local


def base(web: LocalWeb) -> str:
    return f"http://{web.address}"


def hits(web: LocalWeb, path: str) -> int:
    return web.count(web.address, path)


def serve(web: LocalWeb, robots: str | Reply = ROBOTS_OPEN, **pages: Reply | str) -> None:
    """robots.txt and pages (keyword ``p_articles_1`` for ``/articles/1``) under host 127.0.0.1."""
    if isinstance(robots, str):
        robots = Reply(body=robots, content_type="text/plain; charset=utf-8")
    web.add(HOST, "/robots.txt", robots)
    for name, reply in pages.items():
        web.add(HOST, "/" + name.removeprefix("p_").replace("_", "/"), reply)


async def live(url: str, **options: Any) -> CheckResult:
    """What ``policyguard check URL --fetch`` decides, from the same settings and spider."""
    options.setdefault("user_agent", TOKEN)
    options.setdefault("timeout", 5)
    settings = check_settings(**options)
    settings.set("RETRY_ENABLED", False)
    result = CheckResult()
    await Crawler(CheckSpider, settings).crawl_async(url=url, result=result)
    return result


def decided(result: CheckResult) -> dict[str, Any]:
    assert result.decision is not None, result
    return result.decision.to_dict()


def sources(data: dict[str, Any]) -> list[str]:
    return [item["source"] for item in data["evidence"]]


def assert_user_agent_sent(web: LocalWeb, expected: str = TOKEN) -> None:
    seen = web.seen
    assert seen, "the server saw no request"
    for request in seen:
        assert expected in request.headers.get("User-Agent", ""), (request.path, request.headers)


@coroutine_test
async def test_robots_disallow_denies_and_the_page_is_not_fetched(web):
    serve(web, f"User-agent: {TOKEN}\nDisallow: /private/\n\nUser-agent: *\nAllow: /\n", p_private_page=PAGE)
    result = await live(f"{base(web)}/private/page")
    data = decided(result)
    assert result.blocked
    assert (data["allowed"], data["stage"]) == (False, "request")
    assert data["evidence"][0]["rule"] == "Disallow: /private/"
    assert data["evidence"][0]["location"] == f"{base(web)}/robots.txt line 2"
    assert hits(web, "/robots.txt") == 1
    assert hits(web, "/private/page") == 0
    # robots.txt disallows /private/ only: tdmrep.json may be read, and is.
    assert hits(web, "/.well-known/tdmrep.json") == 1
    assert_user_agent_sent(web)


@coroutine_test
async def test_tdmrep_json_is_not_fetched_where_robots_txt_disallows_it(web):
    serve(web, f"User-agent: {TOKEN}\nDisallow: /.well-known/\n", p_article=PAGE)
    data = decided(await live(f"{base(web)}/article"))
    assert data["allowed"] is True
    assert hits(web, "/.well-known/tdmrep.json") == 0
    assert hits(web, "/article") == 1


@coroutine_test
async def test_allowed_page_with_x_robots_tag_noai_is_denied_at_the_response_stage(web):
    serve(web, p_article=Reply(body=PAGE, headers=[("X-Robots-Tag", "noai")]))
    data = decided(await live(f"{base(web)}/article"))
    assert data["stage"] == "response"
    assert data["denied_by"] == ["x-robots-tag"]
    assert data["evidence"][0]["rule"] == "Allow: /"  # robots.txt let us fetch it
    assert hits(web, "/article") == 1
    assert_user_agent_sent(web)


@coroutine_test
async def test_a_page_with_no_statement_is_allowed(web):
    serve(web, p_article=PAGE)
    result = await live(f"{base(web)}/article")
    assert decided(result)["allowed"] is True
    assert (result.status, result.error) == (200, None)
    assert hits(web, "/article") == 1


@coroutine_test
async def test_an_error_page_is_read_like_any_response(web):
    serve(web, p_article=Reply(status=404, body=NOAI_HTML.read_bytes(), content_type="text/html"))
    result = await live(f"{base(web)}/article")
    assert result.status == 404
    assert decided(result)["denied_by"] == ["html-meta"]


@pytest.mark.parametrize(
    ("content_type", "denied_by"),
    [
        pytest.param("text/html; charset=utf-8", ["html-meta"], id="html"),
        pytest.param("text/plain; charset=utf-8", [], id="not-html"),
    ],
)
@coroutine_test
async def test_the_meta_tags_of_an_html_page_only_are_read(web, content_type, denied_by):
    serve(web, p_article=Reply(body=NOAI_HTML.read_bytes(), content_type=content_type))
    data = decided(await live(f"{base(web)}/article"))
    assert data["denied_by"] == denied_by
    assert data["stage"] == "response"


@coroutine_test
async def test_tdmrep_json_reserving_the_path_denies(web):
    serve(web, p_articles_1=PAGE)
    web.add(
        HOST, "/.well-known/tdmrep.json", Reply(body=TDMREP.read_bytes(), content_type="application/json")
    )
    result = await live(f"{base(web)}/articles/1")
    data = decided(result)
    assert result.blocked
    assert data["denied_by"] == ["tdmrep"]
    (tdm,) = [item for item in data["evidence"] if item["source"] == "tdmrep"]
    assert tdm["location"] == f"{base(web)}/.well-known/tdmrep.json rule 0 (location /articles/*)"
    assert hits(web, "/.well-known/tdmrep.json") == 1
    assert hits(web, "/articles/1") == 0  # decided before fetching, as in a crawl
    assert_user_agent_sent(web)


@coroutine_test
async def test_tdmrep_json_answered_with_an_html_soft_404_is_ignored(web):
    serve(web, p_articles_1=PAGE)
    soft_404 = "<!doctype html><html><body><h1>Sorry, page not found</h1></body></html>"
    web.add(HOST, "/.well-known/tdmrep.json", Reply(body=soft_404, content_type="text/html; charset=utf-8"))
    data = decided(await live(f"{base(web)}/articles/1"))
    assert data["allowed"] is True
    # Read as tdmrep.json the page would at least leave a "tdmrep.json not used" note.
    assert "tdmrep" not in sources(data)
    assert hits(web, "/.well-known/tdmrep.json") == 1


@coroutine_test
async def test_robots_txt_503_is_unreachable_and_denies(web):
    serve(web, Reply(status=503, body="busy", content_type="text/plain"), p_article=PAGE)
    data = decided(await live(f"{base(web)}/article", purpose="search"))
    assert data["evidence"][0]["rule"] == "unreachable (HTTP 503)"
    assert data["outcomes"] == {"ai-train": "deny", "ai-input": "deny", "search": "deny"}
    assert hits(web, "/article") == 0


@coroutine_test
async def test_robots_txt_redirect_is_followed(web):
    serve(web, p_private_page=PAGE)
    web.redirect(HOST, "/robots.txt", "/config/robots.txt")
    web.add(HOST, "/config/robots.txt", f"User-agent: {TOKEN}\nDisallow: /private/\n")
    data = decided(await live(f"{base(web)}/private/page"))
    assert data["evidence"][0]["rule"] == "Disallow: /private/"
    assert hits(web, "/robots.txt") == 1
    assert hits(web, "/config/robots.txt") == 1
    assert hits(web, "/private/page") == 0


@coroutine_test
async def test_rsl_licence_named_by_a_link_header_is_fetched_once_and_applied(web):
    licence = f"{base(web)}/licenses/page.xml"
    link = f'<{licence}>; rel="license"; type="application/rsl+xml"'
    serve(web, p_article=Reply(body=PAGE, headers=[("Link", link)]))
    web.add(HOST, "/licenses/page.xml", Reply(body=LICENSE.read_bytes(), content_type="application/rsl+xml"))
    data = decided(await live(f"{base(web)}/article"))
    assert data["outcomes"] == {"ai-train": "deny", "ai-input": "deny", "search": "allow"}
    assert data["denied_by"] == ["rsl"]
    (rsl,) = [item for item in data["evidence"] if item["source"] == "rsl"]
    assert rsl["location"] == f"{licence} (found via the response)"
    assert hits(web, "/licenses/page.xml") == 1
    assert_user_agent_sent(web)


@coroutine_test
async def test_a_licence_robots_txt_names_is_fetched_once_before_the_page(web):
    licence = f"{base(web)}/license.xml"
    serve(web, f"License: {licence}\n\nUser-agent: *\nAllow: /\n", p_article=PAGE)
    web.add(HOST, "/license.xml", Reply(body=LICENSE.read_bytes(), content_type="application/rsl+xml"))
    result = await live(f"{base(web)}/article")
    assert decided(result)["denied_by"] == ["rsl"]
    assert result.blocked
    assert hits(web, "/license.xml") == 1
    assert hits(web, "/article") == 0


@coroutine_test
async def test_a_page_that_cannot_be_fetched_leaves_the_request_stage_decision_and_the_error(web):
    serve(web, p_article=Reply(body=PAGE, headers=[("X-Robots-Tag", "noai")], delay=30))
    result = await live(f"{base(web)}/article", timeout=0.5)
    data = decided(result)
    assert data["allowed"] is True  # the noai header never arrived
    assert data["stage"] == "request"
    assert result.error is not None and "TimeoutError" in result.error
    assert hits(web, "/article") == 1


@coroutine_test
async def test_a_port_that_refuses_connections_is_robots_unreachable(web):
    # A bound socket that never listens: connecting to it is refused, and the port stays ours.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed:
        closed.bind((HOST, 0))
        port = closed.getsockname()[1]
        result = await live(f"http://{HOST}:{port}/article")
    data = decided(result)
    assert data["stage"] == "request"
    assert data["evidence"][0]["source"] == "robots.txt"
    assert data["evidence"][0]["rule"].startswith("unreachable")
    assert web.seen == []


@pytest.mark.parametrize(
    "user_agent",
    [
        pytest.param(TOKEN, id="token"),
        pytest.param("Mozilla/5.0 (compatible; ExampleBot/2.1; +https://bot.example/)", id="full-user-agent"),
    ],
)
@coroutine_test
async def test_the_user_agent_is_sent_on_every_request_and_names_the_token(web, user_agent):
    serve(web, f"User-agent: {TOKEN}\nDisallow: /private/\n", p_article=PAGE)
    data = decided(await live(f"{base(web)}/article", user_agent=user_agent))
    assert data["evidence"][0]["refs"]["token"] == TOKEN
    assert {request.path for request in web.seen} == {"/robots.txt", "/.well-known/tdmrep.json", "/article"}
    assert_user_agent_sent(web, user_agent)


@coroutine_test
async def test_a_priced_page_is_reported_with_its_price_and_never_paid(web, tmp_path, monkeypatch):
    # Even with a project that pays (POLICYGUARD_MAX_PRICE in its settings), a check never does.
    (tmp_path / "paying_settings.py").write_text('POLICYGUARD_MAX_PRICE = "USD 1.00"\n', "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    serve(web, p_paid=Reply(status=402, headers=[("crawler-price", "USD 0.01")], body="Payment Required"))
    result = await live(f"{base(web)}/paid", module="paying_settings")
    data = decided(result)
    assert result.blocked
    assert data["denied_by"] == ["pay-per-crawl"]
    evidence = data["evidence"][-1]
    assert evidence["rule"] == "crawler-price: USD 0.01"
    assert evidence["refs"]["refusal"] == "no-max-price"
    assert hits(web, "/paid") == 1
    assert not any("Crawler-Exact-Price" in s.headers for s in web.seen)


@coroutine_test
async def test_a_projects_feeds_pipelines_and_audit_trail_are_left_untouched(web, tmp_path, monkeypatch):
    # The check borrows how the project fetches, never what its crawl writes: an empty run would
    # truncate the project's feeds (FEED_STORE_EMPTY) and append a run to its audit trail.
    train, audit = tmp_path / "train.jsonl", tmp_path / "audit.jsonl"
    train.write_text('{"kept": 1}\n', "utf-8")
    audit.write_text('{"type": "crawl"}\n', "utf-8")
    (tmp_path / "writing_settings.py").write_text(
        f"FEEDS = {{{str(train)!r}: {{'format': 'jsonlines', 'overwrite': True}}}}\n"
        f"POLICYGUARD_AUDIT_LOG = {str(audit)!r}\n"
        "ITEM_PIPELINES = {'no_such_module.Pipeline': 300}\n"
        "JOBDIR = " + repr(str(tmp_path / "job")) + "\n",
        "utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    serve(web, p_page="<html><body>page</body></html>")
    result = await live(f"{base(web)}/page", module="writing_settings")
    assert decided(result)["allowed"]
    assert train.read_text("utf-8") == '{"kept": 1}\n'
    assert audit.read_text("utf-8") == '{"type": "crawl"}\n'
    assert not (tmp_path / "job").exists()

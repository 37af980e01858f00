"""Tests for ``policyguard check`` (scrapy_policyguard.cli.check), run in-process through ``main()``.

The first half gives the evidence as files (``--robots``, ``--header``, ``--html``, ``--tdmrep``,
``--rsl``, ``--agreement``); the second half reads it over HTTP with ``--fetch`` from a LocalWeb
addressed directly as ``http://127.0.0.1:PORT`` (routes under host ``127.0.0.1``, no proxy).

Exit codes: 0 allowed, 1 denied, 2 bad input. A ``SystemExit`` raised inside ``main()`` is turned
into the status the interpreter would exit with (None 0, an int itself, a message 1).
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scrapy_policyguard.cli.main import main
from scrapy_policyguard.core.engine import check
from scrapy_policyguard.demo.web import LocalWeb, Reply

DATA = Path(__file__).parent / "data" / "check"
ROBOTS_DISALLOW = DATA / "robots-disallow.txt"
ROBOTS_CONTENT_SIGNAL = DATA / "robots-content-signal.txt"
ROBOTS_LICENSE = DATA / "robots-license.txt"
LICENSE = DATA / "license.xml"
NOAI_HTML = DATA / "noai.html"
PLAIN_HTML = DATA / "plain.html"
TDMREP = DATA / "tdmrep.json"

TOKEN = "ExampleBot"
SITE = "https://a.example"
LICENSE_URL = f"{SITE}/license.xml"  # the URL robots-license.txt names
REDDIT = "https://www.reddit.com/r/python/comments/abc/a_post/"
HOST = "127.0.0.1"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.out)


def policyguard(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``policyguard ARGV``: the exit status a shell would see, stdout and stderr."""
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:  # what the interpreter does with SystemExit("message")
            print(exc.code, file=sys.stderr)
            code = 1
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def check_cli(url: str, *options: object, capsys: pytest.CaptureFixture[str]) -> Run:
    return policyguard(["check", url, "--user-agent", TOKEN, *options], capsys)


def sources(data: dict[str, Any]) -> list[str]:
    return [item["source"] for item in data["evidence"]]


# =========================================================================== evidence from files

# --------------------------------------------------------------------------- robots.txt


def test_robots_disallow_for_our_token_denies_with_the_rule_and_its_line(capsys):
    run = check_cli(f"{SITE}/private/report.html", "--robots", ROBOTS_DISALLOW, capsys=capsys)
    assert run.code == 1
    assert run.err == ""
    lines = run.out.splitlines()
    assert lines[0] == f"DENIED: {SITE}/private/report.html"
    assert "  purpose ai-train: deny" in lines
    assert "  all purposes: ai-train=deny, ai-input=deny, search=deny" in lines
    assert "  evidence (request stage):" in lines
    assert "   - [robots.txt] Disallow: /private/" in lines
    assert f"     at {SITE}/robots.txt line 3" in lines


def test_robots_rules_for_our_token_only(capsys):
    """The same file lets another crawler in, and lets us into paths it does not disallow."""
    other = policyguard(
        ["check", f"{SITE}/private/report.html", "--user-agent", "OtherBot", "--robots", ROBOTS_DISALLOW],
        capsys,
    )
    assert other.code == 0
    assert other.out.startswith(f"ALLOWED: {SITE}/private/report.html\n")
    assert "   - [robots.txt] Allow: /" in other.out.splitlines()
    public = check_cli(f"{SITE}/public/", "--robots", ROBOTS_DISALLOW, "--purpose", "search", capsys=capsys)
    assert public.code == 0
    assert "Disallow" not in public.out


def test_a_full_user_agent_string_is_reduced_to_its_product_token(capsys):
    run = policyguard(
        [
            "check",
            f"{SITE}/private/x",
            "--user-agent",
            "Mozilla/5.0 (compatible; ExampleBot/2.1; +https://bot.example/)",
            "--robots",
            ROBOTS_DISALLOW,
        ],
        capsys,
    )
    assert run.code == 1
    assert "   - [robots.txt] Disallow: /private/" in run.out.splitlines()


def test_the_default_token_is_scrapy(capsys, tmp_path):
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: Scrapy\nDisallow: /\n\nUser-agent: *\nAllow: /\n", encoding="utf-8")
    run = policyguard(["check", f"{SITE}/x", "--robots", robots, "--purpose", "search"], capsys)
    assert run.code == 1
    assert "   - [robots.txt] Disallow: /" in run.out.splitlines()


@pytest.mark.parametrize("status", [503, 500, 429])
def test_robots_status_5xx_or_429_is_unreachable_and_denies(capsys, status):
    run = check_cli(f"{SITE}/x", "--robots-status", status, "--purpose", "search", capsys=capsys)
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0] == f"DENIED: {SITE}/x"
    assert f"   - [robots.txt] unreachable (HTTP {status})" in lines
    assert "  all purposes: ai-train=deny, ai-input=deny, search=deny" in lines


def test_robots_status_404_is_unavailable_and_allows(capsys):
    run = check_cli(f"{SITE}/x", "--robots-status", 404, "--purpose", "search", capsys=capsys)
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0] == f"ALLOWED: {SITE}/x"
    assert "  purpose search: allow" in lines
    assert "   - [robots.txt] unavailable (HTTP 404)" in lines


# --------------------------------------------------------------------------- the response


def test_x_robots_tag_header_noai_denies_at_the_response_stage(capsys):
    run = check_cli(f"{SITE}/x", "--header", "X-Robots-Tag: noai", capsys=capsys)
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0] == f"DENIED: {SITE}/x"
    assert "  evidence (response stage):" in lines
    assert "   - [x-robots-tag] X-Robots-Tag: noai" in lines
    assert "     at header X-Robots-Tag" in lines


def test_noai_says_nothing_about_search(capsys):
    run = check_cli(f"{SITE}/x", "--header", "X-Robots-Tag: noai", "--purpose", "search", capsys=capsys)
    assert run.code == 0
    assert "  purpose search: unknown (default for unknown applied)" in run.out.splitlines()


def test_several_headers_all_count(capsys):
    run = check_cli(
        f"{SITE}/x",
        "--header",
        "Content-Type: text/html",
        "--header",
        "x-robots-tag:noarchive",
        "--json",
        capsys=capsys,
    )
    assert run.code == 1
    assert run.json["denied_by"] == ["x-robots-tag"]
    assert run.json["evidence"][0]["rule"] == "X-Robots-Tag: noarchive"


def test_html_meta_noai_denies(capsys):
    run = check_cli(f"{SITE}/article", "--html", NOAI_HTML, capsys=capsys)
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0] == f"DENIED: {SITE}/article"
    assert "  evidence (response stage):" in lines
    assert '   - [html-meta] <meta name="robots" content="noai">' in lines


def test_html_without_statements_allows_by_default(capsys):
    run = check_cli(f"{SITE}/article", "--html", PLAIN_HTML, "--json", capsys=capsys)
    assert run.code == 0
    assert run.json["evidence"] == []
    assert run.json["stage"] == "response"


# --------------------------------------------------------------------------- TDMRep and RSL


def test_tdmrep_file_reserves_a_path(capsys):
    run = check_cli(f"{SITE}/articles/1", "--tdmrep", TDMREP, capsys=capsys)
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0] == f"DENIED: {SITE}/articles/1"
    assert "   - [tdmrep] tdm-reservation: 1" in lines
    assert f"     at {SITE}/.well-known/tdmrep.json rule 0 (location /articles/*)" in lines
    assert f"  conditions: TDM licence terms offered: {SITE}/tdm-policy.json" in lines


def test_tdmrep_file_leaves_other_paths_open(capsys):
    run = check_cli(f"{SITE}/about", "--tdmrep", TDMREP, capsys=capsys)
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0] == f"ALLOWED: {SITE}/about"
    assert "  purpose ai-train: allow" in lines
    assert f"     at {SITE}/.well-known/tdmrep.json rule 1 (location /)" in lines


def test_rsl_licence_named_by_robots_txt(capsys):
    run = check_cli(
        f"{SITE}/x", "--robots", ROBOTS_LICENSE, "--rsl", f"{LICENSE_URL}={LICENSE}", "--json", capsys=capsys
    )
    assert run.code == 1
    data = run.json
    assert data["outcomes"] == {"ai-train": "deny", "ai-input": "deny", "search": "allow"}
    assert data["denied_by"] == ["rsl"]
    (rsl,) = [item for item in data["evidence"] if item["source"] == "rsl"]
    assert rsl["location"] == f"{LICENSE_URL} (found via robots.txt)"
    assert rsl["refs"]["document"] == LICENSE_URL
    search = check_cli(
        f"{SITE}/x",
        "--robots",
        ROBOTS_LICENSE,
        "--rsl",
        f"{LICENSE_URL}={LICENSE}",
        "--purpose",
        "search",
        capsys=capsys,
    )
    assert search.code == 0


def test_rsl_licence_named_but_not_given_is_only_a_note(capsys):
    run = check_cli(f"{SITE}/x", "--robots", ROBOTS_LICENSE, capsys=capsys)
    assert run.code == 0
    lines = run.out.splitlines()
    assert f"   - [rsl] licence {LICENSE_URL}" in lines
    assert "     not used: licence document not supplied" in lines


def test_rsl_for_a_url_robots_txt_does_not_name_is_not_used(capsys):
    run = check_cli(
        f"{SITE}/x",
        "--robots",
        ROBOTS_LICENSE,
        "--rsl",
        f"{SITE}/other-licence.xml={LICENSE}",
        "--json",
        capsys=capsys,
    )
    assert run.code == 0
    assert run.json["denied_by"] == []


# --------------------------------------------------------------------------- platform terms


def test_reddit_terms_deny_ai_training_without_an_agreement(capsys):
    run = check_cli(REDDIT, "--purpose", "ai-train", capsys=capsys)
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0] == f"DENIED: {REDDIT}"
    assert "   - [terms] Reddit terms: deny ai-train" in lines
    assert "     pack: reddit" in lines


def test_an_agreement_with_reddit_lifts_the_terms_denial(capsys):
    run = check_cli(REDDIT, "--purpose", "ai-train", "--agreement", "reddit=DEAL-2026-01", capsys=capsys)
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0] == f"ALLOWED: {REDDIT}"
    assert "  purpose ai-train: allow" in lines
    assert "  conditions: under agreement 'DEAL-2026-01' with Reddit" in lines
    assert "     agreement: DEAL-2026-01" in lines
    assert "=> ai-train=deny" not in run.out


def test_an_agreement_with_another_platform_lifts_nothing(capsys):
    run = check_cli(REDDIT, "--purpose", "ai-train", "--agreement", "x=DEAL-2026-01", capsys=capsys)
    assert run.code == 1
    assert "DEAL-2026-01" not in run.out


# --------------------------------------------------------------------------- purposes and --unknown


def test_content_signal_allows_search_and_denies_ai_training(capsys):
    search = check_cli(f"{SITE}/x", "--robots", ROBOTS_CONTENT_SIGNAL, "--purpose", "search", capsys=capsys)
    train = check_cli(f"{SITE}/x", "--robots", ROBOTS_CONTENT_SIGNAL, "--purpose", "ai-train", capsys=capsys)
    assert (search.code, train.code) == (0, 1)
    assert search.out.startswith(f"ALLOWED: {SITE}/x\n")
    assert "  purpose search: allow" in search.out.splitlines()
    assert train.out.startswith(f"DENIED: {SITE}/x\n")
    assert "  purpose ai-train: deny" in train.out.splitlines()
    for run in (search, train):
        assert "   - [content-signal] Content-Signal: search=yes, ai-train=no" in run.out.splitlines()
        assert "  all purposes: ai-train=deny, ai-input=unknown, search=allow" in run.out.splitlines()


def test_unknown_deny_turns_an_unknown_outcome_into_a_denial(capsys):
    default = check_cli(
        f"{SITE}/x", "--robots", ROBOTS_CONTENT_SIGNAL, "--purpose", "ai-input", capsys=capsys
    )
    strict = check_cli(
        f"{SITE}/x",
        "--robots",
        ROBOTS_CONTENT_SIGNAL,
        "--purpose",
        "ai-input",
        "--unknown",
        "deny",
        capsys=capsys,
    )
    assert (default.code, strict.code) == (0, 1)
    assert default.out.startswith("ALLOWED: ")
    assert strict.out.startswith("DENIED: ")
    for run in (default, strict):
        assert "  purpose ai-input: unknown (default for unknown applied)" in run.out.splitlines()


def test_unknown_deny_leaves_a_known_allow_alone(capsys):
    run = check_cli(
        f"{SITE}/x",
        "--robots",
        ROBOTS_CONTENT_SIGNAL,
        "--purpose",
        "search",
        "--unknown",
        "deny",
        capsys=capsys,
    )
    assert run.code == 0


def test_unknown_purpose_exits_2_and_lists_the_valid_purposes(capsys):
    run = check_cli(f"{SITE}/x", "--purpose", "ai-everything", capsys=capsys)
    assert run.code == 2
    assert run.out == ""
    assert "unknown purpose 'ai-everything'" in run.err
    assert "ai-train, ai-input, search" in run.err


def test_a_user_agent_without_a_product_token_exits_2(capsys):
    run = policyguard(["check", f"{SITE}/x", "--user-agent", "42"], capsys)
    assert run.code == 2
    assert run.out == ""
    assert "product token" in run.err


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(["--unknown", "maybe"], id="unknown"),
        pytest.param(["--robots-status", "five-oh-three"], id="robots-status"),
    ],
)
def test_argparse_rejects_bad_option_values_with_2(capsys, options):
    run = check_cli(f"{SITE}/x", *options, capsys=capsys)
    assert run.code == 2
    assert run.out == ""
    assert options[0] in run.err


# --------------------------------------------------------------------------- --json


def test_json_equals_check_to_dict_for_the_same_inputs(capsys):
    url = f"{SITE}/articles/7"
    headers = [("X-Robots-Tag", "noarchive"), ("Content-Type", "text/html; charset=utf-8")]
    run = check_cli(
        url,
        "--purpose",
        "search",
        "--robots",
        ROBOTS_LICENSE,
        "--header",
        "X-Robots-Tag: noarchive",
        "--header",
        "Content-Type: text/html; charset=utf-8",
        "--html",
        NOAI_HTML,
        "--tdmrep",
        TDMREP,
        "--rsl",
        f"{LICENSE_URL}={LICENSE}",
        "--json",
        capsys=capsys,
    )
    expected = check(
        url,
        purpose="search",
        user_agent=TOKEN,
        robots_txt=ROBOTS_LICENSE.read_bytes(),
        robots_status=200,
        headers=headers,
        html=NOAI_HTML.read_bytes(),
        tdmrep=TDMREP.read_bytes(),
        rsl={LICENSE_URL: LICENSE.read_bytes()},
    )
    assert run.err == ""
    assert run.out.endswith("}\n")
    assert run.json == expected.to_dict()
    # every kind of input was read, so the comparison covers them all
    assert set(sources(run.json)) == {"robots.txt", "tdmrep", "rsl", "x-robots-tag", "html-meta"}
    assert run.code == (0 if expected.allowed else 1) == 0


def test_json_for_a_denial_exits_1(capsys):
    run = check_cli(f"{SITE}/private/x", "--robots", ROBOTS_DISALLOW, "--json", capsys=capsys)
    assert run.code == 1
    data = run.json
    assert (data["allowed"], data["outcome"], data["stage"]) == (False, "deny", "request")
    assert data["evidence"][0]["location"] == f"{SITE}/robots.txt line 3"
    assert (
        data == check(f"{SITE}/private/x", user_agent=TOKEN, robots_txt=ROBOTS_DISALLOW.read_text()).to_dict()
    )


# --------------------------------------------------------------------------- bad option syntax

BAD_SYNTAX = [
    pytest.param(["--header", "X-Robots-Tag noai"], '--header expects "Name: value"', id="header-no-colon"),
    pytest.param(["--header", ": noai"], '--header expects "Name: value"', id="header-no-name"),
    pytest.param(["--rsl", str(LICENSE)], "--rsl expects KEY=VALUE", id="rsl-no-equals"),
    pytest.param(["--rsl", f"={LICENSE}"], "--rsl expects KEY=VALUE", id="rsl-no-url"),
    pytest.param(["--agreement", "reddit"], "--agreement expects KEY=VALUE", id="agreement-no-equals"),
    pytest.param(["--agreement", "=DEAL-1"], "--agreement expects KEY=VALUE", id="agreement-no-id"),
]


@pytest.mark.parametrize(("options", "message"), BAD_SYNTAX)
def test_bad_syntax_stops_with_a_message(capsys, options, message):
    run = check_cli(REDDIT, *options, capsys=capsys)
    assert run.code != 0
    assert run.out == ""  # no verdict is printed
    assert message in run.err
    assert repr(options[1]) in run.err


@pytest.mark.parametrize(("options", "message"), BAD_SYNTAX)
def test_bad_syntax_exits_2(capsys, options, message):
    run = check_cli(REDDIT, *options, capsys=capsys)
    assert message in run.err
    assert run.code == 2


# =========================================================================== --fetch over HTTP


ROBOTS_OPEN = "User-agent: *\nAllow: /\n"
PAGE = "<!doctype html><html><head><title>Page</title></head><body><p>Text.</p></body></html>"


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalWeb]:
    """A LocalWeb addressed directly; no proxy variable may send urllib elsewhere."""
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


def fetch_cli(url: str, *options: object, capsys: pytest.CaptureFixture[str]) -> Run:
    return check_cli(url, "--fetch", "--timeout", 5, "--json", *options, capsys=capsys)


def assert_user_agent_sent(web: LocalWeb, expected: str = TOKEN) -> None:
    seen = web.seen
    assert seen, "the server saw no request"
    for request in seen:
        assert expected in request.headers.get("User-Agent", ""), (request.path, request.headers)


def test_fetch_robots_disallow_denies_and_the_page_is_not_fetched(web, capsys):
    serve(web, f"User-agent: {TOKEN}\nDisallow: /private/\n\nUser-agent: *\nAllow: /\n", p_private_page=PAGE)
    run = fetch_cli(f"{base(web)}/private/page", capsys=capsys)
    assert run.code == 1
    data = run.json
    assert (data["allowed"], data["stage"]) == (False, "request")
    assert data["evidence"][0]["rule"] == "Disallow: /private/"
    assert data["evidence"][0]["location"] == f"{base(web)}/robots.txt line 2"
    assert hits(web, "/robots.txt") == 1
    assert hits(web, "/private/page") == 0
    assert_user_agent_sent(web)


def test_fetch_allowed_page_with_x_robots_tag_noai_is_denied_at_the_response_stage(web, capsys):
    serve(web, p_article=Reply(body=PAGE, headers=[("X-Robots-Tag", "noai")]))
    run = fetch_cli(f"{base(web)}/article", capsys=capsys)
    assert run.code == 1
    data = run.json
    assert data["stage"] == "response"
    assert data["denied_by"] == ["x-robots-tag"]
    assert data["evidence"][0]["rule"] == "Allow: /"  # robots.txt let us fetch it
    assert hits(web, "/article") == 1
    assert_user_agent_sent(web)


def test_fetch_a_page_with_no_statement_is_allowed_with_the_text_verdict(web, capsys):
    serve(web, p_article=PAGE)
    url = f"{base(web)}/article"
    run = check_cli(url, "--fetch", "--timeout", 5, capsys=capsys)
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0] == f"ALLOWED: {url}"
    assert "  evidence (response stage):" in lines
    assert hits(web, "/article") == 1


@pytest.mark.parametrize(
    ("content_type", "code", "denied_by"),
    [
        pytest.param("text/html; charset=utf-8", 1, ["html-meta"], id="html"),
        pytest.param("text/plain; charset=utf-8", 0, [], id="not-html"),
    ],
)
def test_fetch_reads_the_meta_tags_of_an_html_page_only(web, capsys, content_type, code, denied_by):
    serve(web, p_article=Reply(body=NOAI_HTML.read_bytes(), content_type=content_type))
    run = fetch_cli(f"{base(web)}/article", capsys=capsys)
    assert run.code == code
    assert run.json["denied_by"] == denied_by
    assert run.json["stage"] == "response"


def test_fetch_tdmrep_json_reserving_the_path_denies(web, capsys):
    serve(web, p_articles_1=PAGE)
    web.add(
        HOST, "/.well-known/tdmrep.json", Reply(body=TDMREP.read_bytes(), content_type="application/json")
    )
    run = fetch_cli(f"{base(web)}/articles/1", capsys=capsys)
    assert run.code == 1
    data = run.json
    assert data["denied_by"] == ["tdmrep"]
    (tdm,) = [item for item in data["evidence"] if item["source"] == "tdmrep"]
    assert tdm["location"] == f"{base(web)}/.well-known/tdmrep.json rule 0 (location /articles/*)"
    assert hits(web, "/.well-known/tdmrep.json") == 1
    assert_user_agent_sent(web)


def test_fetch_tdmrep_json_answered_with_an_html_soft_404_is_ignored(web, capsys):
    serve(web, p_articles_1=PAGE)
    soft_404 = "<!doctype html><html><body><h1>Sorry, page not found</h1></body></html>"
    web.add(HOST, "/.well-known/tdmrep.json", Reply(body=soft_404, content_type="text/html; charset=utf-8"))
    run = fetch_cli(f"{base(web)}/articles/1", capsys=capsys)
    assert run.code == 0
    # Read as tdmrep.json the page would at least leave a "tdmrep.json not used" note.
    assert "tdmrep" not in sources(run.json)
    assert hits(web, "/.well-known/tdmrep.json") == 1


def test_fetch_robots_txt_503_is_unreachable_and_denies(web, capsys):
    serve(web, Reply(status=503, body="busy", content_type="text/plain"), p_article=PAGE)
    run = fetch_cli(f"{base(web)}/article", "--purpose", "search", capsys=capsys)
    assert run.code == 1
    data = run.json
    assert data["evidence"][0]["rule"] == "unreachable (HTTP 503)"
    assert data["outcomes"] == {"ai-train": "deny", "ai-input": "deny", "search": "deny"}
    assert hits(web, "/article") == 0


def test_fetch_robots_txt_redirect_is_followed(web, capsys):
    serve(web, p_private_page=PAGE)
    web.redirect(HOST, "/robots.txt", "/config/robots.txt")
    web.add(HOST, "/config/robots.txt", f"User-agent: {TOKEN}\nDisallow: /private/\n")
    run = fetch_cli(f"{base(web)}/private/page", capsys=capsys)
    assert run.code == 1
    assert run.json["evidence"][0]["rule"] == "Disallow: /private/"
    assert hits(web, "/robots.txt") == 1
    assert hits(web, "/config/robots.txt") == 1
    assert hits(web, "/private/page") == 0


def test_fetch_rsl_licence_named_by_a_link_header_is_fetched_and_applied(web, capsys):
    licence = f"{base(web)}/licenses/page.xml"
    link = f'<{licence}>; rel="license"; type="application/rsl+xml"'
    serve(web, p_article=Reply(body=PAGE, headers=[("Link", link)]))
    web.add(HOST, "/licenses/page.xml", Reply(body=LICENSE.read_bytes(), content_type="application/rsl+xml"))
    run = fetch_cli(f"{base(web)}/article", capsys=capsys)
    assert run.code == 1
    data = run.json
    assert data["outcomes"] == {"ai-train": "deny", "ai-input": "deny", "search": "allow"}
    assert data["denied_by"] == ["rsl"]
    (rsl,) = [item for item in data["evidence"] if item["source"] == "rsl"]
    assert rsl["location"] == f"{licence} (found via the response)"
    assert hits(web, "/licenses/page.xml") == 1
    assert_user_agent_sent(web)


def test_fetch_a_licence_given_with_rsl_is_not_fetched(web, capsys):
    licence = f"{base(web)}/license.xml"
    serve(web, f"License: {licence}\n\nUser-agent: *\nAllow: /\n", p_article=PAGE)
    run = fetch_cli(f"{base(web)}/article", "--rsl", f"{licence}={LICENSE}", capsys=capsys)
    assert run.code == 1
    assert run.json["denied_by"] == ["rsl"]
    assert hits(web, "/license.xml") == 0


def test_fetch_a_page_that_cannot_be_fetched_leaves_the_request_stage_decision_and_a_note(web, capsys):
    serve(web, p_article=Reply(body=PAGE, headers=[("X-Robots-Tag", "noai")], delay=30))
    run = check_cli(f"{base(web)}/article", "--fetch", "--timeout", 0.5, capsys=capsys)
    assert run.code == 0  # the noai header never arrived
    assert "  evidence (request stage):" in run.out.splitlines()
    assert "note: the page could not be fetched" in run.err
    assert "request-time decision only" in run.err
    assert hits(web, "/article") == 1


def test_fetch_from_a_port_that_refuses_connections_is_robots_unreachable(web, capsys):
    # A bound socket that never listens: connecting to it is refused, and the port stays ours.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed:
        closed.bind((HOST, 0))
        port = closed.getsockname()[1]
        run = check_cli(f"http://{HOST}:{port}/article", "--fetch", "--timeout", 5, "--json", capsys=capsys)
    assert run.code == 1
    data = run.json
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
def test_fetch_sends_the_user_agent_on_every_request(web, capsys, user_agent):
    serve(web, p_article=PAGE)
    run = policyguard(["check", f"{base(web)}/article", "--fetch", "--user-agent", user_agent], capsys)
    assert run.code == 0
    assert {request.path for request in web.seen} == {"/robots.txt", "/.well-known/tdmrep.json", "/article"}
    assert_user_agent_sent(web, user_agent)

"""Tests for ``policyguard check`` (scrapy_policyguard.cli.check), run in-process through ``main()``.

Most give the evidence as files (``--robots``, ``--header``, ``--html``, ``--tdmrep``, ``--rsl``,
``--agreement``); the last few run ``--fetch`` in a subprocess against a LocalWeb addressed directly
as ``http://127.0.0.1:PORT`` (routes under host ``127.0.0.1``, no proxy).

Exit codes: 0 allowed, 1 denied, 2 bad input. A ``SystemExit`` raised inside ``main()`` is turned
into the status the interpreter would exit with (None 0, an int itself, a message 1).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from commands import Run, installed, policyguard

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


# =========================================================================== --fetch: the command itself
# The crawl it runs is tested in-process in tests/adapters/test_live_check.py; these run the
# command in a subprocess, as a user does (Scrapy's reactor cannot start twice in one process).


def run_command(*argv: object) -> Run:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "no_proxy", "all_proxy")}
    return installed(*argv, env=env)


@pytest.fixture
def site() -> Iterator[LocalWeb]:
    with LocalWeb() as web:
        web.add(HOST, "/robots.txt", f"User-agent: {TOKEN}\nDisallow: /private/\n")
        web.add(
            HOST, "/article", Reply(body="<html><body>x</body></html>", headers=[("X-Robots-Tag", "noai")])
        )
        yield web


def test_fetch_prints_the_crawl_decision_and_exits_1_when_denied(site):
    url = f"http://{site.address}/article"
    run = run_command("check", url, "--fetch", "--user-agent", TOKEN, "--json", "--timeout", 5)
    assert run.code == 1, run.err
    assert (run.json["stage"], run.json["denied_by"]) == ("response", ["x-robots-tag"])
    assert site.count(site.address, "/robots.txt") == 1


def test_fetch_text_verdict_of_a_page_robots_txt_disallows(site):
    url = f"http://{site.address}/private/page"
    run = run_command("check", url, "--fetch", "--user-agent", TOKEN)
    assert run.code == 1, run.err
    assert run.out.splitlines()[0] == f"DENIED: {url}"
    assert "  evidence (request stage):" in run.out.splitlines()
    assert site.count(site.address, "/private/page") == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(["--html", PLAIN_HTML], "--html are for offline checks", id="offline-file"),
        pytest.param(["--purpose", "nope"], "POLICYGUARD_PURPOSE='nope'", id="bad-purpose"),
        pytest.param(["--rules", "/no/such/pack.yaml"], "rule pack error", id="missing-pack"),
    ],
)
def test_fetch_bad_options_exit_2_before_anything_is_fetched(site, options, message):
    run = run_command("check", f"http://{site.address}/article", "--fetch", *options)
    assert run.code == 2
    assert message in run.err
    assert site.seen == []


# --------------------------------------------------------------------------- paywalls and blocklists

PAYWALLED_HTML = (
    '<html><head><script type="application/ld+json">{"@type": "NewsArticle", "isAccessibleForFree": false}'
    "</script></head><body>p</body></html>"
)


def test_a_declared_paywall_denies_ai_use_unless_told_otherwise(capsys, tmp_path):
    html = tmp_path / "page.html"
    html.write_text(PAYWALLED_HTML, "utf-8")
    denied = check_cli(f"{SITE}/story", "--html", html, "--json", capsys=capsys)
    assert denied.code == 1 and denied.json["denied_by"] == ["paywall"]
    tagged = check_cli(f"{SITE}/story", "--html", html, "--paywall", "tag", "--json", capsys=capsys)
    assert tagged.code == 0 and any("paywalled" in c for c in tagged.json["conditions"])
    assert check_cli(f"{SITE}/story", "--html", html, "--paywall", "ignore", capsys=capsys).code == 0


def test_a_blocklisted_host_is_denied_with_file_and_line(capsys, tmp_path):
    listed = tmp_path / "infringing.txt"
    listed.write_text("# list\na.example\n", "utf-8")
    run = check_cli(f"{SITE}/x", "--blocklist", listed, "--json", capsys=capsys)
    assert run.code == 1 and run.json["denied_by"] == ["blocklist"]
    assert run.json["evidence"][0]["location"] == f"{listed} line 2"
    listed.write_text("https://a.example/\n", "utf-8")
    broken = check_cli(f"{SITE}/x", "--blocklist", listed, capsys=capsys)
    assert broken.code == 2 and f"{listed}:1:" in broken.err

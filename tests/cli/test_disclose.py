"""``policyguard disclose`` run as a user runs it: inside a copy of example_project, reading the
project's settings and its spiders' own settings, in each of its three formats."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from commands import Run, installed
from crawling import PageStructure

from scrapy_policyguard.cli.demo import find_project

XMP = "IPTC Data Mining in the XMP metadata of an image or video (plus:DataMining)"
C2PA = "Content Credentials: the CAWG training-and-data-mining assertion of a media file's C2PA manifest"


def disclose(cwd: Path, *args: str) -> Run:
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    return installed("disclose", *args, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("disclose") / "example_project"
    shutil.copytree(find_project(), copy, ignore=shutil.ignore_patterns("__pycache__", "out"))
    return copy


def test_json_describes_the_project_as_its_crawls_run(project: Path) -> None:
    done = disclose(project, "--format", "json")
    assert done.code == 0, done.err
    data = json.loads(done.out)
    [crawler] = data["crawlers"]
    assert crawler["token"] == "ExampleDataBot"
    assert crawler["user_agent"] == "ExampleDataBot/1.0 (+https://example.org/bot)"
    # Each spider's custom_settings apply, as in `scrapy crawl`.
    assert {s["name"]: s["purpose"] for s in crawler["spiders"]} == {
        "demo": "ai-train",
        "search_demo": "search",
    }
    assert [p["purpose"] for p in data["purposes"]] == ["ai-train", "search"]
    assert data["contact"] == "crawler@example.org"
    assert data["robots_txt"]["refresh_seconds"] == 86400
    assert data["paywall"] == "deny"
    [listed] = data["blocklists"]
    assert listed["entries"] == 1 and listed["file"].endswith("infringing-sites.txt")
    assert {"x", "reddit", "wikipedia"} <= {p["id"] for p in data["rule_packs"]}
    assert all(p["reviewed"] for p in data["rule_packs"])
    ai_train = {w["signal"]: w["example"] for w in data["opt_out"]["ai-train"]}
    assert ai_train["robots.txt, our product token"] == "User-agent: ExampleDataBot\nDisallow: /"
    assert "User-agent: GPTBot" in ai_train["robots.txt, a group for AI crawlers (read as a reservation)"]
    assert ai_train["Content-Signal (robots.txt)"] == "Content-Signal: ai-train=no"
    assert ai_train["Content-Usage, IETF AIPREF (robots.txt or HTTP header)"] == "Content-Usage: train-ai=n"
    search = {w["signal"] for w in data["opt_out"]["search"]}
    assert "paywall markup (schema.org)" not in search and "DisallowAITraining (robots.txt)" not in search
    # The project downloads files (FilesPipeline) and reads what they embed: XMP, and C2PA manifests
    # where c2pa-python is installed (it is in the test environment).
    assert ai_train[XMP] == (
        '<rdf:Description xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"\n'
        '  plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"/>'
    )
    assert json.loads(ai_train[C2PA]) == {
        "label": "cawg.training-mining",
        "data": {
            "entries": {
                name: {"use": "notAllowed"}
                for name in ("cawg.ai_generative_training", "cawg.ai_training", "cawg.data_mining")
            }
        },
    }
    ai_input = {w["signal"]: w["example"] for w in data["opt_out"]["ai-input"]}
    assert ai_input[XMP].endswith(
        'plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"/>'
    )
    assert set(json.loads(ai_input[C2PA])["data"]["entries"]) == {"cawg.ai_inference", "cawg.data_mining"}
    assert C2PA not in search  # no CAWG entry speaks about search
    assert data["code_of_practice"]["measure"] == "Code of Practice (copyright) Measure 1.3 (4)"


@pytest.mark.parametrize(("readers", "signals"), [("['xmp']", {XMP}), ("[]", set())])
def test_media_statements_are_listed_only_where_the_crawl_reads_them(
    project: Path, tmp_path: Path, readers: str, signals: set[str]
) -> None:
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    settings = copy / "example_project" / "settings.py"
    settings.write_text(settings.read_text("utf-8") + f"\nPOLICYGUARD_MEDIA_READERS = {readers}\n", "utf-8")
    done = disclose(copy, "--format", "json")
    assert done.code == 0, done.err
    listed = {w["signal"] for ways in json.loads(done.out)["opt_out"].values() for w in ways}
    assert listed & {XMP, C2PA} == signals


def test_markdown_and_html_render_the_same_page(project: Path, tmp_path: Path) -> None:
    markdown = disclose(project)
    assert markdown.code == 0, markdown.err
    text = markdown.out
    assert text.startswith("# ExampleDataBot: how this crawler works and how to opt out")
    assert "Fetched again every 24 hours" in text and "crawler@example.org" in text
    assert "`reddit` (Reddit), reviewed" in text and "### `ai-input`" in text
    assert f"- {XMP}:" in text
    page = tmp_path / "crawler.html"
    done = disclose(project, "--format", "html", "--spider", "search_demo", "-o", str(page))
    assert done.code == 0 and done.out == "", done.err
    html = page.read_text("utf-8")
    structure = PageStructure(html)
    assert structure.external == [] and structure.tags["script"] == 0
    assert "ExampleDataBot" in html and "search_demo (search)" in html and "demo (ai-train)" not in html


def test_outside_a_project_or_with_a_bad_setting_it_says_why(project: Path, tmp_path: Path) -> None:
    done = disclose(tmp_path)
    assert done.code == 2 and "not inside a Scrapy project" in done.err
    assert disclose(project, "--spider", "nope").err.strip().endswith("no spider 'nope' in this project")
    broken = tmp_path / "broken"
    shutil.copytree(project, broken)
    settings = broken / "example_project" / "settings.py"
    settings.write_text(settings.read_text("utf-8") + "\nPOLICYGUARD_PAYWALL = 'sometimes'\n", "utf-8")
    done = disclose(broken)
    assert done.code == 2 and "POLICYGUARD_PAYWALL='sometimes'" in done.err


def test_spiders_that_are_different_crawlers_get_one_page_each(project: Path, tmp_path: Path) -> None:
    # A spider announcing another product token is another crawler: the page cannot state one
    # token, and its opt-out lines, for both.
    other = tmp_path / "two_crawlers"
    shutil.copytree(project, other)
    spider = other / "example_project" / "spiders" / "other_bot.py"
    spider.write_text(
        "import scrapy\n\n\nclass OtherBot(scrapy.Spider):\n"
        '    name = "other_bot"\n'
        '    custom_settings = {"USER_AGENT": "OtherBot/1.0", "POLICYGUARD_USER_AGENT": "OtherBot"}\n',
        "utf-8",
    )
    done = disclose(other)
    assert done.code == 2 and "differ in product token" in done.err and "--spider NAME" in done.err
    alone = disclose(other, "--spider", "other_bot", "--format", "json")
    assert alone.code == 0, alone.err
    assert [c["token"] for c in alone.json["crawlers"]] == ["OtherBot"]

"""Real crawls where items carry their policy: tagged, dropped, routed to feeds, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import scrapy
from crawling import coroutine_test, guard_stats, read_audit
from item_types import ArticleItem, AttrsItem, BareItem, DataItem, FrozenItem

from scrapy_policyguard import policy_feeds
from scrapy_policyguard.demo.web import Reply

PAGE = "<html><head>{head}</head><body><h1>{title}</h1>{body}</body></html>"


def make_item(kind: str, url: str, title: str) -> Any:
    if kind == "dict":
        return {"url": url, "title": title}
    return {
        "item": ArticleItem,
        "bare": BareItem,
        "dataclass": DataItem,
        "frozen": FrozenItem,
        "attrs": AttrsItem,
    }[kind](url=url, title=title)


class ItemSpider(scrapy.Spider):
    name = "items"

    def __init__(self, urls: list[str] | None = None, kind: str = "dict", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls or []
        self.kind = kind

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):  # type: ignore[no-untyped-def]
        yield make_item(self.kind, response.url, response.css("h1::text").get())


def mixed_site(web) -> list[str]:  # type: ignore[no-untyped-def]
    web.add("art.test", "/robots.txt", "User-agent: *\nAllow: /\n")
    web.add("art.test", "/open", PAGE.format(head="", title="Open", body=""))
    web.add(
        "art.test",
        "/noai-header",
        Reply(body=PAGE.format(head="", title="Header", body=""), headers=[("X-Robots-Tag", "noai")]),
    )
    web.add(
        "art.test",
        "/noai-meta",
        PAGE.format(head='<meta name="robots" content="noai">', title="Meta", body=""),
    )
    web.add(
        "art.test",
        "/tdm",
        PAGE.format(head='<meta name="tdm-reservation" content="1">', title="TDM", body=""),
    )
    return [web.url("art.test", p) for p in ("/open", "/noai-header", "/noai-meta", "/tdm")]


def feeds(tmp_path: Path) -> dict[str, Any]:
    return policy_feeds(str(tmp_path / "train.jsonl"), str(tmp_path / "quarantine.jsonl"))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


@pytest.mark.parametrize("kind", ["dict", "item", "dataclass", "attrs"])
@coroutine_test
async def test_tag_action_tags_every_item_type_and_feeds_route_them(
    web, crawl, tmp_path: Path, kind: str
) -> None:
    urls = mixed_site(web)
    settings = {"POLICYGUARD_ITEM_ACTION": "tag", "FEEDS": feeds(tmp_path)}
    crawler = await crawl(ItemSpider, settings=settings, urls=urls, kind=kind)
    train = read_jsonl(tmp_path / "train.jsonl")
    quarantine = read_jsonl(tmp_path / "quarantine.jsonl")
    assert [i["url"] for i in train] == [urls[0]]
    assert sorted(i["url"] for i in quarantine) == sorted(urls[1:])
    for item in train:
        tag = item["policyguard"]
        assert tag["allowed"] is True and tag["outcome"] == "unknown"
        assert tag["purpose"] == "ai-train" and tag["source_url"] == item["url"]
        assert len(tag["fingerprint"]) == 32
    reasons = {i["url"]: " ".join(i["policyguard"]["reasons"]) for i in quarantine}
    assert "x-robots-tag: X-Robots-Tag: noai" in reasons[urls[1]]
    assert 'html-meta: <meta name="robots" content="noai">' in reasons[urls[2]]
    assert "tdmrep: tdm-reservation: 1" in reasons[urls[3]]
    stats = guard_stats(crawler)
    assert stats["policyguard/items/seen"] == 4 == stats["policyguard/items/kept"]
    assert stats["policyguard/items/denied"] == 3
    assert "policyguard/items/dropped" not in stats


@pytest.mark.parametrize("kind", ["bare", "frozen"])
@coroutine_test
async def test_items_that_cannot_take_the_field_still_route_and_never_fail(
    web, crawl, tmp_path: Path, kind: str, caplog
) -> None:
    urls = mixed_site(web)
    settings = {"POLICYGUARD_ITEM_ACTION": "tag", "FEEDS": feeds(tmp_path)}
    crawler = await crawl(ItemSpider, settings=settings, urls=urls, kind=kind)
    assert [i["url"] for i in read_jsonl(tmp_path / "train.jsonl")] == [urls[0]]
    assert len(read_jsonl(tmp_path / "quarantine.jsonl")) == 3
    assert "cannot take the 'policyguard' field" in caplog.text
    assert crawler.stats.get_value("item_scraped_count") == 4


@coroutine_test
async def test_drop_is_the_default_for_ai_train_and_every_drop_is_audited(web, crawl, tmp_path: Path) -> None:
    urls = mixed_site(web)
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        ItemSpider, settings={"POLICYGUARD_AUDIT_LOG": str(audit), "FEEDS": feeds(tmp_path)}, urls=urls
    )
    assert [i["url"] for i in read_jsonl(tmp_path / "train.jsonl")] == [urls[0]]
    assert read_jsonl(tmp_path / "quarantine.jsonl") == []
    records = read_audit(audit)
    dropped = [r for r in records if r["record"] == "item"]
    assert sorted(r["url"] for r in dropped) == sorted(urls[1:])
    assert all(r["action"] == "dropped" and len(r["fingerprint"]) == 32 for r in dropped)
    stats = guard_stats(crawler)
    # Nothing lost: every item is kept or dropped, and every drop is in the audit trail.
    assert (
        stats["policyguard/items/seen"]
        == stats["policyguard/items/kept"] + stats["policyguard/items/dropped"]
    )
    assert stats["policyguard/items/dropped"] == len(dropped) == crawler.stats.get_value("item_dropped_count")
    assert stats["policyguard/items/dropped/x-robots-tag"] == 1
    assert stats["policyguard/items/dropped/html-meta"] == 1
    assert stats["policyguard/items/dropped/tdmrep"] == 1
    assert records[-1]["stats"] == stats
    assert records[-1]["origins"]["http://art.test"]["items_dropped"] == 3


@coroutine_test
async def test_search_purpose_tags_instead_of_dropping(web, crawl, tmp_path: Path) -> None:
    urls = mixed_site(web)
    crawler = await crawl(ItemSpider, settings={"POLICYGUARD_PURPOSE": "search"}, urls=urls)
    stats = guard_stats(crawler)
    assert stats["policyguard/items/kept"] == 4 and stats["policyguard/items/allowed"] == 4


@coroutine_test
async def test_items_from_start_have_unknown_provenance(web, crawl, tmp_path: Path) -> None:
    class StartItems(scrapy.Spider):
        name = "start-items"

        async def start(self):  # type: ignore[no-untyped-def]
            yield {"url": None, "title": "from nowhere"}

    crawler = await crawl(
        StartItems,
        settings={"POLICYGUARD_UNKNOWN": "deny", "POLICYGUARD_AUDIT_LOG": str(tmp_path / "a.jsonl")},
    )
    stats = guard_stats(crawler)
    assert stats["policyguard/items/unknown_provenance"] == 1
    assert stats["policyguard/items/dropped/unknown-provenance"] == 1
    record = next(r for r in read_audit(tmp_path / "a.jsonl") if r["record"] == "item")
    assert record["provenance"] == "unknown"


@coroutine_test
async def test_allow_with_conditions_reaches_the_item_tag(web, crawl, tmp_path: Path) -> None:
    web.add("en.wikipedia.org", "/robots.txt", "User-agent: *\nAllow: /\n")
    web.add("en.wikipedia.org", "/wiki/Scrapy", PAGE.format(head="", title="Scrapy", body=""))
    url = web.url("en.wikipedia.org", "/wiki/Scrapy")
    settings = {"POLICYGUARD_ITEM_ACTION": "tag", "FEEDS": feeds(tmp_path)}
    await crawl(ItemSpider, settings=settings, urls=[url])
    [item] = read_jsonl(tmp_path / "train.jsonl")
    tag = item["policyguard"]
    assert tag["outcome"] == "allow"
    assert "attribution" in tag["conditions"] and "share-alike (CC BY-SA 4.0)" in tag["conditions"]
    assert tag["rule_packs"][0]["id"] == "wikipedia"


@coroutine_test
async def test_images_with_noimageai_are_listed_as_denied_files(web, crawl, tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    png = (Path(__file__).parent / "data" / "pixel.png").read_bytes()
    web.add("gallery.test", "/robots.txt", "User-agent: *\nAllow: /\n")
    web.add("gallery.test", "/work", PAGE.format(head="", title="Work", body=""))
    web.add("gallery.test", "/free.png", Reply(body=png, content_type="image/png"))
    web.add(
        "gallery.test",
        "/noai.png",
        Reply(body=png, content_type="image/png", headers=[("X-Robots-Tag", "noimageai")]),
    )

    class ImageSpider(ItemSpider):
        def parse(self, response):  # type: ignore[no-untyped-def]
            yield {
                "url": response.url,
                "image_urls": [web.url("gallery.test", "/free.png"), web.url("gallery.test", "/noai.png")],
            }

    settings = {
        "POLICYGUARD_ITEM_ACTION": "tag",
        "FEEDS": feeds(tmp_path),
        "ITEM_PIPELINES": {"scrapy.pipelines.images.ImagesPipeline": 1},
        "IMAGES_STORE": str(tmp_path / "images"),
    }
    crawler = await crawl(ImageSpider, settings=settings, urls=[web.url("gallery.test", "/work")])
    [item] = read_jsonl(tmp_path / "train.jsonl")
    denied = item["policyguard"]["files_denied"]
    assert [d["url"] for d in denied] == [web.url("gallery.test", "/noai.png")]
    assert "noimageai" in denied[0]["reasons"][0]
    assert len(item["images"]) == 2  # both downloaded; one may not be used for training
    assert guard_stats(crawler)["policyguard/items/files_denied"] == 1


@coroutine_test
async def test_a_pages_noimageai_covers_its_image_files(web, crawl, tmp_path: Path) -> None:
    png = (Path(__file__).parent / "data" / "pixel.png").read_bytes()
    web.add("gallery.test", "/robots.txt", "User-agent: *\nAllow: /\n")
    web.add(
        "gallery.test",
        "/work",
        PAGE.format(head='<meta name="robots" content="noimageai">', title="W", body=""),
    )
    web.add("gallery.test", "/art.png", Reply(body=png, content_type="image/png"))
    web.add("gallery.test", "/notes.txt", Reply(body="notes", content_type="text/plain"))

    class FileSpider(ItemSpider):
        def parse(self, response):  # type: ignore[no-untyped-def]
            yield {
                "url": response.url,
                "file_urls": [web.url("gallery.test", "/art.png"), web.url("gallery.test", "/notes.txt")],
            }

    settings = {
        "POLICYGUARD_ITEM_ACTION": "tag",
        "FEEDS": feeds(tmp_path),
        "ITEM_PIPELINES": {"scrapy.pipelines.files.FilesPipeline": 1},
        "FILES_STORE": str(tmp_path / "files"),
    }
    await crawl(FileSpider, settings=settings, urls=[web.url("gallery.test", "/work")])
    [item] = read_jsonl(tmp_path / "train.jsonl")
    # The page's text may be used; its image may not; the text file is not an image.
    assert item["policyguard"]["allowed"] is True
    assert [d["url"] for d in item["policyguard"]["files_denied"]] == [web.url("gallery.test", "/art.png")]

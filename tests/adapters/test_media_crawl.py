"""Real crawls with Scrapy's ImagesPipeline and FilesPipeline over a local site whose images carry
rights statements inside them (IPTC/PLUS XMP, C2PA manifests): exactly the allowed files are
stored, the others are dropped or marked with their evidence, audited and counted per origin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import scrapy
from crawling import coroutine_test, guard_stats, read_audit
from mediafiles import VOCAB, image_with_xmp, plain_image, signer, tamper, xmp_packet

from scrapy_policyguard import policy_feeds
from scrapy_policyguard.demo.web import Reply

pytest.importorskip("c2pa")

HOST = "gallery.test"
LICENCE = "https://licensing.example/terms/42"


def gallery_files() -> dict[str, tuple[bytes, str, bool]]:
    """name -> (body, content type, whether ai-train may use it)."""
    sign = signer().sign
    jpeg = plain_image("JPEG")
    return {
        "plain.jpg": (jpeg, "image/jpeg", True),
        "allowed.jpg": (image_with_xmp("JPEG", xmp_packet(VOCAB + "DMI-ALLOWED")), "image/jpeg", True),
        "unspecified.png": (image_with_xmp("PNG", xmp_packet(VOCAB + "DMI-UNSPECIFIED")), "image/png", True),
        "genai.webp": (
            image_with_xmp("WEBP", xmp_packet(VOCAB + "DMI-PROHIBITED-GENAIMLTRAINING")),
            "image/webp",
            False,
        ),
        "aiml.tif": (
            image_with_xmp("TIFF", xmp_packet(VOCAB + "DMI-PROHIBITED-AIMLTRAINING")),
            "image/tiff",
            False,
        ),
        "search-only.gif": (
            image_with_xmp("GIF", xmp_packet(VOCAB + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING")),
            "image/gif",
            False,
        ),
        "prohibited.avif": (
            image_with_xmp("AVIF", xmp_packet(VOCAB + "DMI-PROHIBITED")),
            "image/avif",
            False,
        ),
        "constraint.jpg": (
            image_with_xmp(
                "JPEG",
                xmp_packet(VOCAB + "DMI-PROHIBITED-SEECONSTRAINT", other_constraints="Licence required"),
            ),
            "image/jpeg",
            False,
        ),
        "licensed.jpg": (
            image_with_xmp("JPEG", xmp_packet(VOCAB + "DMI-PROHIBITED-SEECONSTRAINT", web_statement=LICENCE)),
            "image/jpeg",
            True,
        ),
        "cc-allowed.jpg": (
            sign(
                jpeg, "image/jpeg", {"cawg.ai_training": "allowed", "cawg.ai_generative_training": "allowed"}
            ),
            "image/jpeg",
            True,
        ),
        "cc-genai.jpg": (
            sign(jpeg, "image/jpeg", {"cawg.ai_generative_training": "notAllowed"}),
            "image/jpeg",
            False,
        ),
        "cc-mining.png": (
            sign(
                plain_image("PNG"),
                "image/png",
                {"cawg.data_mining": {"use": "constrained", "constraint_info": "ask"}},
            ),
            "image/png",
            False,
        ),
        "cc-legacy.jpg": (
            sign(jpeg, "image/jpeg", {"c2pa.ai_training": "notAllowed"}, label="c2pa.training-mining"),
            "image/jpeg",
            False,
        ),
        "cc-tampered.jpg": (
            tamper(
                sign(jpeg, "image/jpeg", {"cawg.ai_inference": "allowed", "cawg.ai_training": "notAllowed"})
            ),
            "image/jpeg",
            False,
        ),
    }


class GallerySpider(scrapy.Spider):
    name = "gallery"

    def __init__(self, urls: list[str] | None = None, images: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls or []
        self.images = images or []

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):  # type: ignore[no-untyped-def]
        yield {"url": response.url, "image_urls": self.images}


def serve_gallery(web, files: dict[str, tuple[bytes, str, bool]], page_head: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    web.add(HOST, "/robots.txt", "User-agent: *\nAllow: /\n")
    web.add(HOST, "/gallery", f"<html><head>{page_head}</head><body><h1>Gallery</h1></body></html>")
    for name, (body, content_type, _) in files.items():
        web.add(HOST, f"/img/{name}", Reply(body=body, content_type=content_type))
    return [web.url(HOST, f"/img/{name}") for name in files]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


@coroutine_test
async def test_images_pipeline_stores_exactly_the_files_ai_train_may_use(web, crawl, tmp_path: Path) -> None:
    files = gallery_files()
    urls = serve_gallery(web, files)
    audit = tmp_path / "audit.jsonl"
    settings = {
        "ITEM_PIPELINES": {"scrapy.pipelines.images.ImagesPipeline": 1},
        "IMAGES_STORE": str(tmp_path / "images"),
        "POLICYGUARD_AUDIT_LOG": str(audit),
        "POLICYGUARD_AGREEMENTS": {LICENCE: "image licence 42"},
        "FEEDS": {str(tmp_path / "items.jsonl"): {"format": "jsonlines"}},
    }
    crawler = await crawl(GallerySpider, settings=settings, urls=[web.url(HOST, "/gallery")], images=urls)
    [item] = read_jsonl(tmp_path / "items.jsonl")
    by_url = dict(zip(urls, files.values(), strict=True))
    allowed = {url for url, (_, _, ok) in by_url.items() if ok}
    assert {image["url"] for image in item["images"]} == allowed
    assert len(list((tmp_path / "images" / "full").iterdir())) == len(allowed)
    # Each file's statements are read from the body ImagesPipeline downloaded: nothing twice.
    assert all(web.count(HOST, "/" + url.split("/", 3)[3]) == 1 for url in urls)
    denied = {entry["url"]: entry for entry in item["policyguard"]["files_denied"]}
    assert set(denied) == set(urls) - allowed
    assert all(entry["stored"] is False for entry in denied.values())
    assert denied[web.url(HOST, "/img/genai.webp")]["denied_by"] == ["xmp"]
    assert denied[web.url(HOST, "/img/cc-genai.jpg")]["denied_by"] == ["c2pa"]
    assert "DMI-PROHIBITED-GENAIMLTRAINING" in denied[web.url(HOST, "/img/genai.webp")]["reasons"][0]
    assert item["policyguard"]["allowed"] is True  # the page itself may be used

    records = read_audit(audit)
    dropped = {r["url"]: r for r in records if r["record"] == "response" and r["action"] == "file-dropped"}
    assert set(dropped) == set(denied)
    tampered = dropped[web.url(HOST, "/img/cc-tampered.jpg")]["evidence"]
    [statement] = [e for e in tampered if e["source"] == "c2pa" and e["effects"]]
    assert statement["rule"] == "cawg.training-mining: cawg.ai_training = notAllowed"
    assert statement["refs"]["validation"] == "invalid" and "UNVERIFIED" in statement["detail"]
    # The tampered manifest's permission for ai-input is not relied on.
    assert any(e["rule"].endswith("cawg.ai_inference = allowed") and not e["effects"] for e in tampered)
    legacy = dropped[web.url(HOST, "/img/cc-legacy.jpg")]["evidence"]
    assert any(e["rule"] == "c2pa.training-mining: c2pa.ai_training = notAllowed" for e in legacy)

    stats = guard_stats(crawler)
    assert stats["policyguard/files/dropped"] == len(denied)
    assert stats["policyguard/files/dropped/xmp"] == 5
    assert stats["policyguard/files/dropped/c2pa"] == 4
    assert stats["policyguard/media/read"] == len(files)
    assert stats["policyguard/media/c2pa/unverified"] == 1
    assert stats["policyguard/items/files_denied"] == len(denied)
    [totals] = [r for r in records if r["record"] == "totals"]
    assert totals["origins"][f"http://{HOST}"]["files_dropped"] == len(denied)


@coroutine_test
async def test_tag_action_stores_every_file_and_marks_the_denied_ones(web, crawl, tmp_path: Path) -> None:
    files = {k: v for k, v in gallery_files().items() if k in ("plain.jpg", "genai.webp", "cc-genai.jpg")}
    urls = serve_gallery(web, files)
    settings = {
        "POLICYGUARD_ITEM_ACTION": "tag",
        "ITEM_PIPELINES": {"scrapy.pipelines.images.ImagesPipeline": 1},
        "IMAGES_STORE": str(tmp_path / "images"),
        "FEEDS": policy_feeds(str(tmp_path / "train.jsonl"), str(tmp_path / "quarantine.jsonl")),
    }
    crawler = await crawl(GallerySpider, settings=settings, urls=[web.url(HOST, "/gallery")], images=urls)
    [item] = read_jsonl(tmp_path / "train.jsonl")
    assert len(item["images"]) == 3
    denied = item["policyguard"]["files_denied"]
    assert {(d["url"], d["stored"], tuple(d["denied_by"])) for d in denied} == {
        (web.url(HOST, "/img/genai.webp"), True, ("xmp",)),
        (web.url(HOST, "/img/cc-genai.jpg"), True, ("c2pa",)),
    }
    stats = guard_stats(crawler)
    assert "policyguard/files/dropped" not in stats
    assert stats["policyguard/responses/denied/xmp"] == 1 and stats["policyguard/responses/denied/c2pa"] == 1


@coroutine_test
async def test_a_pages_noimageai_keeps_its_images_out_of_the_store(web, crawl, tmp_path: Path) -> None:
    files = {"plain.jpg": gallery_files()["plain.jpg"]}
    urls = serve_gallery(web, files, page_head='<meta name="robots" content="noimageai">')
    settings = {
        "ITEM_PIPELINES": {"scrapy.pipelines.files.FilesPipeline": 1},
        "FILES_STORE": str(tmp_path / "files"),
        "FEEDS": {str(tmp_path / "items.jsonl"): {"format": "jsonlines"}},
    }

    class FileSpider(GallerySpider):
        def parse(self, response):  # type: ignore[no-untyped-def]
            yield {"url": response.url, "file_urls": self.images}

    await crawl(FileSpider, settings=settings, urls=[web.url(HOST, "/gallery")], images=urls)
    [item] = read_jsonl(tmp_path / "items.jsonl")
    assert item["files"] == []
    [entry] = item["policyguard"]["files_denied"]
    assert entry["stored"] is False and entry["denied_by"] == ["html-meta"]
    assert "the page that names this file" not in entry["reasons"][0]  # the summary quotes the meta tag
    assert not (tmp_path / "files").exists() or not any((tmp_path / "files").rglob("*.jpg"))


@coroutine_test
async def test_an_image_the_spider_receives_is_judged_by_what_it_embeds(web, crawl, tmp_path: Path) -> None:
    files = {k: v for k, v in gallery_files().items() if k in ("plain.jpg", "search-only.gif")}
    urls = serve_gallery(web, files)

    class ImageItems(GallerySpider):
        async def start(self):  # type: ignore[no-untyped-def]
            for url in self.images:
                yield scrapy.Request(url, dont_filter=True)

        def parse(self, response):  # type: ignore[no-untyped-def]
            yield {"url": response.url, "size": len(response.body)}

    audit = tmp_path / "audit.jsonl"
    settings = {
        "POLICYGUARD_AUDIT_LOG": str(audit),
        "FEEDS": {str(tmp_path / "items.jsonl"): {"format": "jsonlines"}},
    }
    crawler = await crawl(ImageItems, settings=settings, images=urls)
    assert [i["url"] for i in read_jsonl(tmp_path / "items.jsonl")] == [web.url(HOST, "/img/plain.jpg")]
    [item] = [r for r in read_audit(audit) if r["record"] == "item"]
    assert item["url"] == web.url(HOST, "/img/search-only.gif") and item["denied_by"] == ["xmp"]
    assert guard_stats(crawler)["policyguard/items/dropped/xmp"] == 1


@coroutine_test
async def test_media_readers_off_reads_nothing(web, crawl, tmp_path: Path) -> None:
    files = {k: v for k, v in gallery_files().items() if k in ("genai.webp", "cc-genai.jpg")}
    urls = serve_gallery(web, files)
    settings = {
        "POLICYGUARD_MEDIA_READERS": [],
        "ITEM_PIPELINES": {"scrapy.pipelines.images.ImagesPipeline": 1},
        "IMAGES_STORE": str(tmp_path / "images"),
        "FEEDS": {str(tmp_path / "items.jsonl"): {"format": "jsonlines"}},
    }
    crawler = await crawl(GallerySpider, settings=settings, urls=[web.url(HOST, "/gallery")], images=urls)
    [item] = read_jsonl(tmp_path / "items.jsonl")
    assert len(item["images"]) == 2 and item["policyguard"]["files_denied"] == []
    assert "policyguard/media/read" not in guard_stats(crawler)


@coroutine_test
async def test_without_c2pa_python_manifests_are_counted_unread_and_the_crawl_says_so(
    web, crawl, tmp_path: Path, monkeypatch, caplog
) -> None:
    from scrapy_policyguard.core.signals import c2pa

    monkeypatch.setattr(c2pa, "available", lambda: False)
    files = {k: v for k, v in gallery_files().items() if k in ("cc-genai.jpg", "genai.webp")}
    urls = serve_gallery(web, files)
    settings = {
        "ITEM_PIPELINES": {"scrapy.pipelines.images.ImagesPipeline": 1},
        "IMAGES_STORE": str(tmp_path / "images"),
        "FEEDS": {str(tmp_path / "items.jsonl"): {"format": "jsonlines"}},
    }
    crawler = await crawl(GallerySpider, settings=settings, urls=[web.url(HOST, "/gallery")], images=urls)
    [item] = read_jsonl(tmp_path / "items.jsonl")
    # The XMP statement is still read; the manifest is not, and the crawl said why at start.
    assert [d["url"] for d in item["policyguard"]["files_denied"]] == [web.url(HOST, "/img/genai.webp")]
    assert guard_stats(crawler)["policyguard/media/c2pa/unread"] == 1
    assert "pip install 'scrapy-policyguard[c2pa]'" in caplog.text

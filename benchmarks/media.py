"""What reading rights statements inside media costs: per image, and per image-heavy page of a crawl.

    python benchmarks/media.py                 # per-image figures, then 3 crawl rounds (~2 min)
    python benchmarks/media.py --quick         # tiny, to check the script runs
    python benchmarks/media.py --rounds 5 --json

Per image: ``read_media`` (walk the container, parse the XMP packet, read and validate a C2PA
manifest) on bodies of each format, small and large, with and without metadata; median and p99
wall time of many calls, and process CPU time per call (``resource.getrusage``).

Per page: a real crawl with Scrapy's ImagesPipeline over a LocalWeb (its own process) whose pages
each name ``--images`` images (cycling through the per-image kinds: plain, XMP in every container,
C2PA-signed; ``--plain N`` puts N images without rights statements after each), three ways in fresh processes, alternating round after round: Scrapy's
RobotsTxtMiddleware alone, policyguard with media reading off (``POLICYGUARD_MEDIA_READERS = []``)
and on (the default), both with ``POLICYGUARD_ITEM_ACTION = "tag"`` so that every image is stored
and the modes differ by the reading alone. Reported: pages (each with its images) per second and
CPU ms per page, medians of the rounds, and the ratios; the target is the crawl benchmark's,
policyguard / Scrapy-robots throughput >= 0.95.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from measure import WebProcess, cpu_seconds, run_fresh

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the media fixtures the tests make


MODES = ("scrapy", "media-off", "media-on")
TOKEN = "BenchBot"
HOST = "pics.bench"


def sample_files(large: bool = True) -> dict[str, tuple[bytes, str]]:
    """name -> (body, content type): the kinds of file a crawl meets."""
    from mediafiles import VOCAB, image_with_xmp, plain_image, signer, xmp_packet
    from PIL import Image

    def big_jpeg(packet: bytes | None) -> bytes:
        out = io.BytesIO()
        image = Image.effect_noise((1600, 1200), 60).convert("RGB")
        image.save(out, "JPEG", quality=85, **({"xmp": packet} if packet else {}))
        return out.getvalue()

    packet = xmp_packet(VOCAB + "DMI-PROHIBITED-GENAIMLTRAINING", other_constraints="Ask the agency")
    sign = signer().sign
    camera = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Make="ExampleCam" tiff:Model="X100"/></rdf:RDF></x:xmpmeta>'
    files = {
        "jpeg, no metadata": (plain_image("JPEG", 256), "image/jpeg"),
        "jpeg + camera XMP": (image_with_xmp("JPEG", camera, size=256), "image/jpeg"),
        "jpeg + XMP": (image_with_xmp("JPEG", packet, size=256), "image/jpeg"),
        "png + XMP": (image_with_xmp("PNG", packet, size=256), "image/png"),
        "webp + XMP": (image_with_xmp("WEBP", packet, size=256), "image/webp"),
        "tiff + XMP": (image_with_xmp("TIFF", packet, size=256), "image/tiff"),
        "gif + XMP": (image_with_xmp("GIF", packet, size=256), "image/gif"),
        "avif + XMP": (image_with_xmp("AVIF", packet, size=256), "image/avif"),
        "jpeg + C2PA": (
            sign(plain_image("JPEG", 256), "image/jpeg", {"cawg.ai_generative_training": "notAllowed"}),
            "image/jpeg",
        ),
    }
    if large:
        files["jpeg 1600x1200 + XMP"] = (big_jpeg(packet), "image/jpeg")
        files["jpeg 1600x1200 + C2PA"] = (
            sign(big_jpeg(None), "image/jpeg", {"cawg.ai_training": "allowed"}),
            "image/jpeg",
        )
    return files


def per_image(calls: int) -> list[dict[str, Any]]:
    from scrapy_policyguard.core.signals.embedded import read_media

    rows = []
    for name, (body, _) in sample_files().items():
        read_media(body, location="https://x/y", agreements={})  # warm: c2pa's context, imports
        times = []
        cpu_start = cpu_seconds()
        for _ in range(calls):
            start = time.perf_counter()
            read_media(body, location="https://x/y", agreements={})
            times.append(time.perf_counter() - start)
        cpu_per_call = (cpu_seconds() - cpu_start) / calls
        times.sort()
        rows.append(
            {
                "file": name,
                "kib": len(body) / 1024,
                "median_us": statistics.median(times) * 1e6,
                "p99_us": times[min(len(times) - 1, int(len(times) * 0.99))] * 1e6,
                "cpu_us": cpu_per_call * 1e6,
            }
        )
    return rows


def build_web(web: Any, pages: int, images: int, plain: int) -> None:
    """The web (served by measure.WebProcess): pages naming ``images`` images each, cycling through the sample kinds
    with ``plain`` images without rights statements (plain, or camera XMP) after each one."""
    from scrapy_policyguard.demo.web import Reply

    kinds = sample_files(large=False)
    without = [kinds["jpeg, no metadata"], kinds["jpeg + camera XMP"]]
    files: list[tuple[bytes, str]] = []
    for index, kind in enumerate(kinds.values()):
        files += [kind, *(without[(index + k) % 2] for k in range(plain))]
    web.add(HOST, "/robots.txt", "User-agent: *\nDisallow: /private/\n")
    for n in range(pages):
        paths = []
        for i in range(images):
            body, content_type = files[(n * images + i) % len(files)]
            path = f"/img/{n}-{i}.{content_type.split('/')[1]}"
            web.add(HOST, path, Reply(body=body, content_type=content_type))
            paths.append(path)
        links = "".join(f'<img src="{p}">' for p in paths)
        web.add(HOST, f"/page/{n}", f"<html><head><title>Page {n}</title></head><body>{links}</body></html>")


def worker(mode: str, proxy: str, pages: int, store: str) -> dict[str, Any]:
    os.environ["http_proxy"] = proxy
    os.environ.pop("no_proxy", None)
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class Pictures(scrapy.Spider):
        name = "pictures"

        async def start(self):  # type: ignore[no-untyped-def]
            for n in range(pages):
                yield scrapy.Request(f"http://{HOST}/page/{n}")

        def parse(self, response):  # type: ignore[no-untyped-def]
            yield {
                "url": response.url,
                "image_urls": [response.urljoin(s) for s in response.css("img::attr(src)").getall()],
            }

    settings: dict[str, Any] = {
        "LOG_LEVEL": "ERROR",
        "TELNETCONSOLE_ENABLED": False,
        "RETRY_ENABLED": False,
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
        "USER_AGENT": f"{TOKEN}/1.0 (+https://example.org/bot)",
        "ITEM_PIPELINES": {"scrapy.pipelines.images.ImagesPipeline": 1},
        "IMAGES_STORE": store,
        "ROBOTSTXT_OBEY": True,
    }
    if mode == "scrapy":
        settings["ROBOTSTXT_USER_AGENT"] = TOKEN
    else:
        # Every file stored in both modes (tag), so the modes differ by the reading alone.
        settings.update(
            ADDONS={"scrapy_policyguard.Addon": 0},
            POLICYGUARD_USER_AGENT=TOKEN,
            POLICYGUARD_ITEM_ACTION="tag",
        )
        if mode == "media-off":
            settings["POLICYGUARD_MEDIA_READERS"] = []
    process = CrawlerProcess(settings, install_root_handler=False)
    crawler = process.create_crawler(Pictures)
    process.crawl(crawler)
    cpu_start, wall_start = cpu_seconds(), time.perf_counter()
    process.start()
    wall, cpu_s = time.perf_counter() - wall_start, cpu_seconds() - cpu_start
    stats = crawler.stats.get_stats()
    return {
        "mode": mode,
        "pages": stats.get("item_scraped_count", 0),
        "images_downloaded": stats.get("file_count", 0),
        "files_denied": stats.get("policyguard/items/files_denied", 0),
        "media_read": stats.get("policyguard/media/read", 0),
        "wall_s": wall,
        "cpu_s": cpu_s,
    }


def run_worker(mode: str, proxy: str, pages: int, store: str) -> dict[str, Any]:
    argv = ("--worker", mode, "--proxy", proxy, "--pages", pages, "--store", store)
    return run_fresh(__file__, f"{mode} crawl", *argv)


def crawl_rounds(pages: int, images: int, plain: int, rounds: int, store_root: Path) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    with WebProcess(build_web, pages, images, plain) as proxy:
        for round_number in range(rounds):
            order = MODES[round_number % 3 :] + MODES[: round_number % 3]
            for mode in order:
                store = store_root / f"{mode}-{round_number}"
                results[mode].append(run_worker(mode, proxy, pages, str(store)))
    summary = {
        mode: {
            "pages": runs[0]["pages"],
            "images_stored": runs[0]["images_downloaded"],
            "files_denied": runs[0]["files_denied"],
            "media_read": runs[0]["media_read"],
            "pages_per_s": statistics.median(r["pages"] / r["wall_s"] for r in runs),
            "cpu_ms_per_page": statistics.median(r["cpu_s"] * 1000 / max(r["pages"], 1) for r in runs),
            "runs": runs,
        }
        for mode, runs in results.items()
    }
    on, off, sc = summary["media-on"], summary["media-off"], summary["scrapy"]
    ratios = {
        "throughput_media_on_vs_scrapy": on["pages_per_s"] / sc["pages_per_s"],
        "throughput_media_on_vs_off": on["pages_per_s"] / off["pages_per_s"],
        "cpu_per_page_media_on_vs_scrapy": on["cpu_ms_per_page"] / sc["cpu_ms_per_page"],
        "cpu_per_page_media_on_vs_off": on["cpu_ms_per_page"] / off["cpu_ms_per_page"],
    }
    return {"summary": summary, "ratios": ratios}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=500, help="read_media calls per file")
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--images", type=int, default=20, help="images per page")
    parser.add_argument(
        "--plain",
        type=int,
        default=0,
        help="images without rights statements after each kind (0: every kind in turn)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 calls, 4 pages of 4 images, 1 round")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--proxy", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.proxy, args.pages, args.store)))
        return
    if args.quick:
        args.calls, args.pages, args.images, args.rounds = 20, 4, 4, 1
    import tempfile

    images = per_image(args.calls)
    with tempfile.TemporaryDirectory() as store:
        crawl = crawl_rounds(args.pages, args.images, args.plain, args.rounds, Path(store))
    result = {
        "per_image": images,
        "pages": args.pages,
        "images_per_page": args.images,
        "plain": args.plain,
        **crawl,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"read_media per image ({args.calls} calls each)")
    print(f"{'file':<24}{'KiB':>8}{'median us':>11}{'p99 us':>10}{'CPU us':>10}")
    for row in images:
        print(
            f"{row['file']:<24}{row['kib']:>8.1f}{row['median_us']:>11.1f}{row['p99_us']:>10.1f}{row['cpu_us']:>10.1f}"
        )
    mix = f"{args.plain} without statements after each kind" if args.plain else "every kind in turn"
    print(f"\ncrawl: {args.pages} pages x {args.images} images ({mix}), ImagesPipeline, {args.rounds} rounds")
    print(f"{'mode':<11}{'pages':>7}{'stored':>8}{'denied':>8}{'pages/s':>9}{'CPU ms/page':>13}")
    for mode, row in crawl["summary"].items():
        print(
            f"{mode:<11}{row['pages']:>7}{row['images_stored']:>8}{row['files_denied']:>8}"
            f"{row['pages_per_s']:>9.2f}{row['cpu_ms_per_page']:>13.2f}"
        )
    r = crawl["ratios"]
    print(
        f"\nthroughput media-on / Scrapy-robots: {r['throughput_media_on_vs_scrapy']:.3f} (target >= 0.95)"
        f"\nthroughput media-on / media-off:     {r['throughput_media_on_vs_off']:.3f}"
        f"\nCPU per page media-on / Scrapy-robots: {r['cpu_per_page_media_on_vs_scrapy']:.3f}"
        f"\nCPU per page media-on / media-off:     {r['cpu_per_page_media_on_vs_off']:.3f}"
    )


if __name__ == "__main__":
    main()

"""``policyguard recheck`` on a large generated WARC: records per second and peak memory.

    python benchmarks/recheck.py                 # 100,000 records over 5,000 origins, 1 round
    python benchmarks/recheck.py --rounds 3      # medians of 3 rounds
    python benchmarks/recheck.py --quick         # tiny, to check the script runs

The WARC (gzip members, as Common Crawl publishes them) is generated once into the temporary
folder and reused: HTML response records in a shuffled order of origins (as in a broad crawl's
archive), about 1 in 20 with ``<meta name="robots" content="noai">`` and 1 in 25 with
``X-Robots-Tag: noai``. A LocalWeb in its own process serves today's robots.txt of every origin: a
tenth of them the realistic files of a few hundred rules that the crawl benchmark uses (AI-crawler
groups disallowing ``/private/``), one in 50 answering 503, and a tdmrep.json on one in five.

Each run is a fresh process running ``policyguard recheck`` (in-process, so ``resource.getrusage``
sees its CPU time and peak RSS). Modes, alternated round after round:

``read``         a baseline: the same WARC read with warcio, each HTML body read, each record copied
                 to one output; no decision, no fetch. What reading and copying alone cost.
``recheck``      the full re-check of the WARC.
``recheck-1/4``  the full re-check of a WARC of the same origins with a quarter of the records: its
                 peak memory beside ``recheck`` shows whether memory grows with records (it must
                 not: only with origins, up to POLICYGUARD_MAX_ORIGINS).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from measure import WebProcess, run_fresh

TOKEN = "BenchBot"
#: Part of the generated file's name: a change to generate() must change it.
GENERATOR = "v1"
MODES = ("read", "recheck", "recheck-1/4")


def host(index: int) -> str:
    return f"site{index}.bench"


def page(number: int, meta_noai: bool) -> bytes:
    meta = '<meta name="robots" content="noai">' if meta_noai else ""
    text = " ".join(f"word{(number * 31 + i) % 997}" for i in range(150))
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Article {number}</title>{meta}</head>'
        f"<body><article><h1>Article {number}</h1><p>{text}</p></article></body></html>"
    ).encode()


def generate(path: Path, records: int, origins: int) -> None:
    """A WARC.gz of ``records`` HTML responses over ``origins`` origins, in a shuffled order."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    order = [i % origins for i in range(records)]
    random.Random(7).shuffle(order)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")  # another run may generate it too
    with partial.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "policyguard benchmark"}))
        for number, origin in enumerate(order):
            section = "private" if number % 7 == 0 else "articles"
            url = f"http://{host(origin)}/{section}/{number}"
            headers = [("Content-Type", "text/html; charset=utf-8")]
            if number % 25 == 3:
                headers.append(("X-Robots-Tag", "noai"))
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(page(number, number % 20 == 5)),
                http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": "2024-03-01T12:00:00Z"},
            )
            writer.write_record(record)
    partial.rename(path)


def warc_for(records: int, origins: int) -> Path:
    path = Path(tempfile.gettempdir()) / f"policyguard-recheck-{GENERATOR}-{records}x{origins}.warc.gz"
    if not path.exists():
        started = time.perf_counter()
        generate(path, records, origins)
        print(f"  generated {path} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def build_web(web: Any, origins: int) -> None:
    """The web of today: robots.txt and tdmrep.json of every origin (served by measure.WebProcess)."""
    from corpus import realistic_robots

    from scrapy_policyguard.demo.web import Reply

    for i in range(origins):
        name = host(i)
        if i % 50 == 7:
            web.add(name, "/robots.txt", Reply(status=503, body="busy"))
        elif i % 10 == 0:
            web.add(
                name, "/robots.txt", realistic_robots(i, rules=150 + (i * 37) % 200, block_ai="/private/")
            )
        else:
            web.add(
                name,
                "/robots.txt",
                Reply(body="User-agent: *\nDisallow: /cart/\n", content_type="text/plain"),
            )
        if i % 5 == 0:
            body = '[{"location": "/private/", "tdm-reservation": 1}]'
            web.add(name, "/.well-known/tdmrep.json", Reply(body=body, content_type="application/json"))


def read_only(source: Path, out: Path) -> dict[str, Any]:
    """The baseline: read every record as the re-check does, and copy it; decide nothing."""
    from warcio.archiveiterator import ArchiveIterator

    records = 0
    out.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as handle, source.open("rb") as raw, (out / source.name).open("wb") as target:
        iterator = ArchiveIterator(handle)
        for record in iterator:
            if record.rec_type == "response":
                record.content_stream().read()
            offset = iterator.get_record_offset()
            raw.seek(offset)
            target.write(raw.read(iterator.offset - offset))
            records += 1
    return {"records": records}


def worker(mode: str, proxy: str, source: Path, out: Path) -> dict[str, Any]:
    """One run in this process; returns its figures."""
    os.environ["http_proxy"] = proxy
    os.environ.pop("no_proxy", None)
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    wall_start = time.perf_counter()
    if mode == "read":
        outcome = read_only(source, out)
    else:
        from scrapy_policyguard.cli.main import main

        printed = io.StringIO()
        with redirect_stdout(printed):
            code = main(
                [
                    "recheck",
                    str(source),
                    "--out",
                    str(out),
                    "--user-agent",
                    TOKEN,
                    "--overwrite",
                    "--no-progress",
                    "--json",
                ]
            )
        if code not in (0, 1):
            raise SystemExit(f"recheck exited {code}")
        outcome = json.loads(printed.getvalue())
    wall = time.perf_counter() - wall_start
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    if mode != "read":
        entry = outcome["inputs"][0]
        stats = {}
        audit = out / "audit.jsonl"
        for line in audit.read_text("utf-8").splitlines():
            record = json.loads(line)
            if record["record"] == "totals":
                stats = record["stats"]
        outcome = {
            "records": entry["records"],
            "kept": entry["kept"],
            "removed": entry["removed"],
            "removed_by": entry["removed_by"],
            "robots_fetched": stats.get("policyguard/robots/fetched", 0),
            "tdmrep_fetched": stats.get("policyguard/tdmrep/fetched", 0),
            "error": outcome["error"],
        }
    return {
        "mode": mode,
        **outcome,
        "wall_s": wall,
        "cpu_s": (cpu_end.ru_utime - cpu_start.ru_utime) + (cpu_end.ru_stime - cpu_start.ru_stime),
        "max_rss_mib": cpu_end.ru_maxrss / 1024,
    }


def run_worker(mode: str, proxy: str, source: Path, out: Path) -> dict[str, Any]:
    argv = ("--worker", mode, "--proxy", proxy, "--source", source, "--out", out)
    return run_fresh(__file__, f"{mode} run", *argv)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    sources = {
        "read": warc_for(args.records, args.origins),
        "recheck": warc_for(args.records, args.origins),
        "recheck-1/4": warc_for(args.records // 4, args.origins),
    }
    results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    with WebProcess(build_web, args.origins) as proxy, tempfile.TemporaryDirectory() as scratch:
        for round_number in range(args.rounds):
            order = MODES[round_number % 3 :] + MODES[: round_number % 3]
            for mode in order:
                out = Path(scratch) / mode.replace("/", "-")
                run = run_worker(mode, proxy, sources[mode], out)
                results[mode].append(run)
                print(
                    f"  round {round_number + 1} {mode:<12} {run['records'] / run['wall_s']:9.1f} records/s "
                    f"{run['cpu_s'] * 1e6 / max(run['records'], 1):8.1f} CPU µs/record {run['max_rss_mib']:7.1f} MiB",
                    file=sys.stderr,
                )
    summary = {}
    for mode, runs in results.items():
        first = runs[0]
        summary[mode] = {
            "records": first["records"],
            "records_per_s": statistics.median(r["records"] / r["wall_s"] for r in runs),
            "cpu_us_per_record": statistics.median(r["cpu_s"] * 1e6 / max(r["records"], 1) for r in runs),
            "max_rss_mib": statistics.median(r["max_rss_mib"] for r in runs),
            **{
                k: first[k]
                for k in ("kept", "removed", "removed_by", "robots_fetched", "tdmrep_fetched")
                if k in first
            },
            "runs": runs,
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--origins", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--quick", action="store_true", help="400 records over 40 origins, to check the script runs"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--proxy", help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.proxy, args.source, args.out)))
        return
    if args.quick:
        args.records, args.origins, args.rounds = 400, 40, 1
    summary = measure(args)
    if args.json:
        print(
            json.dumps(
                {"records": args.records, "origins": args.origins, "rounds": args.rounds, "summary": summary},
                indent=2,
            )
        )
        return
    print(
        f"{args.records:,} records over {args.origins:,} origins (WARC.gz), {args.rounds} round(s), medians"
    )
    print(f"{'mode':<13}{'records':>9}{'records/s':>11}{'CPU µs/record':>15}{'peak MiB':>10}  outcome")
    for mode, row in summary.items():
        outcome = (
            f"kept {row['kept']:,}, removed {row['removed']:,}; robots.txt fetched {row['robots_fetched']:,}, "
            f"tdmrep.json {row['tdmrep_fetched']:,}"
            if "kept" in row
            else "-"
        )
        print(
            f"{mode:<13}{row['records']:>9,}{row['records_per_s']:>11.1f}{row['cpu_us_per_record']:>15.1f}"
            f"{row['max_rss_mib']:>10.1f}  {outcome}"
        )
    full = summary["recheck"]
    print(f"\nremoved by: {', '.join(f'{k} {v:,}' for k, v in full['removed_by'].items())}")
    share = full["records_per_s"] / summary["read"]["records_per_s"]
    print(f"reading and copying alone take {share:.0%} of the full re-check's time per record")


if __name__ == "__main__":
    main()

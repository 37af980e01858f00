"""The documents shared by the workers of a crawl, on a real redis-server.

Three worker processes on scrapy-redis's real scheduler and dupefilter fetch each origin's
robots.txt and tdmrep.json once in total (a control run in memory mode fetches them once per
worker), each writing its own audit file; a worker killed while it holds a fetch lock delays the
others until the lock expires and no longer; Redis stopped in the middle of a crawl never lets a
request through unchecked.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crawling import ChainSpider, coroutine_test, guard_stats, read_audit
from redis_server import RedisServer

from scrapy_policyguard.adapters import shared_documents
from scrapy_policyguard.adapters.documents import StoredDocument
from scrapy_policyguard.adapters.fetch import FetchResult
from scrapy_policyguard.adapters.shared_documents import decode_document, encode_document
from scrapy_policyguard.cli.report.model import load_report
from scrapy_policyguard.cli.report.model import read_audit as read_audit_files
from scrapy_policyguard.cli.summary.model import build_summary
from scrapy_policyguard.demo.web import LocalWeb, Reply

WORKER = Path(__file__).parent / "data" / "redis_worker.py"
DONE = "shared:test-done"
ORIGINS = [f"w{i}.test" for i in range(4)]
PAGES = 12


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.close()


# --------------------------------------------------------------------------- stored form


def result(body: bytes = b"User-agent: *\nDisallow: /x\n", status: int | None = 200) -> FetchResult:
    return FetchResult(
        "http://a.test/robots.txt", status, body, "HTTP 200", ("301 a -> b",), 12.5, 3.0, False, "text/plain"
    )


def test_a_stored_document_round_trips_through_json_and_bytes() -> None:
    good = result()
    failed = result(b"", None)
    for document in (StoredDocument(good, 99.0, 0, good), StoredDocument(failed, 50.0, 2, good)):
        fields = encode_document(document)
        assert set(fields) <= {"meta", "body", "good"}
        json.loads(fields["meta"])  # plain JSON, nothing executable
        assert decode_document({k.encode(): v for k, v in fields.items()}) == document


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {b"meta": b"not json"},
        {b"meta": b'{"format": 99}'},
        {b"meta": b'{"format": 1, "result": 3}'},
        {b"meta": b"\x80\x04\x95pickle"},
    ],
)
def test_anything_else_in_redis_is_unreadable_and_fetched_anew(fields: dict[bytes, bytes]) -> None:
    with pytest.raises(ValueError):
        decode_document(fields)


# --------------------------------------------------------------------------- three workers


def serve(web: LocalWeb) -> list[str]:
    """Four origins, each with a /private/ area robots.txt disallows and a tdmrep.json; every page
    links to the next page of its origin, to the same page of the next origin, and to /private/."""
    for index, host in enumerate(ORIGINS):
        other = ORIGINS[(index + 1) % len(ORIGINS)]
        robots = Reply(body="User-agent: *\nDisallow: /private/\n", content_type="text/plain", delay=0.3)
        web.add(host, "/robots.txt", robots)
        web.add(host, "/.well-known/tdmrep.json", Reply(body="[]", content_type="application/json"))
        for n in range(PAGES):
            links = (
                f'<a href="/p/{(n + 1) % PAGES}">next</a><a href="http://{other}/p/{n}">elsewhere</a>'
                f'<a href="/private/{n}">private</a>'
            )
            web.add(host, f"/p/{n}", Reply(body=f"<html><body>{links}</body></html>", delay=0.05))
            web.add(host, f"/private/{n}", "<html><body>secret</body></html>")
    return [web.url(host, "/p/0") for host in ORIGINS]


def start_worker(
    web: LocalWeb, redis_server: RedisServer, urls: list[str], *options: str, output: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """One worker process (tests/adapters/data/redis_worker.py) offering ``urls`` to the queue."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "no_proxy")}
    command = [sys.executable, str(WORKER), *urls, f"--redis={redis_server.url}", f"--proxy={web.proxy_url}"]
    return subprocess.Popen([*command, *options], env=env, stdout=output, stderr=subprocess.STDOUT)


def run_workers(
    web: LocalWeb, redis_server: RedisServer, tmp_path: Path, cache: str, count: int = 3
) -> list[Path]:
    starts = serve(web)
    audits = [tmp_path / f"{cache}-w{n}.jsonl" for n in range(count)]
    workers = [
        start_worker(
            web,
            redis_server,
            starts[n::count],  # each worker starts on origins of its own, then takes from the queue
            f"--audit={audit}",
            f"--worker=w{n}",
            f"--cache={cache}",
            f"--until-key={DONE}",
            output=subprocess.PIPE,
        )
        for n, audit in enumerate(audits)
    ]
    # Every page fetched: the idle workers may stop.
    pages = [(host, f"/p/{n}") for host in ORIGINS for n in range(PAGES)]
    deadline = time.monotonic() + 90
    while any(web.count(*page) == 0 for page in pages) and time.monotonic() < deadline:
        time.sleep(0.1)
    redis_server.client().set(DONE, 1)
    for worker in workers:
        output, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0, output.decode(errors="replace")[-3000:]
    return audits


def robots_fetches(web: LocalWeb) -> dict[str, int]:
    return {host: web.count(host, "/robots.txt") for host in ORIGINS}


def test_three_workers_fetch_each_document_once_in_total(web, redis_server, tmp_path: Path) -> None:
    audits = run_workers(web, redis_server, tmp_path, "redis")
    assert robots_fetches(web) == dict.fromkeys(ORIGINS, 1)
    assert {h: web.count(h, "/.well-known/tdmrep.json") for h in ORIGINS} == dict.fromkeys(ORIGINS, 1)
    assert sum(web.count(h, f"/private/{n}") for h in ORIGINS for n in range(PAGES)) == 0
    assert sum(web.count(h, f"/p/{n}") for h in ORIGINS for n in range(PAGES)) == len(ORIGINS) * PAGES
    files = [read_audit(a) for a in audits]
    workers_used = [f for f in files if any(r["record"] == "robots" for r in f)]
    assert len(workers_used) >= 2, "the crawl was not shared between workers"
    runs = {r["run"] for f in files for r in f if r["record"] == "crawl"}
    assert len(runs) == 1 and {r["worker"] for f in files for r in f if r["record"] == "crawl"} == {
        "w0",
        "w1",
        "w2",
    }
    copies = Counter(r["copy"] for f in files for r in f if r["record"] == "robots")
    assert copies["fetched"] == len(ORIGINS)
    assert copies["shared"] >= 1, "no worker read another's copy from Redis"
    # One report for the run: per-origin counts are the sum of the workers' totals.
    report = load_report(audits)
    assert report.complete
    for host in ORIGINS:
        origin = f"http://{host}"
        summed: Counter[str] = Counter()
        for f in files:
            summed.update(f[-1]["origins"].get(origin, {}))
        assert dict(report.origins[origin].counts) == dict(summed)
        assert summed["requests_allowed"] == PAGES and summed["requests_denied"] == PAGES
    assert report.to_dict()["documents"]["robots.txt"] == {
        "fetched": len(ORIGINS),
        "shared": copies["shared"],
    }
    # The summary counts fetches as the report does: a copy read from Redis is not one more.
    measures = build_summary(read_audit_files(audits)).measures
    robots_measure = next(m for m in measures if m["measure"] == "1.3 (1)(a)")["evidence"]
    assert (robots_measure["fetches"], robots_measure["origins"]) == (len(ORIGINS), len(ORIGINS))


def test_control_in_memory_mode_each_worker_fetches_for_itself(web, redis_server, tmp_path: Path) -> None:
    audits = run_workers(web, redis_server, tmp_path, "memory")
    touched = Counter(
        r["origin"] for a in audits for r in read_audit(a) if r["record"] == "robots"
    )  # one robots record per origin per worker that met it
    assert {f"http://{h}": n for h, n in robots_fetches(web).items()} == dict(touched)
    assert sum(robots_fetches(web).values()) > len(ORIGINS)  # what the shared cache saves


def test_audit_log_with_worker_gives_each_worker_its_own_file(web, redis_server, tmp_path: Path) -> None:
    web.add("own.test", "/robots.txt", "User-agent: *\nDisallow: /private/\n")
    for path in ("/a", "/b"):
        web.add("own.test", path, "<html><body>page</body></html>")
    template = f"--audit={tmp_path / 'audit-%(worker)s.jsonl'}"  # no POLICYGUARD_WORKER_ID: hostname-pid
    workers = [start_worker(web, redis_server, [web.url("own.test", p)], template) for p in ("/a", "/b")]
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0]
    names = [f"{socket.gethostname()}-{worker.pid}" for worker in workers]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"audit-{name}.jsonl" for name in names)
    audits = [tmp_path / f"audit-{name}.jsonl" for name in names]
    for name, audit in zip(names, audits, strict=True):
        records = read_audit(audit)
        assert (records[0]["record"], records[0]["worker"]) == ("crawl", name)
        assert records[-1]["record"] == "totals"
    report = load_report(audits)  # one run, both files
    assert report.complete and len(report.workers) == 2


# --------------------------------------------------------------------------- a worker killed holding the lock


def test_a_worker_killed_holding_a_lock_delays_the_others_until_its_expiry(
    web, redis_server, tmp_path: Path
) -> None:
    asked: list[float] = []

    def robots(seen: Any) -> Reply:
        asked.append(time.time())
        # The first worker to ask gets no answer: it holds the lock until it is killed.
        return Reply(body="User-agent: *\nDisallow: /private/\n", delay=60 if len(asked) == 1 else 0)

    web.add("slow.test", "/robots.txt", robots)
    web.add("slow.test", "/.well-known/tdmrep.json", Reply(status=404))
    web.add("slow.test", "/a", "<html><body>a</body></html>")
    web.add("slow.test", "/b", "<html><body>b</body></html>")

    def worker(name: str, path: str) -> subprocess.Popen[bytes]:
        # One request at a time: the first worker, busy with /a, never takes /b from the queue.
        options = (f"--audit={tmp_path / name}.jsonl", f"--worker={name}", "--lock-ttl=2", "--concurrency=1")
        return start_worker(web, redis_server, [web.url("slow.test", path)], *options)

    first = worker("first", "/a")
    deadline = time.monotonic() + 60
    while not asked and time.monotonic() < deadline:
        time.sleep(0.05)
    assert asked, "the first worker never asked for robots.txt"
    second = worker("second", "/b")
    started = tmp_path / "second.jsonl"  # its crawl record: it is about to ask for the lock
    while not (started.exists() and started.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)  # the second worker polls for the lock, which the first keeps extending
    assert redis_server.client().keys("*:lock:*"), "no lock is held while robots.txt downloads"
    assert len(asked) == 1, "the second worker fetched robots.txt while the first held the lock"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = time.time()
    assert second.wait(timeout=60) == 0
    assert len(asked) == 2
    # The dead worker's lock had 1.3 to 2 s to live (extended every 2/3 s): the second worker
    # waited that long, then fetched within one poll (at most 250 ms).
    assert 1 < asked[1] - killed_at < 2 + 1
    assert (web.count("slow.test", "/a"), web.count("slow.test", "/b")) == (0, 1)


# --------------------------------------------------------------------------- Redis going away


def outage_sites(web: LocalWeb, count: int) -> list[str]:
    hosts = [f"r{i}.test" for i in range(count)]
    for host in hosts:
        web.add(host, "/robots.txt", "User-agent: *\nDisallow: /private/\n")
        web.add(host, "/a", "<html><body>a</body></html>")
        web.add(host, "/private/x", "<html><body>secret</body></html>")
    return hosts


@pytest.mark.parametrize("on_error", ["fetch", "deny"])
@coroutine_test
async def test_redis_stopped_mid_crawl_never_lets_a_request_through_unchecked(  # noqa: PLR0917
    web, crawl, redis_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on_error: str
) -> None:
    monkeypatch.setattr(shared_documents, "RETRY_AFTER", 0.3)
    hosts = outage_sites(web, 4)
    # r0 with Redis up; r1 (and r0's private page) while it is down; r2 after it is back.
    urls = [
        f"http://{hosts[0]}/a",
        f"http://{hosts[1]}/a",
        f"http://{hosts[1]}/private/x",
        f"http://{hosts[0]}/private/x",
        f"http://{hosts[2]}/a",
        f"http://{hosts[2]}/private/x",
    ]

    def back() -> None:
        redis_server.start()
        time.sleep(0.4)  # past the retry interval

    audit = tmp_path / "audit.jsonl"
    settings = {
        "POLICYGUARD_CACHE": "redis",
        "POLICYGUARD_REDIS_URL": redis_server.url,
        "POLICYGUARD_REDIS_ON_ERROR": on_error,
        "POLICYGUARD_AUDIT_LOG": str(audit),
    }
    crawler = await crawl(ChainSpider, settings, urls=urls, before={1: redis_server.stop, 4: back})
    spider = crawler.spider
    assert all(web.count(h, "/private/x") == 0 for h in hosts)
    stats = guard_stats(crawler)
    assert stats["policyguard/cache/errors"] >= 1
    states = [r["state"] for r in read_audit(audit) if r["record"] == "cache"]
    assert states == ["down", "up"]
    if on_error == "fetch":
        assert spider.fetched == [f"http://{hosts[0]}/a", f"http://{hosts[1]}/a", f"http://{hosts[2]}/a"]
    else:  # r1 has no copy while Redis is down: refused, and audited as such
        assert spider.fetched == [f"http://{hosts[0]}/a", f"http://{hosts[2]}/a"]
        refused = [r for r in read_audit(audit) if r["record"] == "request" and r["url"] == urls[1]]
        assert refused[0]["denied_by"] == ["policyguard"]
        assert web.count(hosts[1], "/robots.txt") == 0
    # Back on Redis: r2's robots.txt went into the shared cache, expiring one TTL after the
    # document itself (the last good copy outlives it): Redis does not keep documents for ever.
    key = f"chain:policyguard:doc:robots:http://{hosts[2]}"
    assert redis_server.client().exists(key) == 1
    assert 86400 < redis_server.client().ttl(key) <= 2 * 86400


@coroutine_test
async def test_deny_a_licence_unreadable_while_redis_is_down_denies_the_response_and_is_audited(
    web, crawl, redis_server, tmp_path: Path
) -> None:
    # The page is allowed on the robots.txt held since Redis was up; its Link header names a
    # licence this worker has no copy of, and may not fetch while Redis is down.
    host = "lic.test"
    link = f'<http://{host}/license.xml>; rel="license"; type="application/rsl+xml"'
    web.add(host, "/robots.txt", "User-agent: *\nDisallow: /private/\n")
    web.add(host, "/a", "<html><body>a</body></html>")
    web.add(host, "/licensed", Reply(body="<html><body>licensed</body></html>", headers=[("Link", link)]))
    web.add(host, "/license.xml", Reply(body="<rsl xmlns='https://rslstandard.org/rsl'></rsl>"))
    urls = [f"http://{host}/a", f"http://{host}/licensed"]
    audit = tmp_path / "audit.jsonl"
    settings = {
        "POLICYGUARD_CACHE": "redis",
        "POLICYGUARD_REDIS_URL": redis_server.url,
        "POLICYGUARD_REDIS_ON_ERROR": "deny",
        "POLICYGUARD_AUDIT_LOG": str(audit),
    }
    crawler = await crawl(ChainSpider, settings, urls=urls, before={1: redis_server.stop})
    assert crawler.spider.fetched == urls
    assert web.count(host, "/license.xml") == 0
    records = read_audit(audit)
    [response] = [r for r in records if r["record"] == "response" and r["url"] == urls[1]]
    assert "policyguard" in response["denied_by"]
    [item] = [r for r in records if r["record"] == "item" and r["url"] == urls[1]]
    assert not item["allowed"] and "policyguard" in item["denied_by"]
    assert guard_stats(crawler)["policyguard/cache/errors"] >= 1


@coroutine_test
async def test_deny_expired_copies_are_kept_through_an_outage_and_reported_once(
    web, crawl, redis_server, tmp_path: Path
) -> None:
    # Both documents expire (1 s) while Redis is down: the copies held keep deciding, tdmrep.json's
    # reservation of /c included, and each is recorded as kept once, not at every request.
    host = "kept.test"
    web.add(host, "/robots.txt", "User-agent: *\nDisallow: /private/\n")
    reserve_c = '[{"location": "/c", "tdm-reservation": 1}]'
    web.add(host, "/.well-known/tdmrep.json", Reply(body=reserve_c, content_type="application/json"))
    for path in ("/a", "/b", "/c", "/d", "/private/x"):
        web.add(host, path, f"<html><body>{path}</body></html>")
    urls = [f"http://{host}{path}" for path in ("/a", "/b", "/c", "/d", "/private/x")]

    def down() -> None:
        redis_server.stop()
        time.sleep(1.2)  # both copies expire

    audit = tmp_path / "audit.jsonl"
    settings = {
        "POLICYGUARD_CACHE": "redis",
        "POLICYGUARD_REDIS_URL": redis_server.url,
        "POLICYGUARD_REDIS_ON_ERROR": "deny",
        "POLICYGUARD_ROBOTS_TTL": 1,
        "POLICYGUARD_AUDIT_LOG": str(audit),
    }
    crawler = await crawl(ChainSpider, settings, urls=urls, before={1: down})
    spider = crawler.spider
    assert spider.fetched == [urls[0], urls[1], urls[3]]
    assert spider.denied == [urls[2], urls[4]]
    assert (web.count(host, "/robots.txt"), web.count(host, "/.well-known/tdmrep.json")) == (1, 1)
    records = read_audit(audit)
    [reserved] = [r for r in records if r["record"] == "request" and r["url"] == urls[2]]
    assert reserved["denied_by"] == ["tdmrep"]
    kept = [(r["record"], r.get("kind")) for r in records if r.get("copy") == "kept"]
    assert kept == [("robots", None), ("document", "tdmrep.json")]
    stats = guard_stats(crawler)
    assert (stats["policyguard/robots/kept"], stats["policyguard/tdmrep/kept"]) == (1, 1)


@coroutine_test
async def test_a_worker_started_while_redis_is_down_warns_its_run_is_its_own(
    web, crawl, redis_server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    redis_server.stop()
    [host] = outage_sites(web, 1)
    audit = tmp_path / "audit.jsonl"
    settings = {
        "POLICYGUARD_CACHE": "redis",
        "POLICYGUARD_REDIS_URL": redis_server.url,
        "POLICYGUARD_AUDIT_LOG": str(audit),
    }
    crawler = await crawl(ChainSpider, settings, urls=[f"http://{host}/a"])
    assert crawler.spider.fetched == [f"http://{host}/a"]  # fetched for itself
    [record] = [r for r in read_audit(audit) if r["record"] == "crawl"]
    assert record["run"] == record["crawl"]
    [warning] = [r.getMessage() for r in caplog.records if "run id of their own" in r.getMessage()]
    assert f"--crawl {record['run']}" in warning and "POLICYGUARD_RUN_ID" in warning
    assert load_report(audit).complete

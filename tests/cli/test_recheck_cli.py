"""``policyguard recheck`` itself, run in a subprocess as a user runs it (Scrapy's reactor cannot start
twice in one process); the crawl it runs is tested in-process in tests/adapters/test_recheck.py.

The sites are a LocalWeb reached through ``http_proxy`` (the ``web`` fixture), which the command
inherits.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from archiving import write_jsonl, write_warc
from commands import Run, installed, policyguard

from scrapy_policyguard.cli.main import main
from scrapy_policyguard.demo.web import LocalWeb, Reply

TOKEN = "ExampleBot"
URLS = ["http://a.test/open", "http://a.test/private/x", "http://b.test/page"]


@pytest.fixture
def sites(web: LocalWeb) -> LocalWeb:
    """a.test disallows /private/ to ExampleBot today; b.test's robots.txt answers 503."""
    for url in URLS:
        web.add(url.split("/")[2], "/" + url.split("/", 3)[3], "<html><body>x</body></html>")
    web.add("a.test", "/robots.txt", Reply(body=f"User-agent: {TOKEN}\nDisallow: /private/\n"))
    web.add("b.test", "/robots.txt", Reply(status=503))
    return web


@pytest.fixture
def inputs(sites: LocalWeb, tmp_path: Path) -> list[Path]:
    warc, lines = tmp_path / "crawl.warc.gz", tmp_path / "data.jsonl"
    write_warc(warc, sites, URLS)
    write_jsonl(lines, URLS, field="link")
    sites.clear_log()
    return [warc, lines]


def test_recheck_splits_the_inputs_writes_an_audit_trail_and_prints_what_it_did(
    sites: LocalWeb, inputs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    run = installed(
        "recheck",
        *inputs,
        "--out",
        out,
        "--user-agent",
        TOKEN,
        "--url-field",
        "link",
        "--progress",
        "--timeout",
        5,
    )
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == f"policyguard recheck: purpose ai-train, product token {TOKEN}"
    for path in inputs:
        kind = "warc" if path.suffix == ".gz" else "jsonl"
        assert f"  {path} ({kind}): " in run.out
        assert (out / "kept" / path.name).is_file() and (out / "removed" / path.name).is_file()
    assert "1 kept, 2 removed (robots.txt 2)" in lines[1]
    assert lines[1].endswith("; 1 record copied to both")  # the warcinfo record
    assert lines[-1] == f"audit:   {out / 'audit.jsonl'}  (policyguard report {out / 'audit.jsonl'})"
    # The progress bar: records per second and origins resolved; log lines above it, at the
    # command's log level (WARNING).
    assert "records/s" in run.err and "2 origins resolved" in run.err
    assert "[scrapy_policyguard] WARNING: robots.txt for http://b.test unreachable (HTTP 503)" in run.err
    assert " INFO: " not in run.err
    assert sorted((s.host, s.path) for s in sites.seen) == [
        ("a.test", "/.well-known/tdmrep.json"),
        ("a.test", "/robots.txt"),
        ("b.test", "/robots.txt"),
    ]
    # policyguard report reads the trail as a crawl's.
    assert main(["report", str(out / "audit.jsonl"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["crawl"]["spider"] == "policyguard-recheck"
    counts = {o["origin"]: o["counts"] for o in report["origins"]}
    assert counts == {
        "http://a.test": {"captures_kept": 2, "captures_removed": 2},
        "http://b.test": {"captures_removed": 2},
    }


def test_a_projects_settings_module_gives_the_token_and_its_settings(
    sites: LocalWeb, inputs: list[Path], tmp_path: Path
) -> None:
    """``--settings``: the token from the project's USER_AGENT, its POLICYGUARD_AUDIT_ALL;
    the JSON outcome."""
    (tmp_path / "myproject_settings.py").write_text(
        f'USER_AGENT = "{TOKEN}/2.0 (+https://example.org/bot)"\nPOLICYGUARD_AUDIT_ALL = True\n'
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = tmp_path / "out"
    run = installed("recheck", inputs[0], "--out", out, "--settings", "myproject_settings", "--json", env=env)
    assert run.code == 0, run.err
    assert run.json["user_agent"] == TOKEN
    assert run.json["inputs"] == [
        {
            "path": str(inputs[0]),
            "format": "warc",
            "records": 10,
            "captures": 3,
            "kept": 1,
            "removed": 2,
            "copied_to_both": 1,
            "removed_by": {"robots.txt": 2},
        }
    ]
    assert "records/s" not in run.err  # no bar when stderr is not a terminal
    audit = [json.loads(line) for line in (out / "audit.jsonl").read_text().splitlines()]
    assert audit[0]["user_agent"]["setting"] == "USER_AGENT"
    assert [r["action"] for r in audit if r["record"] == "recheck"] == ["kept", "removed", "removed"]


# Bad options stop the command before its crawl starts, so these run in-process.


def in_process(capsys: pytest.CaptureFixture[str], *argv: object) -> Run:
    return policyguard(["recheck", *argv], capsys)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param([], "give --user-agent TOKEN", id="no-token"),
        pytest.param(
            ["--user-agent", TOKEN, "--purpose", "nope"], "POLICYGUARD_PURPOSE='nope'", id="purpose"
        ),
        pytest.param(["--user-agent", TOKEN, "--rules", "/no/such/pack.yaml"], "rule pack error", id="pack"),
        pytest.param(["--user-agent", TOKEN, "--window", "0"], "--window must be at least 1", id="window"),
        pytest.param(["--user-agent", "!!!"], "USER_AGENT='!!!'", id="token"),
    ],
)
def test_bad_options_exit_2_before_anything_is_fetched(
    sites: LocalWeb,
    inputs: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    options: list[str],
    message: str,
) -> None:
    run = in_process(capsys, *inputs, "--out", tmp_path / "out", *options)
    assert (run.code, sites.seen) == (2, [])
    assert message in run.err
    assert not (tmp_path / "out" / "kept").exists()


def test_inputs_it_cannot_read_or_would_overwrite_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    run = in_process(capsys, text, "--out", out, "--user-agent", TOKEN)
    assert run.code == 2 and "not a format recheck reads; it reads WARC (.warc .warc.gz)" in run.err
    run = in_process(capsys, tmp_path / "missing.warc", "--out", out, "--user-agent", TOKEN)
    assert run.code == 2 and "missing.warc: no such file" in run.err
    (tmp_path / "x").mkdir()
    first, second = tmp_path / "a.jsonl", tmp_path / "x" / "a.jsonl"
    write_jsonl(first, [])
    write_jsonl(second, [])
    run = in_process(capsys, first, second, "--out", out, "--user-agent", TOKEN)
    assert run.code == 2 and "inputs share a file name (a.jsonl)" in run.err
    (out / "kept").mkdir(parents=True)
    (out / "kept" / "a.jsonl").write_text("earlier\n")
    run = in_process(capsys, first, "--out", out, "--user-agent", TOKEN)
    assert run.code == 2 and "use --overwrite to replace it" in run.err
    assert (out / "kept" / "a.jsonl").read_text() == "earlier\n"
    run = in_process(capsys, first, "--out", first, "--user-agent", TOKEN)
    assert run.code == 2 and f"--out {first} is a file: name a folder" in run.err
    inside = out / "kept" / "a.jsonl"
    run = in_process(capsys, inside, "--out", out, "--user-agent", TOKEN, "--overwrite")
    assert run.code == 2
    assert run.err.strip() == f"policyguard recheck: {inside} is an output of this run: choose another --out"


def test_a_projects_unreadable_blocklist_exits_2_before_anything_is_fetched(
    sites: LocalWeb,
    inputs: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The same checks as a crawl's start: the project's blocklists are read before any fetch.
    missing = tmp_path / "no-such-list.txt"
    (tmp_path / "listing_settings.py").write_text(f"POLICYGUARD_BLOCKLISTS = [{str(missing)!r}]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    run = in_process(
        capsys, *inputs, "--out", tmp_path / "out", "--user-agent", TOKEN, "--settings", "listing_settings"
    )
    assert (run.code, sites.seen) == (2, [])
    assert "POLICYGUARD_BLOCKLISTS" in run.err and str(missing) in run.err

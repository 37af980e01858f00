"""Uses an installed scrapy-policyguard as a new user would: fresh venv, no checkout in sight.

Usage (from an empty directory outside the checkout): VENV/bin/python check_installed.py EXAMPLE_PROJECT

EXAMPLE_PROJECT is the repository's example_project/; a copy of it is crawled with ``scrapy crawl``.
Every check runs the venv's own ``policyguard`` or ``scrapy`` script, in a folder of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import scrapy_policyguard
from scrapy_policyguard.demo.web import LocalWeb

BIN = Path(sys.executable).parent
HERE = Path.cwd()


def run(*command: str | Path, cwd: Path = HERE, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout + done.stderr


def installed() -> None:
    package = Path(scrapy_policyguard.__file__).resolve()
    assert package.is_relative_to(Path(sys.prefix).resolve()), f"imported from {package}, not the venv"


def version() -> None:
    code, out = run(BIN / "policyguard", "--version")
    assert code == 0 and out.strip() == f"policyguard {scrapy_policyguard.__version__}", out


def rules_list() -> None:
    code, out = run(BIN / "policyguard", "rules", "list")
    ids = {line.split()[0] for line in out.splitlines() if line[:1].isalpha()}
    assert code == 0 and {"x", "reddit"} <= ids, out


def check_denies_x() -> None:
    url, options = "https://x.com/SomeUser/status/1", ("--purpose", "ai-train", "--user-agent", "ExampleBot")
    code, out = run(BIN / "policyguard", "check", url, *options, "--json")
    assert code == 1, f"exit {code}, not 1 (denied): {out}"
    evidence = json.loads(out)["evidence"]
    assert any(e["source"] == "terms" and e["refs"]["pack"] == "x" for e in evidence), out


def demo() -> None:
    folder = HERE / "demo"
    folder.mkdir()
    code, out = run(BIN / "policyguard", "demo", cwd=folder)
    assert code == 0, out
    for name in ("report.html", "summary.html", "audit.jsonl"):
        assert (folder / "out" / name).is_file(), f"no out/{name}: {out}"


def crawl_example_project(example: Path) -> None:
    project = HERE / "example_project"
    shutil.copytree(example, project, ignore=shutil.ignore_patterns("__pycache__", "out"))
    with LocalWeb(sites_dir=project / "demoweb" / "sites") as web:
        env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"} | {"http_proxy": web.proxy_url}
        code, out = run(BIN / "scrapy", "crawl", "demo", cwd=project, env=env)
    assert code == 0, out
    records = [json.loads(line) for line in (project / "out" / "audit.jsonl").read_text("utf-8").splitlines()]
    denied = {
        urlsplit(r["url"]).hostname
        for r in records
        if r["record"] == "request" and "terms" in r.get("denied_by", ())
    }
    assert {"x.com", "www.reddit.com"} <= denied, f"terms denied only {denied}"
    summary = json_output(BIN / "policyguard", "summary", project / "out" / "audit.jsonl", "--json")
    assert summary["top_domains"] and summary["run"]["complete"], summary["run"]
    disclosure = json_output(BIN / "policyguard", "disclose", "--format", "json", cwd=project)
    assert disclosure["crawlers"][0]["token"] == "ExampleDataBot", disclosure["crawlers"]


def json_output(*command: str | Path, cwd: Path = HERE) -> dict:  # type: ignore[type-arg]
    """The JSON a command prints on stdout (what it logs to stderr is shown when it fails)."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def main(example: str) -> None:
    checks: list[tuple[str, Callable[[], None]]] = [
        ("the package comes from the venv", installed),
        ("policyguard --version", version),
        ("policyguard rules list names the X and Reddit packs", rules_list),
        ("policyguard check denies X for ai-train with the x pack", check_denies_x),
        ("policyguard demo in an empty folder", demo),
        (
            "scrapy crawl demo, policyguard summary and disclose in a copy of example_project",
            lambda: crawl_example_project(Path(example)),
        ),
    ]
    for name, check in checks:
        start = time.monotonic()
        check()
        print(f"ok  {name} ({time.monotonic() - start:.1f} s)", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])

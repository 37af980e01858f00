"""``policyguard demo``: crawl the bundled demo web with example_project and print the audit report.

The demo web is a set of local sites with real host names (x.com, www.reddit.com, a news site
that blocks AI crawlers, an art site that says noai, a TDMRep publisher...) served from
``example_project/demoweb/sites`` by :class:`~scrapy_policyguard.demo.web.LocalWeb`; Scrapy reaches
them through its own proxy support (``http_proxy``), so no internet is needed. The crawl is the
example project's ``demo`` spider, run by ``scrapy crawl`` as a user would run it.

The wheel carries a copy of the repository's ``example_project/`` as
``scrapy_policyguard/demo/example_project``, so the demo runs from any directory without a checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..adapters.feeds import policy_feeds
from ..demo.web import LocalWeb
from .report.html import render_html
from .report.model import load_report, read_audit
from .report.text import render_text
from .summary.html import render_html as render_summary_html
from .summary.model import build_summary

__all__ = ["find_project", "register"]


def register(commands: Any) -> None:
    p = commands.add_parser("demo", help="crawl the local demo web with example_project and report")
    p.add_argument("--project", type=Path, help="an example_project folder (default: the installed one)")
    p.add_argument("--out", type=Path, default=Path("out"), help="where feeds, audit log and report go")
    p.add_argument("--spider", default="demo", help="the spider to run (demo or search_demo)")
    p.add_argument("--serve", action="store_true", help="only serve the demo web until Ctrl-C")
    p.set_defaults(run=run)


def find_project(given: Path | None = None) -> Path:
    """The example project: ``given`` (``--project``), else the copy installed with the package."""
    project = given or files("scrapy_policyguard") / "demo" / "example_project"
    if isinstance(project, Path) and (project / "scrapy.cfg").is_file() and (project / "demoweb").is_dir():
        return project.resolve()
    raise SystemExit(f"policyguard demo: no example project with demoweb/ at {project}; pass --project")


def run(args: argparse.Namespace) -> int:
    project = find_project(args.project)
    with LocalWeb(sites_dir=project / "demoweb" / "sites") as web:
        if args.serve:
            # The installed project lies in site-packages: crawl a copy, which writes its out/ there.
            print(f"Demo web on {web.address}. Crawl it from a copy of the example project:")
            print(f"  cp -r {project} my-demo && cd my-demo")
            print(f"  http_proxy={web.proxy_url} scrapy crawl {args.spider}\nCtrl-C to stop.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
        out = args.out.resolve()
        out.mkdir(parents=True, exist_ok=True)
        for name in ("train.jsonl", "quarantine.jsonl", "audit.jsonl", "report.html", "summary.html"):
            (out / name).unlink(missing_ok=True)
        env = dict(os.environ)
        env.update(
            http_proxy=web.proxy_url,
            SCRAPY_SETTINGS_MODULE="example_project.settings",
            PYTHONPATH=os.pathsep.join(filter(None, [str(project), env.get("PYTHONPATH")])),
        )
        env.pop("no_proxy", None)
        env.pop("NO_PROXY", None)
        print(
            f"Demo web on {web.address}; crawling with spider {args.spider!r} (purpose from its settings) ..."
        )
        feeds = policy_feeds(str(out / "train.jsonl"), str(out / "quarantine.jsonl"))
        overrides = {
            "LOG_LEVEL": "WARNING",
            "FEEDS": json.dumps(feeds),
            "POLICYGUARD_AUDIT_LOG": str(out / "audit.jsonl"),
            "FILES_STORE": str(out / "files"),
        }
        command = [sys.executable, "-m", "scrapy", "crawl", args.spider]
        for name, value in overrides.items():
            command += ["-s", f"{name}={value}"]
        crawl = subprocess.run(command, cwd=project, env=env, check=False)
    audit = out / "audit.jsonl"
    if not audit.exists():
        print("policyguard demo: the crawl wrote no audit log", file=sys.stderr)
        return crawl.returncode or 1
    report = load_report(audit)
    (out / "report.html").write_text(render_html(report), encoding="utf-8")
    summary = build_summary(read_audit([audit]))
    (out / "summary.html").write_text(render_summary_html(summary), encoding="utf-8")
    print(render_text(report, top=3))
    written = [
        out / name
        for name in ("train.jsonl", "quarantine.jsonl", "audit.jsonl", "report.html", "summary.html")
    ]
    print(f"\nWritten: {', '.join(map(str, written))}")
    return crawl.returncode

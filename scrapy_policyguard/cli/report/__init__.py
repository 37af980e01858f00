"""``policyguard report AUDIT.jsonl``: what a crawl fetched, blocked, kept and dropped, and why.

The model (:mod:`.model`) reads the audit trail; :mod:`.text` and :mod:`.html` render it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .html import render_html
from .model import load_report
from .text import render_text

__all__ = ["register"]


def register(commands: Any) -> None:
    p = commands.add_parser("report", help="summarise an audit trail (terminal, --json or --html)")
    p.add_argument(
        "audit",
        type=Path,
        nargs="+",
        help="the JSON Lines audit log (several: the files of one run's workers)",
    )
    p.add_argument("--crawl", help="the run or crawl id to report (default: the last run in the files)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML page")
    p.add_argument("--top", type=int, default=5, help="reasons shown per origin (default 5)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        report = load_report(args.audit, args.crawl)
    except (OSError, ValueError) as exc:
        print(f"policyguard report: {exc}", file=sys.stderr)
        return 2
    if args.html:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        args.html.write_text(render_html(report, args.top), encoding="utf-8")
    if args.json:
        json.dump(report.to_dict(args.top), sys.stdout, indent=2, default=str)
        print()
    else:
        print(render_text(report, args.top))
        if args.html:
            print(f"\nHTML report: {args.html}")
    return 0 if report.complete else 3

"""``policyguard summary AUDIT.jsonl...``: the run as the EU Code of Practice and the AI Act's
training-content summary template ask to see it (terminal, ``--json`` or ``--html``).

The model (:mod:`.model`) reads the audit files with the report model's reader; :mod:`.text` and
:mod:`.html` render it. ``--share`` and ``--max-domains`` set how many domains the summary lists:
the template asks for the top 10%, and lets SMEs list the top 5% or the top 1,000, whichever is
lower (``--share 0.05 --max-domains 1000``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ...core.compliance import TOP_DOMAINS_SHARE, TOP_DOMAINS_SHARE_SME, TOP_DOMAINS_SME_MAX
from ..report.model import read_audit
from .html import render_html
from .model import build_summary
from .text import render_text

__all__ = ["register"]


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share between 0 and 1, e.g. 0.10 for 10%")
    return value


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def register(commands: Any) -> None:
    p = commands.add_parser(
        "summary",
        help="the run's evidence for the EU Code of Practice and the AI Act training-content summary",
    )
    p.add_argument("audit", type=Path, nargs="+", help="the JSON Lines audit logs of one run")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--crawl", help="the run (or one crawl) to summarise; default: the run started last")
    which.add_argument("--all", action="store_true", help="every crawl in the files, as one collection")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML page")
    p.add_argument(
        "--share",
        type=_share,
        default=TOP_DOMAINS_SHARE,
        help=f"share of domains to list, largest first (default {TOP_DOMAINS_SHARE:.2f}; SMEs: "
        f"{TOP_DOMAINS_SHARE_SME:.2f})",
    )
    p.add_argument(
        "--max-domains", type=_positive, help=f"list at most this many domains (SMEs: {TOP_DOMAINS_SME_MAX})"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        summary = build_summary(
            read_audit(args.audit), args.crawl, every=args.all, share=args.share, max_domains=args.max_domains
        )
    except (OSError, ValueError) as exc:
        print(f"policyguard summary: {exc}", file=sys.stderr)
        return 2
    if args.html:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        args.html.write_text(render_html(summary), encoding="utf-8")
    if args.json:
        json.dump(summary.to_dict(), sys.stdout, indent=2, default=str)
        print()
    else:
        print(render_text(summary))
        if args.html:
            print(f"\nHTML summary: {args.html}")
    return 0 if summary.complete else 3

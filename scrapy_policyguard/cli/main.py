"""``policyguard``: the offline tools, on the same engine as the Scrapy plugin.

policyguard check URL [--purpose P] [--robots FILE | --fetch] ...   decide one URL, with evidence
policyguard check FILE|FOLDER... [--purpose P]                       decide media files by what they embed
policyguard rules list | show ID | validate [PATHS]                  the platform-terms rule packs
policyguard report AUDIT.jsonl [--html FILE] [--json]                 read an audit trail
policyguard summary AUDIT.jsonl... [--html FILE] [--json]             the run for EU reviewers
policyguard disclose [--format markdown|html|json]                    the crawler information page
policyguard recheck INPUT... --out DIR [--purpose P] [--user-agent T]    split collected data (WARC,
                                                                      JSON Lines) by today's opt-outs
policyguard demo                                                      run the bundled demo crawl
policyguard keys new DIR | show KEY                                   the Web Bot Auth signing key
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from . import check, demo, disclose, keys, recheck, report, rules, summary

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policyguard",
        description="Check URLs against robots.txt (RFC 9309), AI-usage signals and platform terms.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (check, rules, report, summary, disclose, recheck, demo, keys):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

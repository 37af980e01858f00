"""``policyguard check``: one URL, one purpose, every piece of evidence, from files or live.

With files the inputs are what you give, and the decision comes from
:func:`scrapy_policyguard.check`, the engine the middleware uses. With ``--fetch`` a real Scrapy
crawl with the add-on requests the URL (adapters/live_check.py): robots.txt, tdmrep.json, RSL
licences and the page are fetched exactly as in a crawl, and the decision is the middleware's.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from ..core.decision import Decision, Outcome
from ..core.engine import check
from ..core.purposes import PURPOSES

__all__ = ["register"]

DEFAULT_TOKEN = "Scrapy"


def register(commands: Any) -> None:
    p = commands.add_parser("check", help="decide one URL for a purpose and show the evidence")
    p.add_argument("url")
    p.add_argument("--purpose", default="ai-train", help="ai-train (default), ai-input or search")
    p.add_argument(
        "--user-agent",
        help=f"your crawler's product token or User-Agent (default {DEFAULT_TOKEN!r}, like plain Scrapy; "
        "with --fetch and --settings, the project's)",
    )
    p.add_argument("--robots", type=Path, help="robots.txt file")
    p.add_argument(
        "--robots-status", type=int, default=200, help="HTTP status robots.txt answered (default 200)"
    )
    p.add_argument("--header", action="append", default=[], metavar='"NAME: VALUE"', help="a response header")
    p.add_argument("--html", type=Path, help="the page's HTML")
    p.add_argument("--tdmrep", type=Path, help="/.well-known/tdmrep.json file")
    p.add_argument("--rsl", action="append", default=[], metavar="URL=FILE", help="an RSL licence document")
    p.add_argument(
        "--agreement", action="append", default=[], metavar="ID=REFERENCE", help="an agreement held"
    )
    p.add_argument(
        "--rules", action="append", default=None, metavar="PATH", help="rule packs (default: bundled)"
    )
    p.add_argument("--unknown", choices=("allow", "deny"), default="allow", help="default for unknown")
    p.add_argument(
        "--paywall",
        choices=("deny", "tag", "ignore"),
        default="deny",
        help="POLICYGUARD_PAYWALL (default deny)",
    )
    p.add_argument(
        "--blocklist", action="append", default=[], metavar="FILE", help="a POLICYGUARD_BLOCKLISTS file"
    )
    p.add_argument(
        "--fetch",
        action="store_true",
        help="decide with a real Scrapy crawl that fetches robots.txt, tdmrep.json, licences and the page",
    )
    p.add_argument("--timeout", type=float, help="seconds per HTTP request with --fetch (DOWNLOAD_TIMEOUT)")
    p.add_argument(
        "--settings",
        metavar="MODULE",
        help="with --fetch: a Scrapy settings module (e.g. myproject.settings) whose settings apply",
    )
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.set_defaults(run=run)


class UsageError(ValueError):
    """A malformed option or unreadable file: exit status 2, as argparse uses."""


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    result = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} expects KEY=VALUE, got {item!r}")
        result[key.strip()] = value.strip()
    return result


def run(args: argparse.Namespace) -> int:
    try:
        decision = _decide(args)
    except (UsageError, ValueError) as exc:
        print(f"policyguard check: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(decision.to_dict(), sys.stdout, indent=2)
        print()
    else:
        print(render(decision))
    return 0 if decision.allowed else 1


def _decide(args: argparse.Namespace) -> Decision:
    if args.fetch:
        return _check_live(args)
    headers: list[tuple[str, str]] = []
    for raw in args.header:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            raise UsageError(f'--header expects "Name: value", got {raw!r}')
        headers.append((name.strip(), value.strip()))
    rsl = {url: _read(Path(file)) or b"" for url, file in _pairs(args.rsl, "--rsl").items()}
    options: dict[str, Any] = {
        "purpose": args.purpose,
        "user_agent": args.user_agent or DEFAULT_TOKEN,
        "unknown": args.unknown,
        "agreements": _pairs(args.agreement, "--agreement"),
        "rules": args.rules,
        "paywall": args.paywall or "deny",
        "blocklists": args.blocklist or None,
    }
    return check(
        args.url,
        robots_txt=_read(args.robots),
        robots_status=args.robots_status,
        headers=headers or None,
        html=_read(args.html),
        tdmrep=_read(args.tdmrep),
        rsl=rsl,
        **options,
    )


def _check_live(args: argparse.Namespace) -> Decision:
    """The decision of a real crawl of ``args.url`` with the add-on (see adapters/live_check.py)."""
    offline = [
        flag
        for flag, given in (
            ("--robots", args.robots),
            ("--robots-status", args.robots_status != 200),
            ("--header", args.header),
            ("--html", args.html),
            ("--tdmrep", args.tdmrep),
            ("--rsl", args.rsl),
        )
        if given
    ]
    if offline:
        raise UsageError(
            f"--fetch reads every document over HTTP; {', '.join(offline)} are for offline checks"
        )
    from scrapy.crawler import CrawlerProcess

    from ..adapters.live_check import CheckResult, CheckSpider, check_settings
    from ..adapters.runtime import load_blocklist, load_terms
    from ..adapters.settings import GuardSettings

    settings = check_settings(
        args.settings,
        user_agent=args.user_agent,
        purpose=args.purpose,
        unknown=args.unknown,
        agreements=_pairs(args.agreement, "--agreement"),
        rules=args.rules,
        timeout=args.timeout,
        paywall=args.paywall,
        blocklists=args.blocklist or None,
    )
    guard = GuardSettings.from_settings(settings)
    load_terms(guard)  # a bad option stops here, with its reason
    load_blocklist(guard)
    result = CheckResult()
    process = CrawlerProcess(settings)
    process.crawl(CheckSpider, url=args.url, result=result)
    process.start()
    if result.decision is None:
        raise UsageError(f"no decision was made on {args.url} ({result.error or 'the crawl did not run'})")
    if result.error is not None:
        print(
            f"note: the page could not be fetched ({result.error}); request-time decision only",
            file=sys.stderr,
        )
    return result.decision


def render(decision: Decision) -> str:
    verdict = "ALLOWED" if decision.allowed else "DENIED"
    lines = [
        f"{verdict}: {decision.url}",
        f"  purpose {decision.purpose}: {decision.outcome}"
        + (" (default for unknown applied)" if decision.outcome is Outcome.UNKNOWN else ""),
        "  all purposes: " + ", ".join(f"{p}={decision.outcomes[p]}" for p in PURPOSES),
    ]
    if decision.conditions:
        lines.append("  conditions: " + "; ".join(decision.conditions))
    lines.append(f"  evidence ({decision.stage} stage):")
    for item in decision.evidence:
        effects = ", ".join(f"{p}={o}" for p, o in item.effects.items()) or "note"
        inferred = f" [inferred: {', '.join(sorted(map(str, item.inferred)))}]" if item.inferred else ""
        lines.append(f"   - [{item.source}] {item.rule}")
        lines.append(f"     at {item.location}")
        lines.extend(textwrap.wrap(item.detail, 100, initial_indent="     ", subsequent_indent="     "))
        lines.append(f"     => {effects}{inferred}")
        for key, value in item.refs.items():
            if key in (
                "pack",
                "confidence",
                "agreement",
                "tokens",
                "group",
                "exceptions",
                "tdm-policy",
                "server",
            ):
                lines.append(f"     {key}: {value}")
    return "\n".join(lines)

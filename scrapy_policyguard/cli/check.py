"""``policyguard check``: one URL, one purpose, every piece of evidence, from files or live; or
local media files, by what they embed.

With files the inputs are what you give, and the decision comes from
:func:`scrapy_policyguard.check`, the engine the middleware uses. With ``--fetch`` a real Scrapy
crawl with the add-on requests the URL (adapters/live_check.py): robots.txt, tdmrep.json, RSL
licences and the page are fetched exactly as in a crawl, and the decision is the middleware's.
Given local files or folders instead of a URL (a dataset collected before), each media file is
decided by the XMP and C2PA statements it embeds, with the readers the crawl uses; folders are
walked for the formats those readers know. The exit status is 1 when any file is denied.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from ..core.containers import sniff
from ..core.decision import Decision, Outcome
from ..core.engine import check, check_file
from ..core.purposes import PURPOSES

__all__ = ["register"]

DEFAULT_TOKEN = "Scrapy"


def register(commands: Any) -> None:
    p = commands.add_parser(
        "check", help="decide one URL (or local media files) for a purpose and show the evidence"
    )
    p.add_argument(
        "targets",
        nargs="+",
        metavar="URL | FILE",
        help="one URL, or local media files and folders to decide by their embedded XMP and C2PA",
    )
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
    p.add_argument("--media", type=Path, help="the media file the URL serves (its XMP and C2PA are read)")
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


def _documents_given(args: argparse.Namespace) -> list[str]:
    """The options that give a URL's documents by hand (for an offline check of that URL)."""
    given = {
        "--robots": args.robots,
        "--robots-status": args.robots_status != 200,
        "--header": args.header,
        "--html": args.html,
        "--media": args.media,
        "--tdmrep": args.tdmrep,
        "--rsl": args.rsl,
    }
    return [flag for flag, value in given.items() if value]


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
        if not args.targets[0].startswith(("http://", "https://")):
            return _check_files(args)
        if len(args.targets) > 1:
            raise UsageError("give one URL, or local media files and folders")
        args.url = args.targets[0]
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


def _media_files(targets: list[str]) -> list[Path]:
    """The files named, and the media files of the folders named (sorted, formats we read)."""
    files: list[Path] = []
    for target in targets:
        path = Path(target)
        if target.startswith(("http://", "https://")):
            raise UsageError(f"{target}: check one URL at a time, or local files only")
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and _is_media(p))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"cannot read {target}: no such file or folder")
    return files


def _is_media(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return sniff(handle.read(16)) is not None
    except OSError:
        return False


def _check_files(args: argparse.Namespace) -> int:
    """Decide local media files by what they embed: one decision each, JSON Lines with --json."""
    # Options about a site (its token, packs, lists, paywall markup, fetching) say nothing about a
    # file's own statements: refused rather than silently ignored.
    site_options = {
        "--fetch": args.fetch,
        "--user-agent": args.user_agent,
        "--rules": args.rules,
        "--paywall": args.paywall != "deny",
        "--blocklist": args.blocklist,
        "--timeout": args.timeout is not None,
        "--settings": args.settings,
    }
    url_only = [flag for flag, given in site_options.items() if given] + _documents_given(args)
    if url_only:
        raise UsageError(f"{', '.join(url_only)} describe a URL; local files are read for what they embed")
    agreements = _pairs(args.agreement, "--agreement")
    decisions = []
    for path in _media_files(args.targets):
        try:
            decisions.append(
                check_file(path, purpose=args.purpose, unknown=args.unknown, agreements=agreements)
            )
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    for decision in decisions:
        if args.json:
            print(json.dumps(decision.to_dict(), ensure_ascii=False))
        else:
            print(render(decision))
    return 0 if all(d.allowed for d in decisions) else 1


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
        "paywall": args.paywall,
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
        media=_read(args.media),
        **options,
    )


def _check_live(args: argparse.Namespace) -> Decision:
    """The decision of a real crawl of ``args.url`` with the add-on (see adapters/live_check.py)."""
    offline = _documents_given(args)
    if offline:
        raise UsageError(
            f"--fetch reads every document over HTTP; {', '.join(offline)} are for offline checks"
        )
    from scrapy.crawler import CrawlerProcess

    from ..adapters.live_check import CheckResult, CheckSpider, check_settings
    from ..adapters.runtime import load_configuration

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
    load_configuration(settings)  # a bad option stops here, with its reason
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
                "validation",
                "signer",
            ):
                lines.append(f"     {key}: {value}")
    return "\n".join(lines)

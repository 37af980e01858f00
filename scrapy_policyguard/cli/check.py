"""``policyguard check``: one URL, one purpose, every piece of evidence, from files or live.

With files the inputs are what you give; with ``--fetch`` robots.txt, tdmrep.json, the page and
any RSL licence it names are read over HTTP (robots.txt first: a page robots.txt disallows is not
fetched). Either way the decision comes from :func:`scrapy_policyguard.check`, the engine the
middleware uses.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from ..core.access import MAX_REDIRECTS
from ..core.decision import Decision
from ..core.engine import check, robots_url_of, tdmrep_url_of
from ..core.purposes import PURPOSES
from ..core.robots import PARSE_LIMIT

__all__ = ["register"]

DEFAULT_TOKEN = "Scrapy"


def register(commands: Any) -> None:
    p = commands.add_parser("check", help="decide one URL for a purpose and show the evidence")
    p.add_argument("url")
    p.add_argument("--purpose", default="ai-train", help="ai-train (default), ai-input or search")
    p.add_argument(
        "--user-agent",
        default=DEFAULT_TOKEN,
        help=f"your crawler's product token or User-Agent (default {DEFAULT_TOKEN!r}, like plain Scrapy)",
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
    p.add_argument("--fetch", action="store_true", help="read robots.txt, tdmrep.json and the page over HTTP")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds per HTTP request with --fetch")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.set_defaults(run=run)


@dataclass
class Fetched:
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    detail: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch(url: str, user_agent: str, timeout: float, limit: int = PARSE_LIMIT) -> Fetched:
    """GET with redirects followed here (at most five) and the body read up to ``limit``."""
    opener = urllib.request.build_opener(_NoRedirect)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        request = urllib.request.Request(current, headers={"User-Agent": user_agent})
        try:
            with opener.open(request, timeout=timeout) as response:
                return Fetched(response.status, list(response.headers.items()), response.read(limit), "")
        except urllib.error.HTTPError as exc:
            location = exc.headers.get("Location") if 300 <= exc.code < 400 else None
            if not location:
                return Fetched(exc.code, list(exc.headers.items()), exc.read(limit), "")
            current = urljoin(current, location)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return Fetched(None, [], b"", f"{type(exc).__name__}: {exc}")
    return Fetched(308, [], b"", f"more than {MAX_REDIRECTS} redirects")


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
    headers: list[tuple[str, str]] = []
    for raw in args.header:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            raise UsageError(f'--header expects "Name: value", got {raw!r}')
        headers.append((name.strip(), value.strip()))
    rsl = {url: _read(Path(file)) or b"" for url, file in _pairs(args.rsl, "--rsl").items()}
    options: dict[str, Any] = {
        "purpose": args.purpose,
        "user_agent": args.user_agent,
        "unknown": args.unknown,
        "agreements": _pairs(args.agreement, "--agreement"),
        "rules": args.rules,
    }
    if args.fetch:
        return _check_live(args, options, rsl)
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


def _check_live(args: argparse.Namespace, options: dict[str, Any], rsl: dict[str, bytes]) -> Decision:
    ua = (
        args.user_agent
        if " " in args.user_agent or "/" in args.user_agent
        else f"{args.user_agent} (policyguard check)"
    )
    robots = fetch(robots_url_of(args.url), ua, args.timeout)
    tdm = fetch(tdmrep_url_of(args.url), ua, args.timeout)
    tdmrep = None
    if tdm.status is not None and 200 <= tdm.status < 300:
        content_type = {k.lower(): v for k, v in tdm.headers}.get("content-type", "")
        tdmrep = None if "html" in content_type.lower() else tdm.body

    def licence(url: str) -> bytes | None:
        if url in rsl:
            return rsl[url]
        got = fetch(url, ua, args.timeout, limit=1024 * 1024)
        return got.body if got.status is not None and 200 <= got.status < 300 else None

    common = {
        "robots_txt": robots.body,
        "robots_status": robots.status,
        "robots_detail": robots.detail or None,
        "tdmrep": tdmrep,
        "rsl": licence,
    }
    before = check(args.url, **common, **options)
    if before.crawl_denied:
        return before  # robots.txt says we may not fetch the page: we don't
    page = fetch(args.url, ua, args.timeout, limit=8 * 1024 * 1024)
    if page.status is None:
        print(
            f"note: the page could not be fetched ({page.detail}); request-time decision only",
            file=sys.stderr,
        )
        return before
    content_type = {k.lower(): v for k, v in page.headers}.get("content-type", "")
    html = page.body if "html" in content_type.lower() else None
    return check(args.url, headers=page.headers, html=html, **common, **options)


def render(decision: Decision) -> str:
    verdict = "ALLOWED" if decision.allowed else "DENIED"
    lines = [
        f"{verdict}: {decision.url}",
        f"  purpose {decision.purpose}: {decision.outcome}"
        + (" (default for unknown applied)" if decision.outcome.value == "unknown" else ""),
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

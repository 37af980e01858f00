"""``policyguard recheck``: split collected data (WARC, JSON Lines) by today's opt-outs.

A real Scrapy crawl with the add-on fetches each origin's robots.txt, tdmrep.json and RSL licences
once and never a page (adapters/recheck.py); every capture is copied as it is to ``OUT/kept/`` or
``OUT/removed/`` under its input's name, and ``OUT/audit.jsonl`` is an audit trail in the crawl's
format, which ``policyguard report`` reads.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TextIO

from ..datasets import check_input
from .check import UsageError, _pairs

__all__ = ["register"]


def register(commands: Any) -> None:
    p = commands.add_parser(
        "recheck",
        help="split WARC or JSON Lines data into kept and removed by today's robots.txt and AI opt-outs",
    )
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help=".warc, .warc.gz, .jsonl(.gz) files")
    p.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="writes DIR/kept, DIR/removed, DIR/audit.jsonl"
    )
    p.add_argument("--purpose", help="ai-train (default), ai-input or search")
    p.add_argument(
        "--user-agent",
        help="the product token (or User-Agent) whose permission is checked; "
        "required unless --settings sets one",
    )
    p.add_argument("--settings", metavar="MODULE", help="a Scrapy settings module whose settings apply")
    p.add_argument(
        "--url-field", default="url", help="JSON Lines: the field with the URL (dotted for nested)"
    )
    p.add_argument(
        "--agreement", action="append", default=[], metavar="ID=REFERENCE", help="an agreement held"
    )
    p.add_argument(
        "--rules", action="append", default=None, metavar="PATH", help="rule packs (default: bundled)"
    )
    p.add_argument("--unknown", choices=("allow", "deny"), help="default for unknown (default allow)")
    p.add_argument(
        "--timeout", type=float, help="seconds per document request (DOWNLOAD_TIMEOUT, default 30)"
    )
    p.add_argument(
        "--window",
        type=int,
        default=2000,
        help="captures held while their origins' documents are fetched (default 2000)",
    )
    p.add_argument("--audit-all", action="store_true", help="also audit every kept capture")
    p.add_argument(
        "--overwrite", action="store_true", help="replace kept/ and removed/ files from an earlier run"
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(run=run)


def _check_inputs(inputs: list[Path], out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file: name a folder")
    names: Counter[str] = Counter(path.name for path in inputs)
    twice = sorted(name for name, count in names.items() if count > 1)
    if twice:
        raise UsageError(f"inputs share a file name ({', '.join(twice)}): their outputs would collide")
    for path in inputs:
        check_input(path)
        for part in ("kept", "removed"):
            target = out / part / path.name
            if target.exists() and not overwrite:
                raise UsageError(f"{target} exists: use --overwrite to replace it, or another --out")
            if target.exists() and target.resolve() == path.resolve():
                raise UsageError(f"{path} is an output of this run: choose another --out")


def run(args: argparse.Namespace) -> int:
    try:
        outcome = _recheck(args)
    except (UsageError, ValueError) as exc:  # DatasetError and PolicyGuardConfigError are ValueErrors
        print(f"policyguard recheck: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(outcome, sys.stdout, indent=2)
        print()
    else:
        print(render(outcome))
    if outcome["error"]:
        print(f"policyguard recheck: {outcome['error']}", file=sys.stderr)
        return 1
    return 0


def _recheck(args: argparse.Namespace) -> dict[str, Any]:
    if args.window < 1:
        raise UsageError(f"--window must be at least 1, not {args.window}")
    if args.user_agent is None and args.settings is None:
        raise UsageError(
            "give --user-agent TOKEN (the crawler whose permission is checked) or --settings MODULE"
        )
    _check_inputs(args.inputs, args.out, args.overwrite)
    from scrapy.crawler import CrawlerProcess

    from ..adapters.recheck import AUDIT_NAME, RecheckJob, RecheckResult, RecheckSpider, recheck_settings
    from ..adapters.runtime import load_configuration

    settings = recheck_settings(
        args.settings,
        out=args.out,
        audit_all=args.audit_all,
        user_agent=args.user_agent,
        purpose=args.purpose,
        unknown=args.unknown,
        agreements=_pairs(args.agreement, "--agreement"),
        rules=args.rules,
        timeout=args.timeout,
    )
    guard = load_configuration(settings).settings  # a bad option stops here, with its reason
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    job = RecheckJob(tuple(args.inputs), args.out, args.url_field, args.window, progress)
    result = RecheckResult()
    process = CrawlerProcess(settings)
    process.crawl(RecheckSpider, job=job, result=result)
    with logs_above_the_bar() if progress else nullcontext():
        process.start()
    if not result.inputs and result.error is None:
        result.error = "the re-check did not run (see the log above)"
    removed_by: Counter[str] = Counter()
    for summary in result.inputs:
        removed_by.update(summary.removed_by)
    return {
        "purpose": str(guard.purpose),
        "user_agent": guard.user_agent.token,
        "inputs": [
            {
                "path": s.path,
                "format": s.kind,
                "records": s.records,
                "captures": s.captures,
                "kept": s.kept,
                "removed": s.removed,
                "copied_to_both": s.passed,
                "removed_by": dict(s.removed_by.most_common()),
            }
            for s in result.inputs
        ],
        "kept": sum(s.kept for s in result.inputs),
        "removed": sum(s.removed for s in result.inputs),
        "removed_by": dict(removed_by.most_common()),
        "out": {
            "kept": str(args.out / "kept"),
            "removed": str(args.out / "removed"),
            "audit": str(args.out / AUDIT_NAME),
        },
        "error": result.error,
    }


class _AboveTheBar:
    """A stream that prints through ``tqdm.write``, so a log line appears above the progress bar."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        from tqdm import tqdm

        tqdm.write(text.removesuffix("\n"), file=self.stream)

    def flush(self) -> None:
        self.stream.flush()


@contextmanager
def logs_above_the_bar() -> Iterator[None]:
    """The console log handlers (Scrapy's) write above the progress bar while it runs. tqdm's own
    ``logging_redirect_tqdm`` replaces the handlers and so loses their level (LOG_LEVEL) and filters;
    here only their stream changes."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if type(handler) is logging.StreamHandler and handler.stream in (sys.stderr, sys.stdout)
    ]
    streams = [handler.setStream(_AboveTheBar(handler.stream)) for handler in handlers]
    try:
        yield
    finally:
        for handler, stream in zip(handlers, streams, strict=True):
            handler.setStream(stream)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def render(outcome: dict[str, Any]) -> str:
    lines = [f"policyguard recheck: purpose {outcome['purpose']}, product token {outcome['user_agent']}"]
    for entry in outcome["inputs"]:
        why = ", ".join(f"{source} {count:,}" for source, count in entry["removed_by"].items())
        both = (
            f"; {_count(entry['copied_to_both'], 'record')} copied to both" if entry["copied_to_both"] else ""
        )
        lines.append(
            f"  {entry['path']} ({entry['format']}): {_count(entry['records'], 'record')}, "
            f"{_count(entry['captures'], 'capture')}: {entry['kept']:,} kept, {entry['removed']:,} removed"
            + (f" ({why})" if why else "")
            + both
        )
    out = outcome["out"]
    lines += [
        f"kept:    {out['kept']}",
        f"removed: {out['removed']}",
        f"audit:   {out['audit']}  (policyguard report {out['audit']})",
    ]
    return "\n".join(lines)

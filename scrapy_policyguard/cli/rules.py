"""``policyguard rules``: list, show and validate platform-terms rule packs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..core.bundled import bundled_packs, bundled_rules_dir
from ..core.purposes import PURPOSES
from ..core.rulefiles import RuleFileError
from ..core.terms import Confidence, TermsIndex, TermsPack, assemble_packs, load_packs

__all__ = ["register"]


def register(commands: Any) -> None:
    p = commands.add_parser("rules", help="list, show or validate platform-terms rule packs")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, help_text in (("list", "the packs in use"), ("show", "one pack in full")):
        sub = actions.add_parser(name, help=help_text)
        if name == "show":
            sub.add_argument("id")
        sub.add_argument(
            "--rules", action="append", default=[], metavar="PATH", help="extra packs (files or folders)"
        )
        sub.add_argument("--disable", action="append", default=[], metavar="ID", help="a pack id to turn off")
        sub.set_defaults(run=run_list if name == "list" else run_show)
    validate = actions.add_parser("validate", help="check pack files; exit 1 on the first error")
    validate.add_argument("paths", nargs="*", help="files or folders (default: the bundled packs)")
    validate.set_defaults(run=run_validate)


def _packs(args: argparse.Namespace) -> list[TermsPack]:
    packs, warnings = assemble_packs(bundled_packs(), args.rules, args.disable)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    TermsIndex(packs)  # two packs claiming one host is an error here too
    return packs


def _summary(pack: TermsPack) -> str:
    outcomes = []
    for purpose in PURPOSES:
        found = sorted(
            {
                f"{r.outcome}{'?' if r.confidence is Confidence.UNCONFIRMED else ''}"
                for r in pack.rules
                if purpose in r.purposes
            }
        )
        outcomes.append(f"{purpose}={'/'.join(found) or '-'}")
    return ", ".join(outcomes)


def run_list(args: argparse.Namespace) -> int:
    try:
        packs = _packs(args)
    except (RuleFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    width = max((len(p.id) for p in packs), default=2)
    for pack in sorted(packs, key=lambda p: p.id):
        hosts = ", ".join((*pack.domains, *pack.names))
        print(f"{pack.id:<{width}}  {pack.reviewed}  {_summary(pack)}")
        print(f"{'':<{width}}  {pack.name}: {hosts}")
    print(f"\n{len(packs)} packs ('?' marks unconfirmed statements)")
    return 0


def run_show(args: argparse.Namespace) -> int:
    try:
        index = TermsIndex(_packs(args))
    except (RuleFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    pack = index.by_id.get(args.id)
    if pack is None:
        print(f"error: no pack {args.id!r}; known: {', '.join(sorted(index.by_id))}", file=sys.stderr)
        return 1
    print(f"{pack.name} ({pack.id}), reviewed {pack.reviewed}")
    print(f"  file: {pack.file}  sha256: {pack.sha256}")
    print(f"  domains (and their subdomains): {', '.join(pack.domains) or '-'}")
    print(f"  host names: {', '.join(pack.names) or '-'}")
    for route in pack.licence_routes:
        print(f"  licence route: {route}")
    for rule in pack.rules:
        purposes = ", ".join(sorted(map(str, rule.purposes)))
        where = f"line {rule.line}; effective {rule.effective}; {rule.confidence}"
        print(f"\n  [{rule.outcome}] {purposes}  ({where})")
        if rule.paths:
            print(f"    paths: {', '.join(p.source for p in rule.paths)}")
        if rule.conditions:
            print(f"    conditions: {'; '.join(rule.conditions)}")
        if not rule.lifted_by_agreement:
            print("    an agreement does not lift this denial")
        print(f"    {rule.clause}")
        for source in rule.sources:
            print(f"    source: {source.url} ({source.date}) {source.title}")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    root = bundled_rules_dir()
    paths = args.paths or [str(root / "terms")]
    try:
        packs = load_packs(paths, display_root=Path.cwd() if args.paths else root.parent)
        TermsIndex(packs)
    except RuleFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for pack in packs:
        print(f"ok  {pack.file}  ({pack.id}, {len(pack.rules)} rules)")
    print(f"{len(packs)} packs valid")
    return 0

"""Where our robots.txt answers differ from Protego's on real files, and why each one differs.

    python benchmarks/protego_compare.py             # every stored real file (about a minute)
    python benchmarks/protego_compare.py --quick     # five files, for the test suite
    python benchmarks/protego_compare.py --json
    python benchmarks/protego_compare.py --show 3    # three examples of each reason

Both sides answer what Scrapy's RobotsTxtMiddleware asks, ``allowed(url, user_agent)``: Scrapy's
default ``ProtegoRobotParser`` (Protego 0.7 after Scrapy's decoding) and
``scrapy_policyguard.RobotParser``, given the same body, the same URL (as Scrapy sends it, through
w3lib's ``safe_url_string``) and the same user agent. The files are every real robots.txt stored
in the project (tests/core/data/robots_corpus, tests/core/signals/data/robots, benchmarks/data/robots;
each file's first line cites its source). The URLs are made from each file's own rules (wildcards
filled in, a character longer and shorter, with a query, escapes decoded and lower-cased), and
the user agents are every token a group names, a token none names, and Scrapy's default.

Each disagreement is explained by changing one thing and asking Protego again: when the changed
input makes Protego give our answer (and leaves ours as it was), that change names the reason.
A disagreement no change explains is counted as ``unexplained``; there are none to leave.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from scrapy.robotstxt import ProtegoRobotParser
from w3lib.url import safe_url_string

from scrapy_policyguard import RobotParser
from scrapy_policyguard.core.robots import RobotsTxt, crawler_token, product_token

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = [
    ROOT / "tests" / "core" / "data" / "robots_corpus",
    ROOT / "tests" / "core" / "signals" / "data" / "robots",
    ROOT / "benchmarks" / "data" / "robots",
]
ORIGIN = "https://www.example.com"
UNNAMED_TOKEN = "PolicyguardTestBot"  # named by no file: the * group answers
SCRAPY_USER_AGENT = "Scrapy/2.19 (+https://scrapy.org)"
INERT_TOKEN = "policyguard-inert-agent"
EXTRA_PATHS = ["/", "/index.html", "/robots.txt", "/a", "/search?q=x", "/%7Euser/", "/~user/"]

#: Why a disagreement is right, per reason: the README's list of deliberate differences.
REASONS = {
    "group-split": "Protego ends a group at a record RFC 9309 does not define (Crawl-delay, Host, "
    "Content-Signal...) when a User-agent line follows; RFC 9309 §2.2.4: other records MUST NOT "
    "interfere with the groups (Google's parser agrees).",
    "agent-match": "Protego applies a group to every user agent that starts with its name (Google to "
    "Google-Extended) and reads 'Googlebot/2.1' lines as a name no crawler has; RFC 9309 §2.2.1: "
    "the product token is matched whole, case-insensitively (Google's parser cuts a line at the "
    "first character that cannot be in a token).",
    "specificity": "Protego counts a reserved character written in a rule (? & , : ; ! @ + ( )) as "
    "three octets, because it percent-encodes it before measuring; RFC 9309 §2.2.2: the longest "
    "match is the one with the most octets, and Google's parser counts the character once, as we do.",
    "reserved-escape": "Protego decodes escapes of reserved characters (%3F as ?, %21 as !) before "
    "matching; RFC 9309 §2.2.2 with RFC 3986 §2.2 and §6.2.2.2: an escaped reserved character is "
    "not the character, so /a%3Fb is not /a?b.",
    "non-utf8-escape": "Protego decodes an escape that is not UTF-8 (%E4, a Latin-1 a-umlaut) to U+FFFD, "
    "so it matches every other invalid sequence; RFC 9309 §2.2.2 compares octets: %E4 is not "
    "%EF%BF%BD.",
    "stray-percent": "A '%' in a URL that begins no escape is a percent sign, %25 (RFC 3986 §2.4), so a "
    "rule about %25 applies to it; Protego compares it as a bare '%'.",
    "dollar-literal": "Protego also reads a final $ as a literal character; RFC 9309 §2.2.3: it "
    "only anchors the end of the pattern.",
}

# Escapes of the reserved characters both sides keep as characters: RFC 3986 gen-delims and
# sub-delims, less '/', '#', '[', ']', '$' and '*' (which mean something else in a path or rule).
_RESERVED_ESCAPE = re.compile(r"%(2[16789BC]|3[ABDF]|40)", re.IGNORECASE)
# The reserved characters Protego writes as three octets, each to a letter both sides encode alike.
_RESERVED_AS_LETTERS = str.maketrans(dict(zip(":?@!&'()+,;", "àáâãäåæçèéê", strict=True)))
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class Check:
    file: str
    body: str
    url: str
    agent: str


def real_files(quick: bool) -> dict[str, str]:
    files = {}
    for folder in FOLDERS:
        for path in sorted(folder.glob("*.txt")):
            files.setdefault(path.name.removesuffix(".txt"), path.read_text("utf-8", "surrogateescape"))
    if quick:
        return dict(list(files.items())[:5])
    return files


def _value(line_text: str) -> str:
    line = line_text.split("#", 1)[0].strip()
    _, sep, value = line.partition(":")
    return value.strip() if sep else [*line.split(), ""][1]


def paths_for(robots: RobotsTxt) -> list[str]:
    """Paths made from every rule of the file, and a few every site has."""
    found = list(EXTRA_PATHS)
    for group in robots.groups:
        for rule in group.rules:
            pattern = rule.pattern.source
            for fill in ("", "x/y"):
                base = pattern.rstrip("$").replace("*", fill)
                if not base.startswith("/"):
                    base = "/" + base
                found += [base, base + "x", base + "/x", base + "?a=1", base[:-1] or "/"]
                if "%" in base:
                    found += [unquote(base), re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), base)]
    return list(dict.fromkeys(found))


def agents_for(robots: RobotsTxt) -> list[str]:
    """Each product token a group names (as written), one none names, and Scrapy's default."""
    written = {}
    for group in robots.groups:
        for line in group.agent_lines:
            value = _value(line.text)
            token = product_token(value)
            if token and token != "*":
                written.setdefault(token, re.match(r"[A-Za-z0-9_-]+", value.strip()).group())  # type: ignore[union-attr]
    return [*written.values(), UNNAMED_TOKEN, SCRAPY_USER_AGENT]


def checks(files: dict[str, str]) -> Iterator[Check]:
    for name, body in files.items():
        robots = RobotsTxt.parse(body)
        agents = agents_for(robots)
        for path in paths_for(robots):
            url = safe_url_string(ORIGIN + path)
            for agent in agents:
                yield Check(name, body, url, agent)


# --------------------------------------------------------------------------- the counterfactuals


def _rule_and_agent_lines(body: str) -> tuple[set[int], set[int]]:
    robots = RobotsTxt.parse(body)
    agents = {line.number for g in robots.groups for line in g.agent_lines}
    return agents, {rule.number for g in robots.groups for rule in g.rules}


def _edit_lines(check: Check, edit: Callable[[int, str], str]) -> Check:
    lines = check.body.splitlines()
    body = "\n".join(edit(number, line) for number, line in enumerate(lines, start=1))
    return Check(check.file, body, check.url, check.agent)


def _edit_path(check: Check, edit: Callable[[str], str]) -> Check:
    return Check(check.file, check.body, ORIGIN + edit(check.url[len(ORIGIN) :]), check.agent)


def _only_groups_and_rules(check: Check) -> Check:
    """The file without the lines that are neither User-agent lines nor rules."""
    agents, rules = _rule_and_agent_lines(check.body)
    return _edit_lines(check, lambda number, line: line if number in agents | rules else "")


def _whole_tokens(check: Check) -> Check:
    """User-agent lines that name the asked token rewritten to the bare token; the others inert."""
    asked = crawler_token(check.agent).lower()
    agents, _ = _rule_and_agent_lines(check.body)

    def edit(number: int, line: str) -> str:
        if number not in agents:
            return line
        token = product_token(_value(line))
        return f"User-agent: {token if token in (asked, '*') else INERT_TOKEN}"

    return _edit_lines(check, edit)


def _reserved_as_letters(check: Check) -> Check:
    """Reserved characters in the rules and the URL written as letters: one length on both sides."""
    _, rules = _rule_and_agent_lines(check.body)
    changed = _edit_lines(
        check, lambda number, line: line.translate(_RESERVED_AS_LETTERS) if number in rules else line
    )
    return _edit_path(changed, lambda path: path.translate(_RESERVED_AS_LETTERS))


def _reserved_decoded(check: Check) -> Check:
    """Escapes of reserved characters written as the characters, in the rules and the URL."""

    def decode(text: str) -> str:
        return _RESERVED_ESCAPE.sub(lambda m: unquote(m.group()), text)

    return Check(check.file, decode(check.body), decode(check.url), check.agent)


def _invalid_utf8_as_replacement(check: Check) -> Check:
    """Escapes that are not UTF-8 written as U+FFFD in the rules: Protego's reading of them."""

    def replace(match: re.Match[str]) -> str:
        octets = bytes.fromhex(match.group().replace("%", ""))
        return quote(octets.decode("utf-8", "replace"), safe="")

    return Check(check.file, _ESCAPES.sub(replace, check.body), check.url, check.agent)


def _stray_percent_escaped(check: Check) -> Check:
    return _edit_path(check, lambda path: _STRAY_PERCENT.sub("%25", path))


def _no_dollar(check: Check) -> Check:
    return _edit_path(check, lambda path: path.replace("$", "").replace("%24", ""))


#: reason -> (the change, whether the change must leave our answer as it was)
COUNTERFACTUALS: dict[str, tuple[Callable[[Check], Check], bool]] = {
    "group-split": (_only_groups_and_rules, True),
    "agent-match": (_whole_tokens, True),
    "reserved-escape": (_reserved_decoded, False),
    "non-utf8-escape": (_invalid_utf8_as_replacement, False),
    "stray-percent": (_stray_percent_escaped, False),
    "dollar-literal": (_no_dollar, False),
    # Last: it rewrites characters of the rules and the URL, so it must not stand for the above.
    "specificity": (_reserved_as_letters, False),
}


class Answers:
    """Both parsers' answers, each file parsed once per side."""

    def __init__(self) -> None:
        self._ours: dict[str, RobotParser] = {}
        self._protego: dict[str, ProtegoRobotParser] = {}

    def ours(self, check: Check) -> bool:
        parser = self._ours.get(check.body)
        if parser is None:
            parser = self._ours[check.body] = RobotParser.from_crawler(
                None, check.body.encode("utf-8", "surrogateescape")
            )
        return parser.allowed(check.url, check.agent)

    def protego(self, check: Check) -> bool:
        parser = self._protego.get(check.body)
        if parser is None:
            body = check.body.encode("utf-8", "surrogateescape")
            parser = self._protego[check.body] = ProtegoRobotParser.from_crawler(None, body)  # type: ignore[arg-type]
        return parser.allowed(check.url, check.agent)


def explain(answers: Answers, check: Check, ours: bool) -> str:
    """The first change after which both sides agree (and, for a change that must not move our
    answer, agree on ours)."""
    for reason, (change, keeps_ours) in COUNTERFACTUALS.items():
        changed = change(check)
        ours_now = answers.ours(changed)
        if answers.protego(changed) == ours_now and (ours_now == ours or not keeps_ours):
            return reason
    return "unexplained"


def compare(files: dict[str, str], show: int) -> dict[str, Any]:
    answers = Answers()
    started = time.perf_counter()
    total = 0
    reasons: Counter[str] = Counter()
    per_file: Counter[str] = Counter()
    files_by_reason: dict[str, set[str]] = {}
    examples: dict[str, list[dict[str, Any]]] = {}
    for check in checks(files):
        total += 1
        ours = answers.ours(check)
        if answers.protego(check) == ours:
            continue
        reason = explain(answers, check, ours)
        reasons[reason] += 1
        per_file[check.file] += 1
        files_by_reason.setdefault(reason, set()).add(check.file)
        if len(examples.setdefault(reason, [])) < show:
            examples[reason].append(
                {"file": check.file, "url": check.url, "agent": check.agent, "ours": ours}
            )
    return {
        "files": len(files),
        "checks": total,
        "disagreements": sum(reasons.values()),
        "by_reason": dict(reasons.most_common()),
        "files_by_reason": {reason: sorted(files_by_reason[reason]) for reason in reasons},
        "files_with_disagreements": len(per_file),
        "per_file": dict(per_file.most_common()),
        "examples": examples,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="five files: checks the script runs")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--show", type=int, default=2, help="examples to print per reason")
    args = parser.parse_args()
    result = compare(real_files(args.quick), args.show)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['files']} real robots.txt files, {result['checks']} (file, URL, user agent) checks, {result['seconds']} s"
    )
    print(
        f"disagreements with Protego: {result['disagreements']} in {result['files_with_disagreements']} files"
    )
    for reason, count in result["by_reason"].items():
        files = result["files_by_reason"][reason]
        print(f"\n{reason}: {count} checks in {len(files)} files ({', '.join(files)})")
        print(f"  {REASONS.get(reason, 'NOT EXPLAINED: look at the examples')}")
        for example in result["examples"].get(reason, []):
            verdict = "allowed" if example["ours"] else "disallowed"
            print(f"  e.g. {example['file']}: {example['agent']!r} {example['url']} -> ours {verdict}")
    print("\nper file: " + ", ".join(f"{name} {count}" for name, count in result["per_file"].items()))


if __name__ == "__main__":
    sys.exit(main())

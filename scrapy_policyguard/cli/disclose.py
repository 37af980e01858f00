"""``policyguard disclose``: the crawler information page the Code of Practice asks to publish.

Measure 1.3 (4) of the General-Purpose AI Code of Practice, copyright chapter (see
core/compliance.py): make public information about the web crawlers employed, their robots.txt
features and the other measures taken to identify and comply with rights reservations. Run inside
a Scrapy project (like ``scrapy``: SCRAPY_SETTINGS_MODULE, or the scrapy.cfg of the current folder
or a parent), it reads the project's settings and each spider's ``custom_settings`` and
``policyguard_purpose`` exactly as a crawl would (GuardSettings), and renders: the product token
and User-Agent string, the purposes, each signal read and how a site owner opts out of each
purpose (built from the vocabulary tables in core/purposes.py and the AI agent catalogue, so the
page cannot drift from what the crawl does), the robots.txt refresh interval, the contact
(POLICYGUARD_CONTACT), the infringing-site lists and paywall handling, and the rule packs in force
with their review dates. One model (:func:`build_disclosure`), three renderings: Markdown, HTML
(self-contained) and JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from html import escape
from pathlib import Path
from typing import Any

from .._version import __version__
from ..adapters.audit import utc_now
from ..adapters.runtime import load_configuration
from ..adapters.settings import PolicyGuardConfigError
from ..core.bundled import bundled_agents
from ..core.compliance import CODE_OF_PRACTICE, Measure
from ..core.purposes import (
    AIPREF_LABELS,
    CONTENT_SIGNAL_KEYS,
    PLUS_DATA_MINING,
    PURPOSES,
    ROBOTS_DIRECTIVES,
    RSL_USAGE_TOKENS,
    TDM_RESERVATION,
    TRAINING_MINING_ENTRIES,
    Purpose,
)
from ..core.signals import c2pa, xmp
from ..core.signals.embedded import MediaReader
from ..core.signals.schema_org import PaywallMode
from .report.html import CSS, table

__all__ = ["build_disclosure", "register", "render_html", "render_markdown"]

FORMATS = ("markdown", "html", "json")
PURPOSE_MEANING = {
    Purpose.AI_TRAIN: "training or fine-tuning AI models",
    Purpose.AI_INPUT: "retrieval, grounding and other input to AI models when they answer",
    Purpose.SEARCH: "a search index that links back to the source",
}
#: Example AI-crawler tokens shown per purpose (the catalogue holds many more): the best known
#: first, then the catalogue's order.
EXAMPLE_TOKENS = 4
WELL_KNOWN = (
    "GPTBot",
    "CCBot",
    "Google-Extended",
    "ClaudeBot",
    "OAI-SearchBot",
    "ChatGPT-User",
    "PerplexityBot",
)


def register(commands: Any) -> None:
    p = commands.add_parser(
        "disclose", help="render the crawler information page (run inside a Scrapy project)"
    )
    p.add_argument("--format", choices=FORMATS, default="markdown", help="markdown (default), html or json")
    p.add_argument("--spider", action="append", help="describe only this spider (repeatable; default: all)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of printing")
    p.set_defaults(run=run)


def _opt_outs(
    purpose: Purpose, token: str, paywall: PaywallMode, media: frozenset[MediaReader]
) -> list[dict[str, str]]:
    """How a site owner reserves ``purpose`` against this crawler: every signal the crawl reads
    that can deny it, with an example; the statements inside media files only when the crawl
    reads them (``media``, POLICYGUARD_MEDIA_READERS)."""
    tokens = [a.token for a in bundled_agents() if purpose in a.signals]
    rank = {token: index for index, token in enumerate(WELL_KNOWN)}
    agents = sorted(tokens, key=lambda t: rank.get(t, len(rank)))[:EXAMPLE_TOKENS]
    ways = [{"signal": "robots.txt, our product token", "example": f"User-agent: {token}\nDisallow: /"}]
    if agents:
        ways.append(
            {
                "signal": "robots.txt, a group for AI crawlers (read as a reservation)",
                "example": "\n".join(f"User-agent: {t}" for t in agents) + "\nDisallow: /",
            }
        )
    ways += [
        {"signal": "Content-Signal (robots.txt)", "example": f"Content-Signal: {key}=no"}
        for key, purposes in CONTENT_SIGNAL_KEYS.items()
        if purpose in purposes
    ]
    ways += [
        {
            "signal": "Content-Usage, IETF AIPREF (robots.txt or HTTP header)",
            "example": f"Content-Usage: {label}=n",
        }
        for label, purposes in AIPREF_LABELS.items()
        if purpose in purposes
    ]
    if purpose is Purpose.AI_TRAIN:
        ways.append({"signal": "DisallowAITraining (robots.txt)", "example": "DisallowAITraining: /"})
    if purpose in TDM_RESERVATION:
        ways.append(
            {
                "signal": "TDMRep (/.well-known/tdmrep.json, HTTP header or meta tag)",
                "example": '[{"location": "/", "tdm-reservation": 1}]',
            }
        )
    directives = [d for d, purposes in ROBOTS_DIRECTIVES.items() if purpose in purposes]
    if directives:
        ways.append(
            {
                "signal": "X-Robots-Tag header or <meta name=robots>",
                "example": f'X-Robots-Tag: {directives[0]}\n<meta name="robots" content="{directives[0]}">',
            }
        )
    if purpose in RSL_USAGE_TOKENS:
        ways.append(
            {
                "signal": "RSL licence (robots.txt License line, Link header or HTML link)",
                "example": f"a licence that prohibits usage {purpose}, or asks for payment for it",
            }
        )
    if paywall is PaywallMode.DENY and purpose in (Purpose.AI_TRAIN, Purpose.AI_INPUT):
        ways.append({"signal": "paywall markup (schema.org)", "example": '"isAccessibleForFree": false'})
    # Inside media files: the narrowest statement that denies the purpose (XMP holds one value),
    # and every CAWG entry that does.
    terms = sorted(
        (term for term, reading in PLUS_DATA_MINING.items() if purpose in reading.denied),
        key=lambda term: len(PLUS_DATA_MINING[term].denied),
    )
    if MediaReader.XMP in media and terms:
        ways.append(
            {
                "signal": "IPTC Data Mining in the XMP metadata of an image or video (plus:DataMining)",
                "example": f'<rdf:Description xmlns:plus="{xmp.PLUS}"\n'
                f'  plus:DataMining="{xmp.VOCABULARY}{terms[0]}"/>',
            }
        )
    entries = sorted(
        (name for name, purposes in TRAINING_MINING_ENTRIES.items() if purpose in purposes),
        key=lambda name: len(TRAINING_MINING_ENTRIES[name]),
    )
    if MediaReader.C2PA in media and entries:
        assertion = {
            "label": c2pa.LABELS[0],  # CAWG 1.1's (C2PA 1.x's older one is read too)
            "data": {"entries": {f"cawg.{name}": {"use": "notAllowed"} for name in entries}},
        }
        ways.append(
            {
                "signal": "Content Credentials: the CAWG training-and-data-mining assertion of a "
                "media file's C2PA manifest",
                "example": json.dumps(assertion),
            }
        )
    return ways


def _one_crawler(described: list[tuple[str, Any, Any]], configurations: list[Any]) -> None:
    """The page describes one crawler: its spiders may differ in purpose, mode and unknown, which
    it lists per spider, but not in what it states once (token, opt-outs, robots.txt handling,
    contact, lists and packs). Spiders that do are refused: one page per crawler (--spider)."""
    stated: dict[str, Any] = {}
    for (name, _, guard), configuration in zip(described, configurations, strict=True):
        says = {
            "product token": guard.user_agent.token,
            "POLICYGUARD_PAYWALL": guard.paywall,
            "POLICYGUARD_MEDIA_READERS": sorted(guard.media_readers),
            "POLICYGUARD_ROBOTS_TTL": guard.robots_ttl,
            "POLICYGUARD_UNREACHABLE_RETRY": guard.unreachable_retry,
            "POLICYGUARD_ROBOTS_MAX_BYTES": guard.robots_max_bytes,
            "POLICYGUARD_CONTACT": guard.contact,
            "POLICYGUARD_BLOCKLISTS": [f.sha256 for f in configuration.blocklist.files],
            "rule packs": [p.sha256 for p in configuration.packs],
        }
        if not stated:
            stated = {"spider": name, **says}
            continue
        for field, value in says.items():
            if value != stated[field]:
                raise PolicyGuardConfigError(
                    f"spiders {stated['spider']!r} and {name!r} differ in {field}, so they are not one "
                    "crawler to describe: write one page per crawler with --spider NAME"
                )


def build_disclosure(settings: Any, spiders: list[tuple[str, Any]]) -> dict[str, Any]:
    """The information page as data. ``settings`` are the project's; ``spiders`` are (name, spider
    class) pairs, each applying its own ``custom_settings``; none: the project's settings alone."""
    described = []
    configurations = []
    for name, spidercls in spiders or [("(project settings)", None)]:
        own = settings.copy()
        if spidercls is not None:
            spidercls.update_settings(own)
        configuration = load_configuration(own, spidercls)  # every spider's settings checked
        described.append((name, own, configuration.settings))
        configurations.append(configuration)
    _one_crawler(described, configurations)
    first = described[0][2]
    packs, blocklist = configurations[0].packs, configurations[0].blocklist
    crawlers: dict[str, dict[str, Any]] = {}
    for name, own, guard in described:
        header = str(own.get("USER_AGENT") or "")
        entry = crawlers.setdefault(
            guard.user_agent.token, {"token": guard.user_agent.token, "user_agent": header, "spiders": []}
        )
        entry["spiders"].append(
            {
                "name": name,
                "purpose": str(guard.purpose),
                "mode": str(guard.mode),
                "unknown": "allow" if guard.unknown_allows else "deny",
            }
        )
    purposes = [p for p in PURPOSES if any(g.purpose is p for _, _, g in described)]
    token = first.user_agent.token
    return {
        "title": f"{token}: how this crawler works and how to opt out",
        "code_of_practice": {"measure": Measure.CRAWLER_INFORMATION.cite, "url": CODE_OF_PRACTICE.url},
        "crawlers": list(crawlers.values()),
        "purposes": [{"purpose": str(p), "meaning": PURPOSE_MEANING[p]} for p in purposes],
        "opt_out": {str(p): _opt_outs(p, token, first.paywall, first.media_readers) for p in PURPOSES},
        "robots_txt": {
            "standard": "RFC 9309",
            "refresh_seconds": first.robots_ttl,
            "unreachable_retry_seconds": first.unreachable_retry,
            "max_bytes": first.robots_max_bytes,
            "unreachable": "a robots.txt answering 5xx or 429, or not answering, means complete disallow",
            "unavailable": "a robots.txt answering 4xx means no restriction",
            "before_fetch": "robots.txt is read before any other page of a site is requested",
        },
        "paywall": str(first.paywall),
        "blocklists": [{"file": f.file, "entries": f.entries, "sha256": f.sha256} for f in blocklist.files],
        "contact": first.contact,
        "rule_packs": [
            {"id": p.id, "name": p.name, "reviewed": p.reviewed, "sha256": p.sha256} for p in packs
        ],
        "ai_agents_known": len(bundled_agents()),
        "generated": utc_now(),
        "generated_by": f"scrapy-policyguard {__version__}",
    }


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g} hours" if seconds >= 3600 else f"{seconds:g} seconds"


def _paywall_text(mode: str) -> str:
    return {
        "deny": "pages that declare a paywall (schema.org isAccessibleForFree false) are not used for AI",
        "tag": "pages that declare a paywall are recorded with a condition, not withheld",
        "ignore": "paywall markup is not read",
    }[mode]


def render_markdown(data: dict[str, Any]) -> str:
    robots = data["robots_txt"]
    out = [f"# {data['title']}", ""]
    out += ["## The crawler", ""]
    for crawler in data["crawlers"]:
        out.append(f"- Product token (robots.txt): `{crawler['token']}`")
        out.append(f"- User-Agent string: `{crawler['user_agent'] or '(Scrapy default)'}`")
        for spider in crawler["spiders"]:
            out.append(
                f"- Spider `{spider['name']}`: purpose `{spider['purpose']}`, mode {spider['mode']}; "
                f"where no signal speaks about the purpose: {spider['unknown']}"
            )
    out += ["", "## What the collected content is for", ""]
    out += [f"- `{p['purpose']}`: {p['meaning']}" for p in data["purposes"]]
    out += [
        "",
        "## robots.txt",
        "",
        f"- Read and followed as {robots['standard']} says; {robots['before_fetch']}.",
        f"- Fetched again every {_hours(robots['refresh_seconds'])}; an unreachable one is retried after "
        f"{_hours(robots['unreachable_retry_seconds'])}; up to {robots['max_bytes']:,} bytes are read.",
        f"- {robots['unreachable'].capitalize()}; {robots['unavailable']}.",
        "",
        "## How to opt out, per purpose",
        "",
        "Any one of these denies the purpose for the page or site it covers.",
    ]
    for purpose, ways in data["opt_out"].items():
        out += ["", f"### `{purpose}`", ""]
        for way in ways:
            out += [
                f"- {way['signal']}:",
                "",
                "  ```",
                *(f"  {line}" for line in way["example"].splitlines()),
                "  ```",
            ]
    out += ["", "## Access restrictions and excluded websites", ""]
    out.append(
        f"- Paywalls: {_paywall_text(data['paywall'])}. No credentials are sent and no access restriction is bypassed."
    )
    if data["blocklists"]:
        for listed in data["blocklists"]:
            out.append(
                f"- Websites listed as infringing copyright are never contacted: `{Path(listed['file']).name}` "
                f"({listed['entries']} domain(s), sha256 `{listed['sha256'][:16]}`)"
            )
    else:
        out.append("- No list of infringing websites is configured.")
    out += ["", "## Platform terms in force", ""]
    out += [f"- `{p['id']}` ({p['name']}), reviewed {p['reviewed']}" for p in data["rule_packs"]]
    out += [
        "",
        "## Contact",
        "",
        f"{data['contact'] or 'No contact is configured (POLICYGUARD_CONTACT).'}",
        "",
        f"_Published as {data['code_of_practice']['measure']} asks ({data['code_of_practice']['url']}). "
        f"Generated {data['generated']} by {data['generated_by']}._",
    ]
    return "\n".join(out) + "\n"


def render_html(data: dict[str, Any]) -> str:
    robots = data["robots_txt"]
    crawler_rows = [
        [
            f"<code>{escape(c['token'])}</code>",
            f"<code>{escape(c['user_agent'] or '(Scrapy default)')}</code>",
            escape(", ".join(f"{s['name']} ({s['purpose']})" for s in c["spiders"])),
        ]
        for c in data["crawlers"]
    ]
    opt_outs = "".join(
        f"<h3>{escape(purpose)}</h3>"
        + table(
            ["signal", "example"],
            [[escape(w["signal"]), f"<pre>{escape(w['example'])}</pre>"] for w in ways],
        )
        for purpose, ways in data["opt_out"].items()
    )
    lists = (
        "".join(
            f"<li>Websites listed as infringing copyright are never contacted: <code>{escape(Path(item['file']).name)}</code> ({item['entries']} domain(s), sha256 <code>{escape(item['sha256'][:16])}</code>)</li>"
            for item in data["blocklists"]
        )
        or "<li>No list of infringing websites is configured.</li>"
    )
    packs = table(
        ["rule pack", "platform", "reviewed"],
        [
            [f"<code>{escape(p['id'])}</code>", escape(p["name"]), escape(p["reviewed"])]
            for p in data["rule_packs"]
        ],
    )
    purposes = "".join(
        f"<li><code>{escape(p['purpose'])}</code>: {escape(p['meaning'])}</li>" for p in data["purposes"]
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(data["title"])}</title><style>{CSS}pre{{margin:0;white-space:pre-wrap}}</style></head><body>
<h1>{escape(data["title"])}</h1>
<p class="meta">Information about this web crawler, as the EU General-Purpose AI Code of Practice asks crawler
operators to publish ({escape(data["code_of_practice"]["measure"])}).</p>
<h2>The crawler</h2>
{table(["product token (robots.txt)", "User-Agent string", "spiders (purpose)"], crawler_rows)}
<h2>What the collected content is for</h2><ul>{purposes}</ul>
<h2>robots.txt</h2>
<p>Read and followed as {escape(robots["standard"])} says; {escape(robots["before_fetch"])}. Fetched again every
{escape(_hours(robots["refresh_seconds"]))}. {escape(robots["unreachable"].capitalize())}; {escape(robots["unavailable"])}.</p>
<h2>How to opt out, per purpose</h2>
<p>Any one of these denies the purpose for the page or site it covers.</p>
{opt_outs}
<h2>Access restrictions and excluded websites</h2>
<ul><li>Paywalls: {escape(_paywall_text(data["paywall"]))}. No credentials are sent and no access restriction is bypassed.</li>{lists}</ul>
<h2>Platform terms in force</h2>
{packs}
<h2>Contact</h2>
<p>{escape(data["contact"] or "No contact is configured (POLICYGUARD_CONTACT).")}</p>
<p class="small">Generated {escape(data["generated"])} by {escape(data["generated_by"])}.</p>
</body></html>
"""


def _project() -> tuple[Any, list[tuple[str, Any]]]:
    """The project's settings and its spiders, found as ``scrapy`` finds them."""
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings, inside_project

    if not inside_project():
        raise ValueError(
            "not inside a Scrapy project: run it where scrapy.cfg is, or set SCRAPY_SETTINGS_MODULE"
        )
    settings = get_project_settings()
    loader = get_spider_loader(settings)
    return settings, [(name, loader.load(name)) for name in sorted(loader.list())]


def run(args: argparse.Namespace) -> int:
    try:
        settings, spiders = _project()
        if args.spider:
            unknown = sorted(set(args.spider) - {name for name, _ in spiders})
            if unknown:
                raise ValueError(f"no spider {', '.join(map(repr, unknown))} in this project")
            spiders = [(name, cls) for name, cls in spiders if name in args.spider]
        data = build_disclosure(settings, spiders)
    except (PolicyGuardConfigError, ValueError, ImportError) as exc:
        print(f"policyguard disclose: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        text = json.dumps(data, indent=2) + "\n"
    elif args.format == "html":
        text = render_html(data)
    else:
        text = render_markdown(data)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0

"""Inputs for the benchmarks: real robots.txt files, and realistic ones generated from a seed.

The generated files look like the large robots.txt of shops and news sites: a ``*`` group of a
few hundred rules (about a third with ``*`` or ``$``), groups for AI crawlers, ``Content-Signal``
and ``Content-Usage`` lines, sitemaps and comments. The same seed always gives the same file.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

DATA = Path(__file__).parent / "data"

AI_TOKENS = ["GPTBot", "CCBot", "Google-Extended", "ClaudeBot", "anthropic-ai", "Bytespider", "PerplexityBot"]
SECTIONS = ["gp", "dp", "news", "sport", "shop", "account", "search", "api", "media", "blog", "help", "tag"]
WORDS = ["cart", "login", "review", "share", "print", "rss", "ajax", "video", "comments", "preview", "edit"]


def real_robots() -> dict[str, str]:
    """The stored real-world files (their first line cites the source)."""
    return {
        p.name.removesuffix(".txt"): p.read_text("utf-8") for p in sorted((DATA / "robots").glob("*.txt"))
    }


def wikipedia_robots() -> bytes:
    """Wikipedia's robots.txt as its sites serve it (421 lines): the stored file without the line
    that cites its source."""
    return (DATA / "robots" / "wikipedia.org.txt").read_bytes().split(b"\n", 1)[1]


def enwiki_robots(lines: int = 704) -> bytes:
    """A file of ``lines`` lines built the way en.wikipedia.org's is: the base file, then
    ``Disallow`` lines for ``/wiki/`` project pages (the live file appends the wiki page
    MediaWiki:Robots.txt, which is not in our test data)."""
    head = (
        wikipedia_robots()
        + b"\n# enwiki-style additions (synthetic: the live file appends MediaWiki:Robots.txt)\n"
    )
    pages = (
        f"Disallow: /wiki/{namespace}Project_page_{n}/\n".encode()
        for n in itertools.count()
        for namespace in ("Wikipedia:", "Wikipedia%3A", "Wikipedia_talk:")
    )
    return head + b"".join(itertools.islice(pages, lines - head.count(b"\n")))


def realistic_robots(seed: int, rules: int = 400, *, block_ai: str = "/") -> str:
    """A realistic robots.txt with ``rules`` rules in its ``*`` group."""
    rnd = random.Random(seed)
    lines = [f"# robots.txt for site {seed}", "# Crawlers must identify themselves.", "", "User-agent: *"]
    lines.append("Content-Signal: search=yes")
    lines.append("Content-Usage: /open/ train-ai=y")
    for _ in range(rules):
        section = rnd.choice(SECTIONS)
        word = rnd.choice(WORDS)
        kind = rnd.random()
        if kind < 0.45:
            rule = f"/{section}/{word}"
        elif kind < 0.6:
            rule = f"/{section}/{word}/{rnd.randrange(10_000)}"
        elif kind < 0.75:
            rule = f"/*/{word}$"
        elif kind < 0.85:
            rule = f"/{section}/*?{word}=*"
        else:
            rule = f"/*.{rnd.choice(['pdf', 'json', 'xml', 'php'])}$"
        lines.append(f"{'Allow' if rnd.random() < 0.15 else 'Disallow'}: {rule}")
    lines.append("")
    for token in rnd.sample(AI_TOKENS, 4):
        lines += [f"User-agent: {token}", f"Disallow: {block_ai}", ""]
    lines += [f"Sitemap: https://site{seed}.example/sitemap-{i}.xml" for i in range(5)]
    return "\n".join(lines) + "\n"


def big_robots(target: int = 500 * 1024, seed: int = 1) -> str:
    """About ``target`` bytes of realistic rules over many groups (a 500 KiB file)."""
    rnd = random.Random(seed)
    parts: list[str] = []
    size = 0
    group = 0
    while size < target:
        head = f"User-agent: Bot{chr(65 + group % 26)}{group // 26}x\n" if group else "User-agent: *\n"
        body = "".join(
            f"Disallow: /{rnd.choice(SECTIONS)}/{rnd.choice(WORDS)}/{rnd.randrange(10**6)}{'*' if rnd.random() < 0.2 else ''}\n"
            for _ in range(300)
        )
        chunk = head + body + "\n"
        parts.append(chunk)
        size += len(chunk)
        group += 1
    return "".join(parts)


def wildcard_robots(wildcards: int, target: int = 500 * 1024) -> str:
    """``target`` bytes of ``Disallow: /*a*a*...*b$`` patterns with ``wildcards`` stars each."""
    lines = ["User-agent: *"]
    size = len(lines[0])
    index = 0
    while size < target:
        pattern = "/" + "*a" * wildcards + f"*b{index}$"
        line = f"Disallow: {pattern}"
        lines.append(line)
        size += len(line) + 1
        index += 1
    return "\n".join(lines) + "\n"


def urls_for(origin: str, robots: str, seed: int, count: int = 1000) -> list[str]:
    """URLs that hit the file's rules, narrowly miss them, or hit nothing."""
    rnd = random.Random(seed)
    rules = [
        line.split(":", 1)[1].strip()
        for line in robots.splitlines()
        if line.lower().startswith(("allow:", "disallow:"))
    ]
    urls = []
    for _ in range(count):
        kind = rnd.random()
        if kind < 0.4 and rules:
            base = rnd.choice(rules).replace("*", rnd.choice(["x", "item/42", ""])).rstrip("$")
            path = base if base.startswith("/") else "/" + base
        elif kind < 0.7:
            path = f"/{rnd.choice(SECTIONS)}/{rnd.choice(WORDS)}-{rnd.randrange(10**6)}"
        else:
            path = f"/{rnd.choice(SECTIONS)}/item/{rnd.randrange(10**6)}?ref={rnd.choice(WORDS)}"
        urls.append(origin + path)
    return urls

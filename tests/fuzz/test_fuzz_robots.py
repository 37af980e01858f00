"""Fuzzing core/robots.py and the robots.txt signal readers (robots_groups.py, robots_extensions.py).

Inputs: random bytes and text, robots.txt-shaped lines built from the record names the parser
knows (aliases and extension records included), and mutations of real files (the conformance
cases and the sites' files under tests/core/signals/data/robots). Properties: parsing and matching
never raise; answers are deterministic (fresh parse, cached groups, str vs bytes); LF, CRLF and CR
line endings give the same answers; the parse limit cuts at the last whole line; and the indexed
MergedGroup.match gives the rule a plain scan with the reference matcher of test_fuzz_paths.py
picks (longest match, Allow on ties, then file order).
"""

from __future__ import annotations

import re

from fuzzing import (
    assert_evidence_json,
    fuzz,
    lone_surrogates,
    mutated,
    path_text,
    product_tokens,
    reference_match,
    reference_tokens,
    robots_seeds,
    surrogate_escapes,
    text,
    to_bytes,
    valid_tokens,
)
from hypothesis import example
from hypothesis import strategies as st

from scrapy_policyguard.core.agents import AgentCatalogue
from scrapy_policyguard.core.bundled import bundled_agents
from scrapy_policyguard.core.paths import normalize_path, path_of
from scrapy_policyguard.core.robots import (
    RobotsTxt,
    crawler_token,
    is_product_token,
    product_token,
)
from scrapy_policyguard.core.signals.robots_extensions import RobotsExtensions, license_urls
from scrapy_policyguard.core.signals.robots_groups import AiGroups

ROBOTS_URL = "https://a.example/robots.txt"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# --------------------------------------------------------------------------- strategies

KEYS = (
    "User-agent",
    "user-agent",
    "USER-AGENT",
    "useragent",
    "user agent",
    "Allow",
    "Disallow",
    "disallow",
    "dissallow",
    "disalow",
    "Sitemap",
    "site-map",
    "Content-Signal",
    "Content-Usage",
    "content-signals",
    "License",
    "DisallowAITraining",
    "AllowAITraining",
    "Crawl-delay",
    "crawl delay",
    "Request-rate",
    "Host",
    "Noindex",
    "User-agen",
    "",
)
SEPARATORS = (":", ": ", " : ", ":\t", " ", "\t", "::", "")
EXTENSION_VALUES = (
    "search=yes, ai-train=no, ai-input=no",
    "ai-train=no, use=reference",
    "train-ai=n",
    "/private train-ai=n, search=y",
    "/ train-ai=y",
    "https://a.example/license.xml",
    "/license.xml",
    "10",
    "1/5s",
    "",
)
_pattern_values = st.text(st.sampled_from("/ab*$%?=.~é"), max_size=12).map(lambda p: "/" + p)
_values = st.one_of(
    product_tokens,
    _pattern_values,
    st.sampled_from(EXTENSION_VALUES),
    text.map(lambda v: _LINE_BREAK.sub(" ", v)[:40]),
)


@st.composite
def robots_lines(draw: st.DrawFn, max_size: int = 25, *, noise: bool = True) -> list[str]:
    """robots.txt lines without line breaks: records the parser knows, comments, blanks, noise."""
    lines = []
    for _ in range(draw(st.integers(0, max_size))):
        kind = draw(st.integers(0 if noise else 2, 9))
        if kind == 0:
            lines.append(draw(st.sampled_from(["", "   ", "# comment", "\t# x: y"])))
        elif kind == 1:
            lines.append(_LINE_BREAK.sub(" ", draw(text))[:60])
        else:
            key = draw(st.sampled_from(KEYS))
            if key.lower().replace("-", "").replace(" ", "") == "useragent":
                value = draw(product_tokens)
            elif key.lower() in ("allow", "disallow", "dissallow", "disalow"):
                value = draw(_pattern_values)
            else:
                value = draw(_values)
            comment = draw(st.sampled_from(["", "", " # note", "#x"]))
            lines.append(f"{key}{draw(st.sampled_from(SEPARATORS))}{value}{comment}")
    return lines


def _join(lines: list[str], end: str = "\n") -> str:
    return end.join(lines)


robots_text = robots_lines().map(_join)
robots_inputs = st.one_of(
    st.binary(max_size=1024),
    text,
    robots_text,
    robots_text.map(to_bytes),
    mutated(robots_seeds),
)
paths = st.one_of(path_text.map(normalize_path), path_text.map(lambda p: path_of("/" + p)))
tokens = st.one_of(product_tokens, text)


def _seed_lines(seed: bytes) -> list[str]:
    return _LINE_BREAK.split(seed.decode("utf-8", "surrogateescape"))


def answers(robots: RobotsTxt, queries: list[tuple[str, str]]) -> list[tuple[bool, int, str] | None]:
    """What the merged group of each token says about each path: (allow, line, pattern) or None."""
    out = []
    for token, path in queries:
        rule = robots.group_for(token).match(path)
        out.append(None if rule is None else (rule.allow, rule.line.number, rule.pattern.source))
    return out


def shape(robots: RobotsTxt) -> tuple[object, ...]:
    return (
        [
            (sorted(g.tokens), [r.line.number for r in g.rules], [e.line.number for e in g.extensions])
            for g in robots.groups
        ],
        [(e.name, e.value, e.line.number) for e in robots.global_extensions],
        robots.sitemaps,
        [line.number for line in robots.ignored],
        sorted(robots.tokens),
    )


queries = st.lists(st.tuples(tokens, paths), min_size=1, max_size=8)

# --------------------------------------------------------------------------- never raises


@fuzz(robots_inputs, st.lists(st.tuples(tokens, st.one_of(paths, text)), max_size=6))
@example(b"\xef\xbb", [("*", "/")])
@example(b"\xef\xbb\xbfUser-agent: *\nDisallow: /\xff\n", [("x", "/%FF")])
@example("User-agent: *\nAllow: /d/index.html\nDisallow: /d/\n", [("x", "/d/")])
@example("Disallow: /\nUser-agent: a\nContent-Usage: train-ai=n\nUser-agent: b\n", [("b", "/")])
def test_parse_and_match_never_raise(content, asked):
    robots = RobotsTxt.parse(content)
    assert robots.line_count >= 1
    for token, path in asked:
        group = robots.group_for(token)
        rule = group.match(path)
        assert rule is None or (rule.allow, rule.line.number) in {
            (r.allow, r.line.number) for r in group.rules
        }
        group.extension("content-signal")
        assert isinstance(group.label, str)
        robots.named_group(token)


@fuzz(robots_inputs, st.integers(0, 2048), queries)
@example(b"User-agent: *\r\nDisallow: /a\r\nDisallow: /b", 30, [("*", "/b")])
@example(b"\xef\xbb\xbfUser-agent: *\nDisallow: /", 15, [("*", "/")])
def test_parse_limit_cuts_at_the_last_whole_line(content, limit, asked):
    raw = to_bytes(content) if isinstance(content, str) else content
    limited = RobotsTxt.parse(raw, limit=limit)
    body = raw
    for bom in (b"\xef\xbb\xbf", b"\xef\xbb", b"\xef"):
        if body.startswith(bom):
            body = body[len(bom) :]
            break
    assert limited.truncated == (len(body) > limit)
    assert limited.size == len(raw)
    if limited.truncated:
        body = body[:limit]
        body = body[: max(body.rfind(b"\n"), body.rfind(b"\r")) + 1]
    assert answers(limited, asked) == answers(RobotsTxt.parse(body), asked)


# --------------------------------------------------------------------------- determinism


@fuzz(robots_inputs, queries)
def test_matching_is_deterministic(content, asked):
    first = RobotsTxt.parse(content)
    expected = answers(first, asked)
    assert answers(first, asked) == expected  # cached groups
    assert answers(RobotsTxt.parse(content), list(reversed(asked)))[::-1] == expected  # other order
    raw = to_bytes(content) if isinstance(content, str) else content
    assert answers(RobotsTxt.parse(raw), asked) == expected  # str and its bytes
    assert shape(RobotsTxt.parse(raw)) == shape(first)


@fuzz(
    st.one_of(robots_lines(), mutated(robots_seeds, max_ops=2).map(_seed_lines)),
    queries,
)
@example(["User-agent: *", "Disallow: /a", "Allow: /a/b$"], [("x", "/a/b")])
@example(["\ufeffUser-agent: x", "Disallow: /"], [("x", "/")])
def test_crlf_and_cr_line_endings_give_the_same_answers(lines, asked):
    lf = RobotsTxt.parse(_join(lines, "\n"))
    for end in ("\r\n", "\r"):
        other = RobotsTxt.parse(_join(lines, end))
        assert answers(other, asked) == answers(lf, asked)
        assert shape(other) == shape(lf)


# --------------------------------------------------------------------------- the indexed matcher


def reference_rule(robots: RobotsTxt, token: str, path: str) -> tuple[bool, int, int] | None:
    """The rule RFC 9309 picks, found by scanning every rule of the groups that apply."""
    key = token.lower()
    groups = [g for g in robots.groups if key in g.tokens] or [g for g in robots.groups if "*" in g.tokens]
    best = None
    for group in groups:
        for rule in group.rules:
            if reference_match(rule.pattern.source, path):
                order = (-reference_tokens(rule.pattern.source)[2], not rule.allow, rule.line.number)
                best = order if best is None or order < best else best
    return None if best is None else (not best[1], best[2], -best[0])


_wild = st.text(st.sampled_from("/ab*"), max_size=8).map(lambda p: "/" + p)
_rule_line = st.tuples(
    st.sampled_from(["Allow", "Disallow"]),
    st.one_of(_wild, _wild.map(lambda p: p + "$"), st.just("/a/index.html")),
).map(lambda kv: f"{kv[0]}: {kv[1]}")
_agent_line = st.sampled_from(["*", "a", "b", "A", "b/1.0"]).map(lambda t: f"User-agent: {t}")
_matching_text = st.lists(st.one_of(_rule_line, _rule_line, _agent_line), max_size=30).map(_join)


@fuzz(
    st.one_of(_matching_text, robots_text, mutated(robots_seeds, max_ops=2)),
    st.lists(
        st.tuples(
            st.sampled_from(["*", "a", "b", "c", "GPTBot", "Googlebot"]),
            st.one_of(st.text(st.sampled_from("/ab"), max_size=12), paths),
        ),
        min_size=1,
        max_size=8,
    ),
)
@example("User-agent: *\nAllow: /a\nDisallow: /a*\nDisallow: /a$\n", [("x", "/a")])
@example("User-agent: a\nDisallow: /*b\nAllow: /ab\n", [("a", "/abb")])
def test_indexed_matcher_agrees_with_a_plain_scan(content, asked):
    robots = RobotsTxt.parse(content)
    for token, path in asked:
        rule = robots.group_for(token).match(path)
        got = None if rule is None else (rule.allow, rule.line.number, rule.pattern.specificity)
        assert got == reference_rule(robots, token, path), (token, path)


# --------------------------------------------------------------------------- records kept

#: Record names of KEYS, as RFC 9309 and the extension drafts name them (lower-case, aliases
#: resolved); a key not listed here is an unknown record.
RECORDS = {
    "user-agent": "user-agent",
    "useragent": "user-agent",
    "user agent": "user-agent",
    "allow": "allow",
    "disallow": "disallow",
    "dissallow": "disallow",
    "disalow": "disallow",
    "sitemap": "sitemap",
    "site-map": "sitemap",
    "content-signal": "content-signal",
    "content-signals": "content-signal",
    "content-usage": "content-usage",
    "license": "license",
    "disallowaitraining": "disallowaitraining",
    "allowaitraining": "allowaitraining",
    "crawl-delay": "crawl-delay",
    "crawl delay": "crawl-delay",
    "request-rate": "request-rate",
    "request rate": "request-rate",
}


def reference_records(lines: list[str]) -> list[tuple[int, str, str]]:
    """(line number, record name, value) of every known record, read line by line."""
    found = []
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        key, sep, value = line.partition(":")
        if not sep:
            words = line.split()
            if len(words) != 2:
                continue
            key, value = words
        name = RECORDS.get(key.strip().lower())
        if name is not None:
            found.append((number, name, value.strip()))
    return found


@fuzz(robots_lines(25, noise=False))
@example(["Content-Signal: ai-train=no", "User-agent: a", "Allow: /d/index.html # x", "Sitemap: /s"])
@example(["User-agent: *", "Disallow /x", "License /l.xml", "Content-Usage: /p train-ai=n"])
def test_every_record_is_kept_where_it_was_written(lines):
    robots = RobotsTxt.parse(_join(lines))
    # The text as the parser sees it: a lone surrogate stands for its own (invalid) UTF-8 octets,
    # which come back as surrogate escapes.
    lines = _LINE_BREAK.split(to_bytes(_join(lines)).decode("utf-8", "surrogateescape"))
    records = reference_records(lines)
    agents = [n for n, name, _ in records if name == "user-agent"]
    first_group = agents[0] if agents else len(lines) + 1
    # Extension lines: before the first User-agent line site-wide, after it in a group.
    extensions = [
        (n, name, v) for n, name, v in records if name not in ("user-agent", "allow", "disallow", "sitemap")
    ]
    assert [(e.line.number, e.name, e.value) for e in robots.global_extensions] == [
        r for r in extensions if r[0] < first_group
    ]
    in_groups = sorted((e.line.number, e.name, e.value) for g in robots.groups for e in g.extensions)
    assert in_groups == [r for r in extensions if r[0] > first_group]
    # Rules: those after a User-agent line with a value; Allow of an index page also allows its folder.
    expected = []
    for n, name, value in records:
        if name in ("allow", "disallow") and n > first_group and value:
            expected.append((n, name == "allow", value))
            if name == "allow" and value[value.rfind("/") :].startswith("/index.htm"):
                expected.append((n, True, value[: value.rindex("/") + 1] + "$"))
    rules = sorted((r.line.number, r.allow, r.pattern.source) for g in robots.groups for r in g.rules)
    assert rules == sorted(expected)
    assert robots.sitemaps == [v for _, name, v in records if name == "sitemap" and v]
    assert [line.number for g in robots.groups for line in g.agent_lines] == agents
    # Evidence quotes the line as written (trimmed; these lines are shorter than the cap).
    for g in robots.groups:
        for source in [*g.agent_lines, *(r.line for r in g.rules), *(e.line for e in g.extensions)]:
            assert source.text == lines[source.number - 1].strip()


# --------------------------------------------------------------------------- tokens


@fuzz(st.one_of(text, product_tokens, st.text(st.sampled_from("aZ0_-*/ ;()\t"))))
@example("Mozilla/5.0 (compatible; ExampleBot/1.0; +https://example.com/bot)")
@example("* ")
def test_product_tokens(value):
    token = product_token(value)
    assert token == "*" or re.fullmatch(r"[a-z0-9_-]*", token)
    if is_product_token(value):
        assert token == value.lower()
    announced = crawler_token(value)
    assert announced == "" or re.fullmatch(r"[A-Za-z0-9_-]+", announced)


# --------------------------------------------------------------------------- signal readers

_catalogue = st.one_of(
    st.just(None),
    st.dictionaries(
        st.sampled_from(["GPTBot", "a", "b", "ExampleBot", "ccbot", "Custom-AI"]),
        st.sampled_from(["training", "control", "search", "user", None]),
        max_size=4,
    ),
)


@fuzz(robots_inputs, valid_tokens, _catalogue, st.lists(paths, min_size=1, max_size=5), st.booleans())
@example(
    "User-agent: GPTBot\nDisallow: /\nContent-Usage: /p train-ai=n\nContent-Usage: /p train-ai=y\n"
    "Content-Signal: ai-train=no\nDisallowAITraining: /x\nLicense: /l.xml\n",
    "GPTBot",
    None,
    ["/p", "/x"],
    True,
)
def test_robots_signal_readers_never_raise(content, own, changes, asked, legacy):
    robots = RobotsTxt.parse(content)
    catalogue: AgentCatalogue = bundled_agents()
    if changes is not None:
        catalogue = catalogue.with_changes(changes)
    groups = AiGroups(robots, catalogue, own, ROBOTS_URL)
    extensions = RobotsExtensions(robots, robots.group_for(own), ROBOTS_URL, legacy_usage=legacy)
    assert all(isinstance(url, str) and url for url in license_urls(robots, robots.group_for(own)))
    for path in asked:
        assert_evidence_json(groups.evidence(path))
        assert_evidence_json(extensions.evidence(path))
        assert_evidence_json(extensions.evidence(path, crawl_allowed=False))


# --------------------------------------------------------------------------- regressions


# Found by this suite, fixed in 162f4cb: RobotsTxt.parse(str) encoded with "surrogateescape" and
# raised UnicodeEncodeError for a lone surrogate outside U+DC80..U+DCFF.
@fuzz(st.text(st.one_of(lone_surrogates, surrogate_escapes, st.sampled_from("UDa:/* \n"))), queries)
@example("User-agent: *\nDisallow: /\ud800", [("x", "/%ED%A0%80")])
def test_parse_str_with_any_lone_surrogate(content, asked):
    robots = RobotsTxt.parse(content)
    assert answers(robots, asked) == answers(RobotsTxt.parse(to_bytes(content)), asked)

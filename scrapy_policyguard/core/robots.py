"""robots.txt parsing and matching as RFC 9309 specifies it, keeping every line that decides.

Differences from Protego 0.7 that matter here (see tests/core/test_robots_conformance.py):
unknown records never end or split a group (§2.2.4); product tokens are compared whole and
case-insensitively (§2.2.1), never as prefixes; a final ``$`` is an anchor only; escapes of
reserved characters stay distinct (``%3F`` is not ``?``); extension lines (Content-Signal,
Content-Usage, License, DisallowAITraining...) are kept with their group and line number; and the
rule that decides is reported.

Crawl-delay and Request-rate are not in RFC 9309; many sites publish them and crawlers that honour
them read them alike (:attr:`MergedGroup.crawl_delay`): ``Crawl-delay: N`` asks for N seconds
between requests (Bing: one request per window of N seconds,
https://blogs.bing.com/webmaster/2012/05/03/to-crawl-or-not-to-crawl-that-is-bingbots-question,
read 2026-12-08); ``Request-rate: n/T`` allows n requests per T seconds (a ``s``, ``m``, ``h`` or
``d`` unit may follow T), as "An Extended Standard for Robot Exclusion" defines it
(http://www.conman.org/people/spc/robots2.html, read 2026-12-08), which is one request every T/n
seconds. Its optional visit window (``1/5s 0900-1700``) is not read: the rate applies all day,
the stricter reading.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from .paths import PathPattern, is_plain, match_pieces, normalize_path, split_pattern, utf8

__all__ = [
    "PARSE_LIMIT",
    "CrawlDelay",
    "ExtensionLine",
    "Group",
    "MergedGroup",
    "RobotsTxt",
    "Rule",
    "SourceLine",
    "crawler_token",
    "is_product_token",
    "product_token",
]

_T = TypeVar("_T")

#: RFC 9309 §2.5: crawlers MUST parse at least 500 KiB.
PARSE_LIMIT = 500 * 1024
_EVIDENCE_TEXT_MAX = 300

_TOKEN_RE = re.compile(r"[A-Za-z_-]+")
# What a User-agent value names: like Google's parser we cut at a space, '/' or '*', but digits
# stay, so "AI2Bot" names "ai2bot" (not "ai", which would make it collide with other tokens).
_GROUP_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")
_COMPATIBLE_RE = re.compile(r"compatible;\s*([A-Za-z0-9_-]+)", re.IGNORECASE)
_LINE_SPLIT = re.compile(r"(\r\n|\r|\n)")

_USER_AGENT = "user-agent"
_ALLOW = "allow"
_DISALLOW = "disallow"
_SITEMAP = "sitemap"
_INDEX_PAGE = "/index.htm"
_GROUP_RULES = frozenset({"content-usage", "disallowaitraining", "allowaitraining"})
_CRAWL_DELAY = "crawl-delay"
_REQUEST_RATE = "request-rate"

#: Record names, lower-cased, including the frequent misspellings Google's parser accepts.
_KEY_ALIASES = {
    "user-agent": _USER_AGENT,
    "useragent": _USER_AGENT,
    "user agent": _USER_AGENT,
    "allow": _ALLOW,
    "disallow": _DISALLOW,
    "dissallow": _DISALLOW,
    "dissalow": _DISALLOW,
    "disalow": _DISALLOW,
    "diasllow": _DISALLOW,
    "disallaw": _DISALLOW,
    "sitemap": _SITEMAP,
    "site-map": _SITEMAP,
    # Extension records: kept, never interpreted here (see core/signals/robots_extensions.py).
    "content-signal": "content-signal",
    "content-signals": "content-signal",
    "content-usage": "content-usage",
    "disallowaitraining": "disallowaitraining",
    "allowaitraining": "allowaitraining",
    "license": "license",
    # Crawl pacing, not in RFC 9309: read by MergedGroup.crawl_delay. Protego's spellings.
    "crawl-delay": _CRAWL_DELAY,
    "crawl delay": _CRAWL_DELAY,
    "request-rate": _REQUEST_RATE,
    "request rate": _REQUEST_RATE,
}

# Crawl-delay: a decimal number of seconds. Request-rate: n/T with an optional unit, then an
# optional visit window that is not read.
_DELAY_VALUE = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)")
_RATE_VALUE = re.compile(
    r"(\d+)\s*/\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhd]?)(?:\s+\d{1,2}:?\d\d\s*-\s*\d{1,2}:?\d\d)?", re.IGNORECASE
)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def product_token(value: str) -> str:
    """The product token a robots.txt ``User-agent`` value names, lower-cased.

    Tokens compare whole and case-insensitively (RFC 9309 §2.2.1). Like Google's parser, a value
    is cut where a token cannot go on (``Googlebot/2.1`` names ``googlebot``, ``FOO BAR`` names
    ``foo``); unlike it, digits do not cut (``AI2Bot`` names ``ai2bot``, not ``ai``). ``*``
    (alone or followed by space) is the global group. Anything else names no crawler.
    """
    value = value.strip()
    if value == "*" or value.startswith(("* ", "*\t")):
        return "*"
    m = _GROUP_TOKEN_RE.match(value)
    return m.group().lower() if m else ""


def is_product_token(value: str) -> bool:
    """True for a string a crawler may use as its own product token (RFC 9309 §2.2.1)."""
    return bool(_TOKEN_RE.fullmatch(value))


def crawler_token(user_agent: str) -> str:
    """The product a crawler's ``User-Agent`` string announces (case kept), valid token or not.

    ``Scrapy/2.19 (+https://scrapy.org)`` announces ``Scrapy``; a browser-style string such as
    ``Mozilla/5.0 (compatible; ExampleBot/1.0; +https://example.com/bot)`` announces ``ExampleBot``.
    ``Policy2Bot/1.0`` announces ``Policy2Bot``, which callers refuse with :func:`is_product_token`
    rather than cutting it to ``Policy``. An empty string means no product at all.
    """
    value = user_agent.strip()
    compatible = _COMPATIBLE_RE.search(value)
    if value.lower().startswith("mozilla/") and compatible:
        return compatible.group(1)
    m = _GROUP_TOKEN_RE.match(value)
    return m.group() if m else ""


@dataclass(frozen=True, slots=True)
class SourceLine:
    """A line of the file as evidence: 1-based number and the text (trimmed, capped)."""

    number: int
    text: str

    def __str__(self) -> str:
        return f"line {self.number}: {self.text}"


_ALLOW_BIT = 1
_INDEX_BIT = 2  # the /dir/$ rule Google's index.html extension derives from an Allow line


class _Lines:
    """The file's bytes and where each line starts.

    Rules are kept as small integer codes (line number and flags); their text and pattern are cut
    from here and decoded when they are needed (a match, evidence), so a cached origin does not
    hold a string and an object for every line of its robots.txt. The bytes, not the decoded text:
    one non-ASCII character would make Python store every character of the text in two or four
    bytes.
    """

    __slots__ = ("data", "segments", "starts")

    def __init__(self, data: bytes, starts: array[int]) -> None:
        self.data = data
        self.starts = starts  # byte offset of each line
        self.segments: dict[str, int] = {"": 0}  # the distinct rule segments (see _segment): their ids

    def raw(self, number: int) -> str:
        start = self.starts[number - 1]
        end = self.starts[number] if number < len(self.starts) else len(self.data)
        return self.data[start:end].decode("utf-8", "surrogateescape").rstrip("\r\n")

    def line(self, number: int) -> SourceLine:
        return SourceLine(number, _evidence_text(self.raw(number)))

    def pattern(self, code: int) -> str:
        """The path pattern of the rule ``code`` stands for, as written."""
        record = _record(self.raw(code >> 2))
        value = record[1] if record else ""
        if code & _INDEX_BIT:
            return value[: value.rindex("/") + 1] + "$"
        return value

    def rule(self, code: int) -> Rule:
        return Rule(code, self)


class Rule:
    """An Allow or Disallow rule with its pattern and line, built when needed (a match, evidence);
    matching itself works on the merged group's index. Small on purpose: the pattern and the
    line text are read back from the file when asked for."""

    __slots__ = ("_lines", "code")

    def __init__(self, code: int, lines: _Lines) -> None:
        self.code = code
        self._lines = lines

    @property
    def allow(self) -> bool:
        return bool(self.code & _ALLOW_BIT)

    @property
    def number(self) -> int:
        return self.code >> 2

    @property
    def pattern(self) -> PathPattern:
        return PathPattern(self._lines.pattern(self.code))

    @property
    def line(self) -> SourceLine:
        return self._lines.line(self.code >> 2)

    def __repr__(self) -> str:
        verb = "Allow" if self.allow else "Disallow"
        return f"Rule({verb}: {self._lines.pattern(self.code)}, line {self.number})"


@dataclass(frozen=True, slots=True)
class ExtensionLine:
    """A record that is not Allow/Disallow/User-agent/Sitemap, kept for the signal readers."""

    name: str  # canonical lower-case record name, e.g. "content-signal"
    value: str
    line: SourceLine


@dataclass(frozen=True, slots=True)
class CrawlDelay:
    """The pace a group asks for: at least ``seconds`` between requests, and the line that asks."""

    seconds: float
    line: SourceLine


def _delay_seconds(ext: ExtensionLine) -> float | None:
    """Seconds between requests a Crawl-delay or Request-rate line asks for; None when unreadable."""
    if ext.name == _CRAWL_DELAY:
        seconds = float(ext.value) if _DELAY_VALUE.fullmatch(ext.value) else None
    else:
        rate = _RATE_VALUE.fullmatch(ext.value)
        requests = float(rate.group(1)) if rate is not None else 0.0  # float: any number of digits
        if rate is None or requests == 0:
            return None
        seconds = float(rate.group(2)) * _UNIT_SECONDS[rate.group(3).lower()] / requests
    # A value of hundreds of digits reads as infinity: a file that cannot mean anything.
    return seconds if seconds is not None and math.isfinite(seconds) else None


class Group:
    """One group as written: its User-agent lines and the records that follow them."""

    __slots__ = ("_lines", "agent_numbers", "codes", "extensions", "segment_ids")

    def __init__(self, lines: _Lines) -> None:
        self._lines = lines
        self.agent_numbers = array("I")  # line numbers of the User-agent lines
        self.codes = array("I")  # one per Allow/Disallow rule: line number << 2 | flags
        self.segment_ids = array("I")  # each rule's segment, an index into the file's segments
        self.extensions: list[ExtensionLine] | tuple[()] = ()  # a list once the group has one

    @property
    def agent_lines(self) -> list[SourceLine]:
        return [self._lines.line(number) for number in self.agent_numbers]

    @property
    def rules(self) -> list[Rule]:
        return [self._lines.rule(code) for code in self.codes]

    @property
    def tokens(self) -> frozenset[str]:
        """The product tokens the group's User-agent lines name (lower-case)."""
        found = (_record(self._lines.raw(number)) for number in self.agent_numbers)
        return frozenset(filter(None, (product_token(r[1]) for r in found if r is not None)))

    @property
    def label(self) -> str:
        return " / ".join(line.text for line in self.agent_lines) + f" (line {self.agent_numbers[0]})"


def _order(specificity: int, code: int) -> int:
    """Smaller wins: longest match first, Allow on equal length (§2.2.2), then file order."""
    return ((_MAX_SPECIFICITY - specificity) << 33) | ((0 if code & _ALLOW_BIT else 1) << 32) | (code >> 2)


_MAX_SPECIFICITY = 1 << 30


# A wildcard rule, held without its PathPattern (and the pattern text) to keep a cached origin
# small: (match order, longest literal piece, first piece, later pieces, anchored, rule code).
_Wild = tuple[int, str, str, tuple[str, ...], bool, int]


def _segment(path: str) -> str:
    """The path up to and including its second ``/`` ("/gp/" of "/gp/cart"), or "" without one.

    A pattern whose literal start holds a second ``/`` can only match paths with the same
    segment, so rules are bucketed by it and a path looks only at its own bucket.
    """
    slash = path.find("/", 1)
    return path[: slash + 1] if slash > 0 else ""


def _raw_segment(pattern: str) -> str:
    """The segment (see :func:`_segment`) of the paths a pattern can match, as written: that of
    its literal start, before any ``*`` (a final ``$`` is never part of it)."""
    segment = _segment(pattern)
    return "" if "*" in segment else segment


class MergedGroup:
    """All groups that apply to one product token, merged (RFC 9309 §2.2.1), ready to match.

    Matching finds the rule with the smallest :func:`_order` without scanning every rule. Plain
    prefixes sit in one dictionary; a path looks up its own prefixes only at the lengths some rule
    of its segment (or of no segment) has, longest first, so the first hit is the longest match.
    Anchored plain patterns take one lookup. Wildcard rules are tried in match order, only those
    of the path's segment or of none, and only while they could still beat the best plain match,
    each after a quick test that its longest literal piece occurs at all.

    Rules are indexed a segment at a time, when a path of that segment is first matched: a crawl
    that fetches two pages of an origin pays for the rules of those pages' segments, not for the
    hundreds of ``/wiki/...`` rules of a file it never goes near.
    """

    __slots__ = (
        "_built",
        "_codes",
        "_exact",
        "_indexed",
        "_lengths",
        "_lines",
        "_literal",
        "_wild",
        "extensions",
        "groups",
        "token",
    )

    def __init__(self, token: str | None, groups: Iterable[Group]) -> None:
        self.token = token  # the token the groups name, "*", or None when no group applies
        self.groups = tuple(groups)
        self._lines = self.groups[0]._lines if self.groups else _Lines(b"", array("I"))
        self.extensions = tuple(
            sorted((ext for g in self.groups for ext in g.extensions), key=lambda e: e.line.number)
        )
        self._indexed: set[str] = set()  # the segments whose rules are in the index
        self._literal: dict[str, int] = {}
        self._exact: dict[str, int] = {}
        self._lengths: dict[str, tuple[int, ...]] = {}
        self._wild: dict[str, tuple[_Wild, ...]] = {}
        self._built: dict[int, Rule] = {}
        self._codes: tuple[int, ...] | None = None
        self._index("")  # rules of no segment apply to every path

    def _index(self, segment: str, codes: list[int] | None = None) -> None:
        """Index the rules of ``segment`` (after those of no segment, which every segment adds):
        ``codes``, sorted, when the caller has picked them out already, else found by one scan."""
        self._indexed.add(segment)
        if codes is None:
            segment_id = self._lines.segments[segment]
            codes = sorted(
                code
                for group in self.groups
                for code, rule_segment in zip(group.codes, group.segment_ids, strict=True)
                if rule_segment == segment_id
            )
        literal, exact = self._literal, self._exact
        lengths: set[int] = set()
        wild: dict[tuple[bool, str, tuple[str, ...], bool], _Wild] = {}
        for code in codes:
            value = self._lines.pattern(code)
            if is_plain(value):
                table, key, spec = literal, value, len(value)
            else:
                first, pieces, anchored, spec = split_pattern(value)
                if "*" not in value:
                    key = first
                    table = exact if anchored else literal
                else:
                    # Rules that match the same paths count once: the one that ranks first (the
                    # longer, as ** against *, then the first line) is the one cited.
                    signature = (bool(code & _ALLOW_BIT), first, pieces, anchored)
                    order = _order(spec, code)
                    held_wild = wild.get(signature)
                    if held_wild is None or order < held_wild[0]:
                        needle = max((first, *pieces), key=len)
                        wild[signature] = (order, needle, first, pieces, anchored, code)
                    continue
            if table is literal:
                lengths.add(len(key))
            held = table.get(key)
            if held is None or _order(spec, code) < _order(spec, held):
                table[key] = code
        if not segment:
            self._lengths[""] = tuple(sorted(lengths, reverse=True))
            self._wild[""] = tuple(sorted(wild.values()))
            return
        # Keys of a segment are longer than any key without one that can match the same path.
        if lengths:
            self._lengths[segment] = (*sorted(lengths, reverse=True), *self._lengths[""])
        if wild:  # its own only: match() also reads those of no segment, held once per group
            self._wild[segment] = tuple(sorted(wild.values()))

    @property
    def label(self) -> str:
        if not self.groups:
            return "no group applies"
        return "; ".join(group.label for group in self.groups)

    def _rule(self, code: int) -> Rule:
        rule = self._built.get(code)
        if rule is None:
            rule = self._built[code] = self._lines.rule(code)
        return rule

    @property
    def codes(self) -> tuple[int, ...]:
        """The code of every rule, in match order, identical rules once (ranked on first use)."""
        if self._codes is None:
            # Every segment not indexed yet, its rules picked out in one pass over the groups (a
            # scan per segment would cost segments x rules).
            pending = {i: s for s, i in self._lines.segments.items() if s not in self._indexed}
            found: dict[int, list[int]] = {}
            for group in self.groups:
                for code, rule_segment in zip(group.codes, group.segment_ids, strict=True):
                    if rule_segment in pending:
                        found.setdefault(rule_segment, []).append(code)
            for segment_id, segment in pending.items():
                self._index(segment, sorted(found.get(segment_id, ())))
            ranked = [(_order(len(key), code), code) for key, code in self._literal.items()]
            ranked += [(_order(len(key) + 1, code), code) for key, code in self._exact.items()]
            ranked += {(entry[0], entry[-1]) for entries in self._wild.values() for entry in entries}
            self._codes = tuple(code for _, code in sorted(ranked))
        return self._codes

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule, in match order, identical rules once."""
        return tuple(self._rule(code) for code in self.codes)

    def rule_at(self, index: int) -> Rule:
        """``rules[index]``, without building the others."""
        return self._rule(self.codes[index])

    @property
    def signature(self) -> tuple[tuple[bool, str], ...]:
        """(allow, pattern as written) of every rule in match order: equal for groups that
        decide every path alike, line numbers aside."""
        return tuple((bool(code & _ALLOW_BIT), self._lines.pattern(code)) for code in self.codes)

    def match(self, path: str) -> Rule | None:
        """The rule that decides for ``path`` (normalised), or None when no rule matches."""
        best: int | None = None
        best_order = _NO_MATCH
        segment = _segment(path)
        if segment not in self._indexed and segment in self._lines.segments:
            self._index(segment)
        lengths = self._lengths.get(segment) or self._lengths[""]
        size = len(path)
        literal = self._literal
        for length in lengths:
            if length <= size:
                best = literal.get(path[:length])
                if best is not None:
                    best_order = _order(length, best)
                    break
        exact = self._exact.get(path)
        if exact is not None:
            order = _order(len(path) + 1, exact)
            if order < best_order:
                best, best_order = exact, order
        for wild in (self._wild.get(segment, ()), self._wild[""]):
            for order, needle, first, pieces, anchored, code in wild:
                if order > best_order:
                    break
                if needle in path and match_pieces(path, first, pieces, anchored):
                    best, best_order = code, order  # the best of this list (it is sorted)
                    break
        return self._rule(best) if best is not None else None

    def extension(self, name: str) -> tuple[ExtensionLine, ...]:
        return tuple(ext for ext in self.extensions if ext.name == name)

    @property
    def crawl_delay(self) -> CrawlDelay | None:
        """The strictest pace the group's Crawl-delay and Request-rate lines ask for (the first
        line on a tie), or None when it has none that can be read. Lines before the first
        User-agent belong to no group and are not read."""
        found: CrawlDelay | None = None
        for ext in self.extensions:
            if ext.name in (_CRAWL_DELAY, _REQUEST_RATE):
                seconds = _delay_seconds(ext)
                if seconds is not None and (found is None or seconds > found.seconds):
                    found = CrawlDelay(seconds, ext.line)
        return found


_NO_MATCH = 1 << 80


def _decode(content: str | bytes, limit: int) -> tuple[bytes, int, bool, int]:
    """(bytes, where the first line starts, truncated, size). A byte order mark is skipped by
    offset, not sliced off: the fetched body is then the parser's bytes too, not a second copy."""
    raw = utf8(content) if isinstance(content, str) else bytes(content)
    size = len(raw)
    start = 0
    # A UTF-8 byte order mark, whole or cut short, is not part of the first line.
    for bom in (b"\xef\xbb\xbf", b"\xef\xbb", b"\xef"):
        if raw.startswith(bom):
            start = len(bom)
            break
    truncated = size - start > limit
    if truncated:
        raw = raw[: start + limit]
        # The line cut by the limit is incomplete: drop it rather than guess its meaning.
        cut = max(raw.rfind(b"\n", start), raw.rfind(b"\r", start))
        raw = raw[: cut + 1] if cut >= 0 else raw[:start]
    return raw, start, truncated, size


def _record(raw_line: str) -> tuple[str, str] | None:
    """(canonical record name, value) of a line, or None when it is not a known record."""
    line = raw_line.split("#", 1)[0].strip() if "#" in raw_line else raw_line.strip()
    if not line:
        return None
    record = _split_record(line)
    if record is None:
        return None
    name = _KEY_ALIASES.get(record[0])
    return (name, record[1]) if name is not None else None


def _split_record(line: str) -> tuple[str, str] | None:
    key, sep, value = line.partition(":")
    if not sep:
        # Like Google's parser, accept "key value" without a colon when there are exactly two
        # words ("disallow /x"); anything longer is not a record.
        parts = line.split()
        if len(parts) != 2:
            return None
        key, value = parts
    return key.strip().lower(), value.strip()


def _evidence_text(line: str) -> str:
    line = line.strip()
    if len(line) > _EVIDENCE_TEXT_MAX:
        return line[:_EVIDENCE_TEXT_MAX] + "…"
    return line


class RobotsTxt:
    """A parsed robots.txt. Build with :meth:`parse`; ask :meth:`group_for` and match."""

    def __init__(self) -> None:
        self.groups: list[Group] = []
        self.global_extensions: list[ExtensionLine] = []
        self.sitemaps: list[str] = []
        self._ignored = array("I")  # line numbers of unknown records and rules outside any group
        self._lines = _Lines(b"", array("I"))
        self.truncated = False
        self.size = 0
        self.line_count = 0
        self._merged: dict[str, MergedGroup] = {}
        self._named: dict[str, MergedGroup | None] = {}
        self._derived: dict[Hashable, Any] = {}
        self._by_token: dict[str, list[Group]] = {}

    @classmethod
    def parse(cls, content: str | bytes, *, limit: int = PARSE_LIMIT) -> RobotsTxt:
        robots = cls()
        data, start, robots.truncated, robots.size = _decode(content, limit)
        # Invalid UTF-8 is kept as surrogate escapes, which path normalisation turns back into the
        # original octets (percent-encoded), so a Latin-1 path still matches byte for byte.
        text = str(memoryview(data)[start:], "utf-8", "surrogateescape")
        ascii_only = text.isascii()
        group: Group | None = None
        rules_seen = False  # an Allow/Disallow ends the User-agent list of the current group
        parts = _LINE_SPLIT.split(text)  # line, separator, line, separator, ..., line
        starts = array("I")
        lines = robots._lines = _Lines(data, starts)
        robots.line_count = (len(parts) + 1) // 2
        by_token = robots._by_token
        ids_by_raw: dict[str, int] = {"": 0}

        def segment_id(pattern: str) -> int:
            raw = _raw_segment(pattern)
            found = ids_by_raw.get(raw)
            if found is None:
                segment = raw if is_plain(raw) else normalize_path(raw)
                found = lines.segments.setdefault(segment, len(lines.segments))
                ids_by_raw[raw] = found
            return found

        offset = start
        for index in range(0, len(parts), 2):
            raw_line = parts[index]
            number = index // 2 + 1
            starts.append(offset)
            size = len(raw_line) if ascii_only or raw_line.isascii() else len(utf8(raw_line))
            offset += size + (len(parts[index + 1]) if index + 1 < len(parts) else 0)
            record = _record(raw_line)
            if record is None:
                if raw_line.split("#", 1)[0].strip():
                    # Unknown records never end or split a group (RFC 9309 §2.2.4).
                    robots._ignored.append(number)
                continue
            name, value = record
            if name == _USER_AGENT:
                if group is None or rules_seen:
                    group = Group(lines)
                    robots.groups.append(group)
                    rules_seen = False
                group.agent_numbers.append(number)
                token = product_token(value)
                if token:
                    named = by_token.setdefault(token, [])
                    if not named or named[-1] is not group:
                        named.append(group)
            elif name is _ALLOW or name is _DISALLOW:
                if group is None:
                    robots._ignored.append(number)
                    continue
                rules_seen = True
                if value:  # an empty Allow/Disallow says nothing (Google case 27)
                    allow = name is _ALLOW
                    group.codes.append(number << 2 | allow)
                    group.segment_ids.append(segment_id(value))
                    if allow and value[value.rfind("/") :].startswith(_INDEX_PAGE):
                        # Google's extension: allowing /d/index.html also allows /d/ itself.
                        group.codes.append(number << 2 | _ALLOW_BIT | _INDEX_BIT)
                        group.segment_ids.append(segment_id(value[: value.rindex("/") + 1]))
            elif name == _SITEMAP:
                if value:
                    robots.sitemaps.append(value)
            else:
                ext = ExtensionLine(name, value, SourceLine(number, _evidence_text(raw_line)))
                if group is None:
                    robots.global_extensions.append(ext)
                else:
                    if not group.extensions:
                        group.extensions = []
                    group.extensions.append(ext)
                    # Content-Usage (draft-ietf-aipref-attach-05: `rule =/ content-usage`) and the
                    # AI-training lines are rules of the group, so a User-agent line after them
                    # starts a new group; Content-Signal and License are other records and do not.
                    rules_seen = rules_seen or name in _GROUP_RULES
        return robots

    @property
    def ignored(self) -> list[SourceLine]:
        """Unknown records and rules outside any group, as evidence lines."""
        return [self._lines.line(number) for number in self._ignored]

    @property
    def tokens(self) -> frozenset[str]:
        """Every product token (lower-case) that some group names, ``*`` included."""
        return frozenset(self._by_token)

    def derived(self, key: Hashable, build: Callable[[RobotsTxt], _T]) -> _T:
        """What ``build`` derives from this file, computed once: origins that serve the same file
        share the parsed copy (see core/content_cache.py), and with it every analysis of it."""
        if key not in self._derived:
            self._derived[key] = build(self)
        found: _T = self._derived[key]
        return found

    def named_group(self, token: str) -> MergedGroup | None:
        """The groups that name ``token`` itself, merged; None when only ``*`` would apply."""
        token = token.lower()
        if token not in self._named:
            groups = self._by_token.get(token)
            self._named[token] = MergedGroup(token, groups) if groups else None
        return self._named[token]

    def group_for(self, token: str) -> MergedGroup:
        """The merged group a crawler with product token ``token`` must obey (RFC 9309 §2.2.1)."""
        token = token.lower()
        merged = self._merged.get(token)
        if merged is None:
            named = self.named_group(token)
            if named is not None:
                merged = named
            elif "*" in self._by_token:
                merged = MergedGroup("*", self._by_token["*"])
            else:
                merged = MergedGroup(None, ())
            self._merged[token] = merged
        return merged

"""robots.txt parsing and matching as RFC 9309 specifies it, keeping every line that decides.

Differences from Protego 0.7 that matter here (see tests/core/test_robots_conformance.py):
unknown records never end or split a group (§2.2.4); product tokens are compared whole and
case-insensitively (§2.2.1), never as prefixes; a final ``$`` is an anchor only; escapes of
reserved characters stay distinct (``%3F`` is not ``?``); extension lines (Content-Signal,
Content-Usage, License, DisallowAITraining...) are kept with their group and line number; and the
rule that decides is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .paths import PathPattern

__all__ = [
    "PARSE_LIMIT",
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

#: RFC 9309 §2.5: crawlers MUST parse at least 500 KiB.
PARSE_LIMIT = 500 * 1024
_EVIDENCE_TEXT_MAX = 300

_TOKEN_RE = re.compile(r"[A-Za-z_-]+")
# What a User-agent value names: like Google's parser we cut at a space, '/' or '*', but digits
# stay, so "AI2Bot" names "ai2bot" (not "ai", which would make it collide with other tokens).
_GROUP_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")
_COMPATIBLE_RE = re.compile(r"compatible;\s*([A-Za-z0-9_-]+)", re.IGNORECASE)
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")

_USER_AGENT = "user-agent"
_ALLOW = "allow"
_DISALLOW = "disallow"
_SITEMAP = "sitemap"
_INDEX_PAGE = "/index.htm"
_GROUP_RULES = frozenset({"content-usage", "disallowaitraining", "allowaitraining"})

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
    "crawl-delay": "crawl-delay",
}


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


@dataclass(frozen=True, slots=True)
class Rule:
    allow: bool
    pattern: PathPattern
    line: SourceLine


@dataclass(frozen=True, slots=True)
class ExtensionLine:
    """A record that is not Allow/Disallow/User-agent/Sitemap, kept for the signal readers."""

    name: str  # canonical lower-case record name, e.g. "content-signal"
    value: str
    line: SourceLine


@dataclass(slots=True)
class Group:
    """One group as written: its User-agent lines and the records that follow them."""

    agent_lines: list[SourceLine] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    rules: list[Rule] = field(default_factory=list)
    extensions: list[ExtensionLine] = field(default_factory=list)

    @property
    def label(self) -> str:
        return " / ".join(line.text for line in self.agent_lines) + f" (line {self.agent_lines[0].number})"


def _order(rule: Rule) -> tuple[int, bool, int]:
    # Longest match wins; on equal length Allow wins (§2.2.2); then file order.
    return (-rule.pattern.specificity, not rule.allow, rule.line.number)


class MergedGroup:
    """All groups that apply to one product token, merged (RFC 9309 §2.2.1), ready to match.

    Matching gives the first rule in :func:`_order` that matches, but does not scan every rule:
    plain prefixes are found by dictionary lookups (one per distinct prefix length), anchored
    plain patterns by one lookup, and only wildcard rules more specific than the best plain match
    are tried in turn.
    """

    __slots__ = ("_exact", "_lengths", "_literal", "_wild", "extensions", "groups", "rules", "token")

    def __init__(self, token: str | None, groups: Iterable[Group]) -> None:
        self.token = token  # the token the groups name, "*", or None when no group applies
        self.groups = tuple(groups)
        unique: dict[tuple[object, ...], Rule] = {}
        for rule in sorted((rule for group in self.groups for rule in group.rules), key=_order):
            pattern = rule.pattern
            unique.setdefault(
                (rule.allow, pattern.first, pattern.pieces, pattern.anchored, pattern.literal), rule
            )
        self.rules = tuple(unique.values())  # in match order, duplicates (same rule twice) removed
        self.extensions = tuple(
            sorted((ext for g in self.groups for ext in g.extensions), key=lambda e: e.line.number)
        )
        literal: dict[int, dict[str, Rule]] = {}
        exact: dict[str, Rule] = {}
        wild: list[tuple[tuple[int, bool, int], str, Rule]] = []
        for rule in self.rules:  # in match order, so setdefault keeps the winner of each key
            pattern = rule.pattern
            if not pattern.literal:
                # The longest literal piece must occur in any path the pattern matches: a cheap
                # test that rules most wildcard patterns out before the full match.
                needle = max((pattern.first, *pattern.pieces), key=len)
                wild.append((_order(rule), needle, rule))
            elif pattern.anchored:
                exact.setdefault(pattern.first, rule)
            else:
                literal.setdefault(len(pattern.first), {}).setdefault(pattern.first, rule)
        self._literal = literal
        self._lengths = tuple(sorted(literal, reverse=True))
        self._exact = exact
        self._wild = tuple(wild)

    @property
    def label(self) -> str:
        if not self.groups:
            return "no group applies"
        return "; ".join(group.label for group in self.groups)

    def match(self, path: str) -> Rule | None:
        """The rule that decides for ``path`` (normalised), or None when no rule matches."""
        best: Rule | None = None
        size = len(path)
        for length in self._lengths:
            if length <= size:
                best = self._literal[length].get(path[:length])
                if best is not None:
                    break
        exact = self._exact.get(path)
        if exact is not None and (best is None or _order(exact) < _order(best)):
            best = exact
        if self._wild:
            bound = _order(best) if best is not None else None
            for order, needle, rule in self._wild:
                if bound is not None and order > bound:
                    break
                if needle in path and rule.pattern.match(path):
                    return rule
        return best

    def extension(self, name: str) -> tuple[ExtensionLine, ...]:
        return tuple(ext for ext in self.extensions if ext.name == name)


def _decode(content: str | bytes, limit: int) -> tuple[str, bool, int]:
    raw = content.encode("utf-8", "surrogateescape") if isinstance(content, str) else bytes(content)
    size = len(raw)
    # A UTF-8 byte order mark, whole or cut short, is not part of the first line.
    for bom in (b"\xef\xbb\xbf", b"\xef\xbb", b"\xef"):
        if raw.startswith(bom):
            raw = raw[len(bom) :]
            break
    truncated = len(raw) > limit
    if truncated:
        raw = raw[:limit]
        # The line cut by the limit is incomplete: drop it rather than guess its meaning.
        cut = max(raw.rfind(b"\n"), raw.rfind(b"\r"))
        raw = raw[: cut + 1] if cut >= 0 else b""
    # Invalid UTF-8 is kept as surrogate escapes, which path normalisation turns back into the
    # original octets (percent-encoded), so a Latin-1 path still matches byte for byte.
    return raw.decode("utf-8", "surrogateescape"), truncated, size


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
        self.ignored: list[SourceLine] = []  # unknown records and rules outside any group
        self.truncated = False
        self.size = 0
        self.line_count = 0
        self._merged: dict[str, MergedGroup] = {}
        self._named: dict[str, MergedGroup | None] = {}
        self._by_token: dict[str, list[Group]] = {}

    @classmethod
    def parse(cls, content: str | bytes, *, limit: int = PARSE_LIMIT) -> RobotsTxt:
        robots = cls()
        text, robots.truncated, robots.size = _decode(content, limit)
        group: Group | None = None
        rules_seen = False  # an Allow/Disallow ends the User-agent list of the current group
        lines = _LINE_SPLIT.split(text)
        robots.line_count = len(lines)
        for number, raw_line in enumerate(lines, start=1):
            line = raw_line.split("#", 1)[0].strip()
            if not line:
                continue
            record = _split_record(line)
            name = _KEY_ALIASES.get(record[0]) if record else None
            source = SourceLine(number, _evidence_text(raw_line))
            if record is None or name is None:
                # Unknown records never end or split a group (RFC 9309 §2.2.4).
                robots.ignored.append(source)
                continue
            value = record[1]
            if name == _USER_AGENT:
                if group is None or rules_seen:
                    group = Group()
                    robots.groups.append(group)
                    rules_seen = False
                group.agent_lines.append(source)
                token = product_token(value)
                if token:
                    group.tokens.add(token)
            elif name in (_ALLOW, _DISALLOW):
                if group is None:
                    robots.ignored.append(source)
                    continue
                rules_seen = True
                if value:  # an empty Allow/Disallow says nothing (Google case 27)
                    group.rules.append(Rule(name == _ALLOW, PathPattern(value), source))
                    if name == _ALLOW and value[value.rfind("/") :].startswith(_INDEX_PAGE):
                        # Google's extension: allowing /d/index.html also allows /d/ itself.
                        directory = value[: value.rindex("/") + 1] + "$"
                        group.rules.append(Rule(True, PathPattern(directory), source))
            elif name == _SITEMAP:
                if value:
                    robots.sitemaps.append(value)
            else:
                ext = ExtensionLine(name, value, source)
                if group is None:
                    robots.global_extensions.append(ext)
                else:
                    group.extensions.append(ext)
                    # Content-Usage (draft-ietf-aipref-attach-05: `rule =/ content-usage`) and the
                    # AI-training lines are rules of the group, so a User-agent line after them
                    # starts a new group; Content-Signal and License are other records and do not.
                    rules_seen = rules_seen or name in _GROUP_RULES
        for g in robots.groups:
            for token in g.tokens:
                robots._by_token.setdefault(token, []).append(g)
        return robots

    @property
    def tokens(self) -> frozenset[str]:
        """Every product token (lower-case) that some group names, ``*`` included."""
        return frozenset(self._by_token)

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

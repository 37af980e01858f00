"""Platform terms as rule packs: one YAML file per platform in ``rules/terms/``.

Some of the strongest restrictions sit in terms of service, not in any machine-readable signal
(X's developer agreement, Reddit's Data API terms). A pack says, per purpose, what a platform's
terms allow, with the clause in our own words, its sources, dates and how sure we are. Packs are
checked when they load; any error names file, line and field and stops the crawl at start.

Schema (version 1)::

    schema: 1
    id: reddit                    # [a-z0-9-]+
    name: Reddit
    reviewed: 2026-11-25          # last review of the sources; the pack's version
    hosts:
      domains: [reddit.com, redd.it]   # registrable domains: themselves and every subdomain
      names: [oauth.reddit.com]        # exact host names
    licence_routes: [...]         # agreements that lift the pack's denials
    rules:
      - purposes: [ai-train, ai-input]
        outcome: deny             # deny | allow | allow-with-conditions
        conditions: []            # required for allow-with-conditions
        paths: []                 # RFC 9309 patterns; empty: the whole host
        clause: ...
        effective: 2023-06-19
        confidence: confirmed     # confirmed | unconfirmed
        sources: [{url: https://..., title: ..., date: 2023-06-19}]
        lifted_by_agreement: true # false: an agreement does not lift this denial (terms bind licensees)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .decision import Evidence, Outcome, Source
from .paths import PathPattern
from .purposes import Purpose, UnknownPurposeError, parse_purpose
from .rulefiles import (
    Located,
    RuleFileError,
    expect_list,
    expect_mapping,
    expect_schema,
    expect_str,
    load_rule_file,
)
from .text_enum import TextEnum

__all__ = ["SOURCE", "TermsIndex", "TermsPack", "TermsRule", "load_packs", "normalize_host"]

SOURCE = Source.TERMS


class TermsOutcome(TextEnum):
    """What a rule says the terms do for its purposes."""

    DENY = "deny"
    ALLOW = "allow"
    ALLOW_WITH_CONDITIONS = "allow-with-conditions"


class Confidence(TextEnum):
    """How sure the research is: ``unconfirmed`` statements say so in every piece of evidence."""

    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"


_E = TypeVar("_E", bound=TextEnum)
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def normalize_host(host: str) -> str:
    """Lower case, no trailing dot, no port, IDN as punycode; '' when it is not a host name."""
    host = host.strip().lower()
    if host.startswith("[") or host.count(":") > 1:
        return host  # IPv6 literal
    host = host.split(":", 1)[0].rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return ""
    return host


def _valid_domain(host: str) -> bool:
    labels = host.split(".")
    return len(labels) >= 2 and all(_LABEL.fullmatch(label) for label in labels)


@dataclass(frozen=True, slots=True)
class Citation:
    url: str
    title: str
    date: str


@dataclass(frozen=True, slots=True)
class TermsRule:
    purposes: frozenset[Purpose]
    outcome: TermsOutcome
    conditions: tuple[str, ...]
    paths: tuple[PathPattern, ...]
    clause: str
    effective: str
    confidence: Confidence
    sources: tuple[Citation, ...]
    line: int
    lifted_by_agreement: bool = True

    def applies(self, path: str) -> bool:
        return not self.paths or any(p.match(path) for p in self.paths)


@dataclass(frozen=True, slots=True)
class TermsPack:
    id: str
    name: str
    reviewed: str
    domains: tuple[str, ...]
    names: tuple[str, ...]
    licence_routes: tuple[str, ...]
    rules: tuple[TermsRule, ...]
    file: str
    sha256: str
    host_lines: Mapping[str, tuple[str, int]] = field(default_factory=dict)  # host -> (field, line)

    @property
    def version(self) -> str:
        return f"{self.reviewed} (sha256 {self.sha256[:12]})"

    def evidence(self, path: str, agreement: str | None = None) -> list[Evidence]:
        return [evidence for rule, evidence in self.statements(agreement) if rule.applies(path)]

    def statements(self, agreement: str | None = None) -> list[tuple[TermsRule, Evidence]]:
        """Each rule with its evidence, built once per agreement (paths are checked per URL)."""
        found = []
        for rule in self.rules:
            effect = Outcome.DENY if rule.outcome is TermsOutcome.DENY else Outcome.ALLOW
            refs = {
                "pack": self.id,
                "version": self.reviewed,
                "sha256": self.sha256,
                "confidence": rule.confidence,
                "effective": rule.effective,
                "sources": " ".join(s.url for s in rule.sources),
            }
            detail = rule.clause
            conditions = rule.conditions
            if rule.confidence is Confidence.UNCONFIRMED:
                detail = "UNCONFIRMED: " + detail
            if agreement and effect is Outcome.DENY and not rule.lifted_by_agreement:
                refs["agreement"] = agreement
                detail = f"not lifted by agreement {agreement!r} (the terms bind licensees too): {detail}"
            elif agreement and effect is Outcome.DENY:
                effect = Outcome.ALLOW
                refs["agreement"] = agreement
                detail = f"lifted by agreement {agreement!r}: {detail}"
                conditions = (*conditions, f"under agreement {agreement!r} with {self.name}")
            purposes = ", ".join(sorted(map(str, rule.purposes)))
            found.append(
                (
                    rule,
                    Evidence(
                        SOURCE,
                        f"{self.name} terms: {rule.outcome} {purposes}",
                        f"{self.file}:{rule.line}",
                        detail,
                        dict.fromkeys(rule.purposes, effect),
                        conditions=conditions,
                        refs=refs,
                    ),
                )
            )
        return found


def _date(doc: Located, value: Any, path: tuple[str | int, ...]) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise doc.error(path, "must be a date YYYY-MM-DD")


def _hosts(doc: Located, value: Any, path: tuple[str | int, ...]) -> tuple[str, ...]:
    hosts = []
    for index, raw in enumerate(expect_list(doc, value if value is not None else [], path)):
        where = (*path, index)
        text = expect_str(doc, raw, where)
        host = normalize_host(text)
        if "/" in text or "*" in text or ":" in text or not host or not _valid_domain(host):
            raise doc.error(where, f"{text!r} is not a host name (no scheme, port, path or wildcard)")
        hosts.append(host)
    return tuple(hosts)


def _rule(doc: Located, raw: Any, path: tuple[str | int, ...]) -> TermsRule:
    entry = expect_mapping(doc, raw, path, _RULE_FIELDS)
    purposes = []
    for index, name in enumerate(expect_list(doc, entry.get("purposes"), (*path, "purposes"))):
        try:
            purposes.append(parse_purpose(str(name)))
        except UnknownPurposeError as exc:
            raise doc.error((*path, "purposes", index), str(exc)) from None
    if not purposes:
        raise doc.error((*path, "purposes"), "must name at least one purpose")
    outcome = _choice(doc, entry.get("outcome"), TermsOutcome, (*path, "outcome"))
    conditions = tuple(
        expect_str(doc, c, (*path, "conditions", i))
        for i, c in enumerate(expect_list(doc, entry.get("conditions") or [], (*path, "conditions")))
    )
    if outcome is TermsOutcome.ALLOW_WITH_CONDITIONS and not conditions:
        raise doc.error((*path, "conditions"), "allow-with-conditions needs at least one condition")
    paths = []
    for i, pattern in enumerate(expect_list(doc, entry.get("paths") or [], (*path, "paths"))):
        text = expect_str(doc, pattern, (*path, "paths", i))
        if not text.startswith("/"):
            raise doc.error((*path, "paths", i), "a path pattern starts with '/'")
        paths.append(PathPattern(text))
    confidence = _choice(doc, entry.get("confidence"), Confidence, (*path, "confidence"))
    sources = []
    for i, raw_source in enumerate(expect_list(doc, entry.get("sources"), (*path, "sources"))):
        where = (*path, "sources", i)
        source = expect_mapping(doc, raw_source, where, _SOURCE_FIELDS)
        url = expect_str(doc, source.get("url"), (*where, "url"))
        if not url.startswith(("https://", "http://")):
            raise doc.error((*where, "url"), "must be an http(s) URL")
        sources.append(
            Citation(url, str(source.get("title") or ""), _date(doc, source.get("date"), (*where, "date")))
        )
    if not sources:
        raise doc.error((*path, "sources"), "every rule cites at least one source")
    return TermsRule(
        frozenset(purposes),
        outcome,
        conditions,
        tuple(paths),
        expect_str(doc, entry.get("clause"), (*path, "clause")),
        _date(doc, entry.get("effective"), (*path, "effective")),
        confidence,
        tuple(sources),
        doc.line(path) or 0,
        _flag(doc, entry.get("lifted_by_agreement", True), (*path, "lifted_by_agreement")),
    )


def _choice(doc: Located, value: Any, vocabulary: type[_E], path: tuple[str | int, ...]) -> _E:
    try:
        return vocabulary(value)
    except ValueError:
        raise doc.error(path, f"must be one of {', '.join(m.value for m in vocabulary)}") from None


def _flag(doc: Located, value: Any, path: tuple[str | int, ...]) -> bool:
    if not isinstance(value, bool):
        raise doc.error(path, "must be true or false")
    return value


_PACK_FIELDS = ("schema", "id", "name", "reviewed", "hosts", "licence_routes", "rules")
_HOST_FIELDS = ("domains", "names")
_RULE_FIELDS = (
    "purposes",
    "outcome",
    "conditions",
    "paths",
    "clause",
    "effective",
    "confidence",
    "sources",
    "lifted_by_agreement",
)
_SOURCE_FIELDS = ("url", "title", "date")


def parse_pack(doc: Located) -> TermsPack:
    root = expect_mapping(doc, doc.data, (), _PACK_FIELDS)
    expect_schema(doc, root)
    pack_id = expect_str(doc, root.get("id"), ("id",))
    if not _ID.fullmatch(pack_id):
        raise doc.error(("id",), f"{pack_id!r}: use lower-case letters, digits and '-'")
    hosts = expect_mapping(doc, root.get("hosts"), ("hosts",), _HOST_FIELDS)
    domains = _hosts(doc, hosts.get("domains"), ("hosts", "domains"))
    names = _hosts(doc, hosts.get("names"), ("hosts", "names"))
    host_lines = {
        host: (f"hosts.{kind}[{i}]", doc.line(("hosts", kind, i)) or 0)
        for kind, listed in (("domains", domains), ("names", names))
        for i, host in enumerate(listed)
    }
    if not domains and not names:
        raise doc.error(("hosts",), "names no host")
    routes = tuple(
        expect_str(doc, r, ("licence_routes", i))
        for i, r in enumerate(expect_list(doc, root.get("licence_routes") or [], ("licence_routes",)))
    )
    rules = tuple(
        _rule(doc, raw, ("rules", i)) for i, raw in enumerate(expect_list(doc, root.get("rules"), ("rules",)))
    )
    if not rules:
        raise doc.error(("rules",), "a pack needs at least one rule")
    return TermsPack(
        pack_id,
        expect_str(doc, root.get("name"), ("name",)),
        _date(doc, root.get("reviewed"), ("reviewed",)),
        domains,
        names,
        routes,
        rules,
        doc.file,
        doc.sha256,
        host_lines,
    )


def pack_files(paths: Iterable[str | Path]) -> list[Path]:
    """YAML files named directly, and those in named folders (sorted)."""
    files: list[Path] = []
    for item in paths:
        path = Path(item).expanduser()
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise RuleFileError(str(path), None, "", "no such file or folder")
    return files


def load_packs(paths: Iterable[str | Path], *, display_root: Path | None = None) -> list[TermsPack]:
    """Load and check every pack; two packs of one set with the same id are an error."""
    packs: list[TermsPack] = []
    seen: dict[str, str] = {}
    for file in pack_files(paths):
        display = (
            str(file.relative_to(display_root))
            if display_root and file.is_relative_to(display_root)
            else None
        )
        doc = load_rule_file(file, display)
        pack = parse_pack(doc)
        if pack.id in seen:
            raise doc.error(("id",), f"duplicate id {pack.id!r} (also in {seen[pack.id]})")
        seen[pack.id] = doc.file
        packs.append(pack)
    return packs


class TermsIndex:
    """Packs by host, looked up from the most specific name up (no scan of every pack)."""

    def __init__(self, packs: Sequence[TermsPack]) -> None:
        self.packs = tuple(packs)
        self._names: dict[str, TermsPack] = {}
        self._domains: dict[str, TermsPack] = {}
        for pack in packs:
            for table, hosts in ((self._names, pack.names), (self._domains, pack.domains)):
                for host in hosts:
                    other = table.get(host)
                    if other is not None and other.id != pack.id:
                        where, line = pack.host_lines.get(host, ("hosts", 0))
                        problem = f"{host} is also claimed by pack {other.id!r} ({other.file})"
                        raise RuleFileError(pack.file, line or None, where, problem)
                    table[host] = pack
        self.by_id: Mapping[str, TermsPack] = {pack.id: pack for pack in packs}

    def pack_for(self, host: str) -> TermsPack | None:
        host = normalize_host(host)
        if not host:
            return None
        pack = self._names.get(host)
        if pack is not None:
            return pack
        labels = host.split(".")
        for start in range(len(labels) - 1):
            pack = self._domains.get(".".join(labels[start:]))
            if pack is not None:
                return pack
        return None


def assemble_packs(
    bundled: Sequence[TermsPack], extra: Iterable[str | Path] = (), disabled: Iterable[str] = ()
) -> tuple[list[TermsPack], list[str]]:
    """The packs a crawl uses: bundled ones, replaced or joined by the user's, minus disabled ids.

    Returns the packs and warnings (a user pack replacing a bundled one). An id in ``disabled``
    that no pack has is an error, so a typo cannot leave a pack switched on.
    """
    packs = {pack.id: pack for pack in bundled}
    warnings = []
    for pack in load_packs(extra):
        if pack.id in packs:
            warnings.append(
                f"rule pack {pack.id!r} from {pack.file} replaces the bundled one ({packs[pack.id].file})"
            )
        packs[pack.id] = pack
    for pack_id in disabled:
        if pack_id not in packs:
            raise ValueError(f"no rule pack has id {pack_id!r} (known: {', '.join(sorted(packs))})")
        del packs[pack_id]
    return list(packs.values()), warnings

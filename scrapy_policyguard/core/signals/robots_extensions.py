"""robots.txt extension lines of the group our crawler obeys.

``Content-Signal`` (Cloudflare, 2025-09-24): a line in the selected group applies; lines before the
first group are a site-wide default used only when the selected group has none (our reading: the
policy does not say; every statement records which scope produced it).
``Content-Usage`` (draft-ietf-aipref-attach-05): group rules only, with an optional path; the
longest matching path wins and rules with that same path combine most restrictively.
``DisallowAITraining`` / ``AllowAITraining`` (draft-canel-robots-ai-control-00, expired, still
deployed): path rules for ``ai-train`` with robots.txt longest-match semantics.
``License`` (RSL 1.0 §4.4 and errata 2026-01-16): the selected group's lines, else the global ones;
they point to licence documents that :mod:`.rsl` evaluates.
Lines of these kinds never end or split a group (see core/robots.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..decision import Evidence, Outcome, Source
from ..paths import PathPattern
from ..purposes import Purpose
from ..robots import ExtensionLine, MergedGroup, RobotsTxt
from .content_signal import parse_content_signal
from .content_usage import UsagePreference, combine_most_restrictive, parse_usage

__all__ = ["AI_TRAINING_SOURCE", "RobotsExtensions", "license_urls"]

AI_TRAINING_SOURCE = Source.AI_TRAINING_RULES
_ROOT = PathPattern("/")


@dataclass(frozen=True, slots=True)
class _UsageRule:
    pattern: PathPattern
    preference: UsagePreference
    line: ExtensionLine


@dataclass(frozen=True, slots=True)
class _TrainingRule:
    allow: bool
    pattern: PathPattern
    line: ExtensionLine


def _usage_rule(line: ExtensionLine, legacy: bool) -> _UsageRule:
    value = line.value
    if value.startswith("/"):
        path, _, pref = value.replace("\t", " ").partition(" ")
        return _UsageRule(PathPattern(path), parse_usage(pref, legacy=legacy), line)
    return _UsageRule(_ROOT, parse_usage(value, legacy=legacy), line)


def license_urls(robots: RobotsTxt, group: MergedGroup) -> tuple[str, ...]:
    """The licence URLs of ``group``'s ``License`` lines, else of the site-wide ones (RSL 1.0 §4.4)."""
    lines = group.extension("license") or tuple(e for e in robots.global_extensions if e.name == "license")
    return tuple(dict.fromkeys(line.value for line in lines if line.value))


class RobotsExtensions:
    """The extension lines that apply to one product token in one robots.txt."""

    __slots__ = (
        "_signal_evidence",
        "robots_url",
        "training_rules",
        "usage_rules",
    )

    def __init__(self, robots: RobotsTxt, group: MergedGroup, robots_url: str, *, legacy_usage: bool = False):
        self.robots_url = robots_url
        signal_lines = group.extension("content-signal")
        scope = f"group {group.label}"
        if not signal_lines:
            signal_lines = tuple(e for e in robots.global_extensions if e.name == "content-signal")
            scope = "site-wide line before the first group (the selected group has none)"
        self._signal_evidence = tuple(
            parse_content_signal(line.value).evidence(
                f"{line.line.text}",
                f"{robots_url} line {line.line.number}",
                f"Content-Signal in {scope}",
            )
            for line in signal_lines
        )
        self.usage_rules = tuple(_usage_rule(line, legacy_usage) for line in group.extension("content-usage"))
        self.training_rules = tuple(
            sorted(
                (
                    _TrainingRule(line.name == "allowaitraining", PathPattern(line.value), line)
                    for line in group.extensions
                    if line.name in ("disallowaitraining", "allowaitraining") and line.value
                ),
                key=lambda r: (-r.pattern.specificity, not r.allow, r.line.line.number),
            )
        )

    def evidence(self, path: str, *, crawl_allowed: bool = True) -> list[Evidence]:
        """Statements for ``path``; a path our crawler may not fetch carries no Content-Usage
        preference (attach-05: "disallowed resources carry no preferences")."""
        found = list(self._signal_evidence)
        usage = self._usage_evidence(path) if crawl_allowed else None
        if usage is not None:
            found.append(usage)
        for rule in self.training_rules:
            if rule.pattern.match(path):
                found.append(
                    Evidence(
                        AI_TRAINING_SOURCE,
                        rule.line.line.text,
                        f"{self.robots_url} line {rule.line.line.number}",
                        f"longest matching {rule.line.name} rule for {path}",
                        {Purpose.AI_TRAIN: Outcome.ALLOW if rule.allow else Outcome.DENY},
                    )
                )
                break
        return found

    def _usage_evidence(self, path: str) -> Evidence | None:
        matching = [rule for rule in self.usage_rules if rule.pattern.match(path)]
        if not matching:
            return None
        best = max(rule.pattern.specificity for rule in matching)
        chosen = [rule for rule in matching if rule.pattern.specificity == best]
        lines = "; ".join(f"line {rule.line.line.number}: {rule.line.line.text}" for rule in chosen)
        first = chosen[0]
        if len(chosen) == 1:
            return first.preference.evidence(
                first.line.line.text,
                f"{self.robots_url} line {first.line.line.number}",
                f"longest matching Content-Usage rule for {path}"
                + (f" ({first.preference.error})" if first.preference.error else ""),
            )
        # Rules with the same path combine most restrictively (attach-05 §4).
        merged = UsagePreference(
            combine_most_restrictive([rule.preference for rule in chosen]),
            legacy=tuple(label for rule in chosen for label in rule.preference.legacy),
            legacy_purposes=frozenset().union(*(rule.preference.legacy_purposes for rule in chosen)),
            exceptions=tuple(e for rule in chosen for e in rule.preference.exceptions),
        )
        return merged.evidence(
            lines,
            f"{self.robots_url} line {first.line.line.number}",
            f"{len(chosen)} Content-Usage rules with the same path for {path}, combined most restrictively",
        )

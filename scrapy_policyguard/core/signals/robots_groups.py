"""robots.txt groups for AI crawlers, read as AI-use reservations.

A site that disallows GPTBot, CCBot or Google-Extended has said its content is not for AI
training, even when it lets our own crawler in. For every AI token of the agent catalogue that a
group names (never through the ``*`` group: that one governs our own crawl permission), a Disallow
that matches the path denies the purposes the catalogue gives that token (``ai-train`` for
training crawlers and control tokens, ``ai-input`` for AI search and user-triggered fetchers).
These statements are inferred: the vendors attach the meaning to their own token, not to ours.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..agents import Agent, AgentCatalogue
from ..decision import Evidence, Outcome, Source
from ..purposes import Purpose
from ..robots import MergedGroup, RobotsTxt, product_token

__all__ = ["SOURCE", "AiGroups"]

SOURCE = Source.ROBOTS_AI_GROUPS


@dataclass(frozen=True, slots=True)
class _Entry:
    """AI agents whose merged groups hold the same rules, matched once for all of them."""

    group: MergedGroup  # the first agent's group; the others' rules are identical
    members: tuple[tuple[str, Agent, MergedGroup], ...]  # (token as the site wrote it, agent, group)
    effects: dict[Purpose, Outcome]


def _written(group: MergedGroup, key: str) -> str:
    """The User-agent value that names ``key`` in the site's own spelling."""
    for g in group.groups:
        for line in g.agent_lines:
            value = line.text.split(":", 1)[-1].split("#", 1)[0].strip()
            if product_token(value) == key:
                return value
    return key


def _entries(robots: RobotsTxt, catalogue: AgentCatalogue, own: str) -> tuple[_Entry, ...]:
    """The AI agents that some group of ``robots`` disallows something, grouped by identical rules."""
    by_rules: dict[tuple[tuple[bool, str], ...], list[tuple[str, Agent, MergedGroup]]] = {}
    for key in sorted(robots.tokens & catalogue.keys):
        agent = catalogue.get(key)
        group = robots.named_group(key)
        if key == own or agent is None or group is None or not agent.signals:
            continue
        signature = group.signature
        if any(not allow for allow, _ in signature):
            # The catalogue's spelling, unless the site named another token of the same agent.
            name = agent.token if product_token(agent.token) == key else _written(group, key)
            by_rules.setdefault(signature, []).append((name, agent, group))
    return tuple(
        _Entry(
            members[0][2],
            tuple(members),
            dict.fromkeys(set().union(*(agent.signals for _, agent, _ in members)), Outcome.DENY),
        )
        for members in by_rules.values()
    )


class AiGroups:
    """The AI-crawler groups of one robots.txt, compiled for matching many paths.

    The analysis is the file's (shared by every origin that serves the same bytes); the evidence
    names this origin's robots.txt URL, so it is built here, once per entry and rule.
    """

    __slots__ = ("_evidence", "entries", "robots_url")

    def __init__(self, robots: RobotsTxt, catalogue: AgentCatalogue, own_token: str, robots_url: str) -> None:
        self.robots_url = robots_url
        own = product_token(own_token)
        self.entries = robots.derived(
            ("ai-groups", catalogue, own), lambda parsed: _entries(parsed, catalogue, own)
        )
        # Evidence depends only on the entry and the rule that matched (by its code): built once,
        # then shared.
        self._evidence: dict[tuple[int, int], Evidence] = {}

    def evidence(self, path: str) -> list[Evidence]:
        found: list[Evidence] = []
        for number, entry in enumerate(self.entries):
            rule = entry.group.match(path)
            if rule is None or rule.allow:
                continue
            evidence = self._evidence.get((number, rule.code))
            if evidence is None:
                index = entry.group.codes.index(rule.code)
                evidence = self._evidence[number, rule.code] = self._build(entry, index)
            found.append(evidence)
        return found

    def _build(self, entry: _Entry, index: int) -> Evidence:
        rule = entry.group.rule_at(index)
        tokens = ", ".join(name for name, _, _ in entry.members)
        lines = "; ".join(f"{name}: line {group.rule_at(index).number}" for name, _, group in entry.members)
        classes = ", ".join(
            sorted({f"{agent.agent_class} ({agent.vendor})" for _, agent, _ in entry.members})
        )
        purposes = ", ".join(sorted(str(p) for p in entry.effects))
        return Evidence(
            SOURCE,
            rule.line.text,
            f"{self.robots_url} line {rule.line.number}",
            f"robots.txt disallows this path for AI crawler {tokens} [{classes}]: "
            f"read as a reservation of {purposes}",
            entry.effects,
            inferred=frozenset(entry.effects),
            refs={"tokens": tokens, "lines": lines, "group": entry.group.label},
        )

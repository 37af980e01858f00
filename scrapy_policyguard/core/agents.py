"""The AI agent catalogue: which robots.txt product tokens are AI crawlers, and what a Disallow for
each one says about AI use (``rules/agents.yaml``).

Tokens are compared as robots.txt compares them: whole product tokens, case-insensitively, cut at
the first character outside ``[A-Za-z_-]`` (``CCBot/2.0`` names ``ccbot``), never as substrings,
so ``GPTBot`` does not catch ``GPTBotX`` and ``Google`` does not catch ``Google-Extended``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .purposes import Purpose, UnknownPurposeError, parse_purpose
from .robots import product_token
from .rulefiles import Located, expect_list, expect_mapping, expect_schema, expect_str, load_rule_file

__all__ = ["CLASSES", "Agent", "AgentCatalogue"]

#: Agent classes and the purposes a Disallow for such an agent speaks for by default.
CLASSES: dict[str, frozenset[Purpose]] = {
    "training": frozenset({Purpose.AI_TRAIN}),
    "control": frozenset({Purpose.AI_TRAIN}),
    "search": frozenset({Purpose.AI_INPUT}),
    "user": frozenset({Purpose.AI_INPUT}),
}


_AGENT_FIELDS = ("token", "aliases", "matches", "vendor", "class", "signals", "source", "basis", "note")


@dataclass(frozen=True, slots=True)
class Agent:
    token: str  # as written in the catalogue
    key: str  # the product token robots.txt groups are matched on (lower-case)
    vendor: str
    agent_class: str
    signals: frozenset[Purpose]
    source: str
    basis: str = "curated"


class AgentCatalogue:
    """AI agents by robots.txt product token."""

    def __init__(self, agents: Iterable[Agent], *, origin: str = "", sha256: str = "") -> None:
        self._by_key: dict[str, Agent] = {}
        for agent in agents:
            self._by_key[agent.key] = agent
        self.origin = origin
        self.sha256 = sha256

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_key.values())

    def get(self, token: str) -> Agent | None:
        return self._by_key.get(product_token(token))

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self._by_key)

    @classmethod
    def load(cls, path: str | Path) -> AgentCatalogue:
        return cls.from_document(load_rule_file(path))

    @classmethod
    def from_document(cls, doc: Located) -> AgentCatalogue:
        root = expect_mapping(
            doc, doc.data, (), ("schema", "title", "reviewed", "sources", "classes", "agents")
        )
        expect_schema(doc, root)
        agents: list[Agent] = []
        seen: dict[str, int] = {}
        for index, raw in enumerate(expect_list(doc, root.get("agents"), ("agents",))):
            path = ("agents", index)
            entry = expect_mapping(doc, raw, path, _AGENT_FIELDS)
            token = expect_str(doc, entry.get("token"), (*path, "token"))
            agent_class = entry.get("class")
            if not isinstance(agent_class, str) or agent_class not in CLASSES:
                raise doc.error((*path, "class"), f"must be one of {', '.join(CLASSES)}")
            signals = CLASSES[agent_class]
            if "signals" in entry:
                try:
                    signals = frozenset(
                        parse_purpose(p) for p in expect_list(doc, entry["signals"], (*path, "signals"))
                    )
                except UnknownPurposeError as exc:
                    raise doc.error((*path, "signals"), str(exc)) from None
            keys = [str(entry.get("matches") or token)]
            keys += [str(a) for a in expect_list(doc, entry.get("aliases", []), (*path, "aliases"))]
            base = Agent(
                token=token,
                key="",
                vendor=expect_str(doc, entry.get("vendor"), (*path, "vendor")),
                agent_class=agent_class,
                signals=signals,
                source=expect_str(doc, entry.get("source"), (*path, "source")),
                basis=str(entry.get("basis", "curated")),
            )
            for name in keys:
                key = product_token(name)
                if not key or key == "*":
                    raise doc.error((*path, "token"), f"{name!r} names no robots.txt product token")
                if key in seen and agents[seen[key]].token.lower() != token.lower():
                    raise doc.error(path, f"product token {key!r} is already listed")
                seen[key] = len(agents)
                agents.append(replace(base, key=key))
        return cls(agents, origin=doc.file, sha256=doc.sha256)

    def with_changes(self, changes: Mapping[str, str | None]) -> AgentCatalogue:
        """The catalogue with POLICYGUARD_AI_TOKENS applied: ``{token: class}`` adds or
        reclassifies a token, ``{token: None}`` removes it."""
        by_key = dict(self._by_key)
        for token, agent_class in changes.items():
            key = product_token(str(token))
            if not key or key == "*":
                raise ValueError(f"{token!r} is not a robots.txt product token")
            if agent_class is None:
                by_key.pop(key, None)
                continue
            if agent_class not in CLASSES:
                raise ValueError(f"{token!r}: class must be one of {', '.join(CLASSES)} or None")
            by_key[key] = Agent(
                str(token),
                key,
                "user setting",
                agent_class,
                CLASSES[agent_class],
                "POLICYGUARD_AI_TOKENS",
                "setting",
            )
        return AgentCatalogue(by_key.values(), origin=self.origin, sha256=self.sha256)

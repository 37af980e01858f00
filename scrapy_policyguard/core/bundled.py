"""The rule data shipped with scrapy-policyguard (``rules/``), found and loaded once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .agents import AgentCatalogue
from .terms import TermsPack, load_packs

__all__ = ["bundled_agents", "bundled_packs", "bundled_rules_dir"]


def bundled_rules_dir() -> Path:
    """``rules/`` inside the installed package (wheel) or beside it (a source checkout)."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "rules", package.parent / "rules"):
        if (candidate / "agents.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"the bundled rules/ folder is missing next to {package}")


@cache
def bundled_agents() -> AgentCatalogue:
    return AgentCatalogue.load(bundled_rules_dir() / "agents.yaml")


@cache
def bundled_packs() -> tuple[TermsPack, ...]:
    root = bundled_rules_dir()
    return tuple(load_packs([root / "terms"], display_root=root.parent))

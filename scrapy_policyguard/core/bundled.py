"""The rule data shipped with scrapy-policyguard (``rules/``), found and loaded once per process."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from .agents import AgentCatalogue
from .terms import TermsPack, load_packs

__all__ = ["bundled_agents", "bundled_packs", "bundled_rules_dir"]


def bundled_rules_dir() -> Path:
    """``scrapy_policyguard/rules/``, which the build copies in from the repository's ``rules/``.

    Only an installed (not editable) package has it: the tests run against one, so a wheel
    without its rules fails them.
    """
    rules = files("scrapy_policyguard") / "rules"
    if not isinstance(rules, Path) or not rules.joinpath("agents.yaml").is_file():
        raise FileNotFoundError(f"the bundled rules are missing at {rules}: install the wheel, not editable")
    return rules


@cache
def bundled_agents() -> AgentCatalogue:
    return AgentCatalogue.load(bundled_rules_dir() / "agents.yaml")


@cache
def bundled_packs() -> tuple[TermsPack, ...]:
    root = bundled_rules_dir()
    return tuple(load_packs([root / "terms"], display_root=root.parent))

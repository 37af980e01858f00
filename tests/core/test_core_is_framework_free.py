"""The core knows nothing of Scrapy: parsers, vocabulary and decision engine import no crawling
framework, so the CLI, check() and other tools can use them as they are."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import scrapy_policyguard

CORE = Path(scrapy_policyguard.__file__).parent / "core"
FRAMEWORKS = ("scrapy", "twisted", "w3lib", "itemadapter", "parsel")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            names.add("." * node.level + (node.module or ""))
    return names


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_a_core_module_imports_no_framework_and_nothing_outside_the_core(path: Path) -> None:
    depth = len(path.relative_to(CORE).parts) - 1  # core/x.py: 0; core/signals/x.py: 1
    for name in imported_modules(path):
        assert name.split(".")[0] not in FRAMEWORKS, f"{path.name} imports {name}"
        if name.startswith("."):
            dots = len(name) - len(name.lstrip("."))
            assert dots <= depth + 1, f"{path.name} imports {name}, outside the core"

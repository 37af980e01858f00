"""The tests run against the installed package (``python3 dev.py test``), as built with its data.

The build copies ``rules/`` and ``example_project/`` from the repository root into the package; an
editable install or the checkout on ``sys.path`` would hide a wheel that lacks them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import scrapy_policyguard
from scrapy_policyguard.cli.demo import find_project
from scrapy_policyguard.core.bundled import bundled_rules_dir

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(scrapy_policyguard.__file__).resolve().parent


def files_under(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }


def test_the_package_under_test_is_the_installed_one() -> None:
    assert not PACKAGE.is_relative_to(ROOT / "scrapy_policyguard"), "run the tests with python3 dev.py test"
    assert "site-packages" in PACKAGE.parts
    assert (PACKAGE / "py.typed").is_file()


def test_the_package_carries_every_rule_file() -> None:
    assert bundled_rules_dir() == PACKAGE / "rules"
    assert files_under(PACKAGE / "rules") == files_under(ROOT / "rules")


@pytest.mark.parametrize("part", ["example_project", "demoweb"])
def test_the_package_carries_the_demo_project(part: str) -> None:
    project = find_project()
    assert project == PACKAGE / "demo" / "example_project"
    assert (project / "scrapy.cfg").is_file()
    assert files_under(project / part) == files_under(ROOT / "example_project" / part)


def test_demo_without_a_project_says_so(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no example project"):
        find_project(tmp_path)

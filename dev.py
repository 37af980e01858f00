#!/usr/bin/env python3
"""Project tasks that need nothing but Python: ``python3 dev.py demo | test [pytest args] | lint``.

Each creates ``.venv`` on first use and installs the project into it the way a user gets it: built
and installed, not editable, because an editable install has neither the rule packs nor the demo
project that the build copies into the package. A change under the sources reinstalls the project
alone; a change to pyproject.toml reinstalls it with its test extra. Tests run with
``.venv/bin/pytest``, not ``python -m pytest``, so the checkout stays off ``sys.path`` and
``import scrapy_policyguard`` is the installed copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("POLICYGUARD_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".policyguard-installed"
#: What goes into the wheel, besides pyproject.toml.
SOURCES = ("scrapy_policyguard", "rules", "example_project")


def newest_source() -> float:
    """The latest change to what the wheel is built from (folders too, so a deletion counts)."""
    paths = [ROOT / "pyproject.toml"]
    for top in SOURCES:
        paths += [p for p in (ROOT / top).rglob("*") if "__pycache__" not in p.parts]
    return max(p.stat().st_mtime for p in paths)


def ensure_installed() -> None:
    if not (BIN / "python").exists():
        print(f"Creating {VENV} ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # ensurepip missing on some Debian installs
            sys.exit(
                f"Could not create a virtual environment ({exc}); on Debian: apt-get install python3-venv"
            )
    installed = STAMP.stat().st_mtime if STAMP.exists() else 0.0
    newest = newest_source()
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet"]
    if installed < (ROOT / "pyproject.toml").stat().st_mtime:
        print("Installing scrapy-policyguard and its test tools ...", flush=True)
        run([*pip, "--upgrade", "pip"])
        run([*pip, f"{ROOT}[test]"])
    elif installed < newest:
        print("Reinstalling scrapy-policyguard from the changed sources ...", flush=True)
        run([*pip, "--no-deps", "--force-reinstall", str(ROOT)])
    else:
        return
    STAMP.touch()
    os.utime(STAMP, (newest, newest))  # a file saved during the install is newer, so it counts next time


def run(cmd: list[str]) -> None:
    code = subprocess.run(cmd, cwd=ROOT, check=False).returncode
    if code:
        sys.exit(code)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in ("demo", "test", "lint"):
        sys.exit("usage: python3 dev.py demo | test [pytest args] | lint")
    task, rest = argv[0], argv[1:]
    ensure_installed()
    if task == "test":
        run([str(BIN / "pytest"), "-q", *rest])
    elif task == "lint":  # all three run, so one report shows every problem
        checks = [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]]
        codes = [subprocess.run([str(BIN / c[0]), *c[1:]], cwd=ROOT, check=False).returncode for c in checks]
        sys.exit(max(codes))
    else:
        run([str(BIN / "policyguard"), "demo", *rest])


if __name__ == "__main__":
    main(sys.argv[1:])

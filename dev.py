#!/usr/bin/env python3
"""Project tasks that need nothing but Python: ``python3 dev.py demo`` and ``python3 dev.py test``.

Each creates ``.venv`` on first use (and refreshes it when pyproject.toml changes), installs the
project with its test extra into it, then runs the task there.
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
PYTHON = BIN / "python"
STAMP = VENV / ".policyguard-installed"


def ensure_venv() -> None:
    if not PYTHON.exists():
        print(f"Creating {VENV} ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # ensurepip missing on some Debian installs
            sys.exit(
                f"Could not create a virtual environment ({exc}); on Debian: apt-get install python3-venv"
            )
    pyproject = ROOT / "pyproject.toml"
    if STAMP.exists() and STAMP.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    print("Installing scrapy-policyguard and its test tools ...", flush=True)
    run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"])
    STAMP.touch()


def run(cmd: list[str], **kwargs: object) -> None:
    result = subprocess.run(cmd, cwd=ROOT, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode:
        sys.exit(result.returncode)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in ("demo", "test", "lint"):
        sys.exit("usage: python3 dev.py demo | test [pytest args] | lint")
    task, rest = argv[0], argv[1:]
    ensure_venv()
    if task == "test":
        run([str(PYTHON), "-m", "pytest", "-q", *rest])
    elif task == "lint":
        run([str(BIN / "ruff"), "check", "."])
        run([str(BIN / "ruff"), "format", "--check", "."])
    else:
        run([str(BIN / "policyguard"), "demo", *rest])


if __name__ == "__main__":
    main(sys.argv[1:])

"""Running the ``policyguard`` command in tests: in-process (``main``) with what a shell would see,
or the installed console script in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scrapy_policyguard.cli.main import main

__all__ = ["COMMAND", "Run", "installed", "policyguard"]

#: The console script of the environment the tests run in.
COMMAND = Path(sys.executable).with_name("policyguard")


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def policyguard(argv: Sequence[object], capsys: pytest.CaptureFixture[str]) -> Run:
    """``policyguard ARGV`` in this process: the exit status a shell would see, stdout and stderr."""
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:  # what the interpreter does with SystemExit("message")
            print(exc.code, file=sys.stderr)
            code = 1
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def installed(
    *argv: object, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> Run:
    """The installed ``policyguard`` command, in a subprocess (a crawl needs a reactor of its own)."""
    done = subprocess.run(
        [str(COMMAND), *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(env) if env is not None else None,
        cwd=cwd,
    )
    return Run(done.returncode, done.stdout, done.stderr)

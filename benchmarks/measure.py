"""What every benchmark script measures with: process CPU time, the machine's description, and a
LocalWeb served from a process of its own (so the server has a core of its own and its work does not
count as the crawl's CPU time)."""

from __future__ import annotations

import json
import multiprocessing
import platform
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["WebProcess", "cpu_seconds", "machine", "run_fresh"]


def cpu_seconds() -> float:
    """User and system CPU time of this process: steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine() -> dict[str, str]:
    """The CPU model (``platform.processor()`` is often empty on Linux), Python and platform."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "python": platform.python_version(), "platform": platform.platform()}


def run_fresh(script: str, what: str, *argv: object) -> dict[str, Any]:
    """``script ARGV`` in a fresh Python process (a crawl's reactor, memory and CPU time of its
    own); its figures, the JSON object its last line of output holds. ``what`` names it in an
    error."""
    done = subprocess.run(
        [sys.executable, script, *map(str, argv)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _serve(build: Callable[..., None], args: tuple[Any, ...], conn: Any) -> None:
    from scrapy_policyguard.demo.web import LocalWeb

    with LocalWeb() as web:
        build(web, *args)
        conn.send(web.proxy_url)
        conn.recv()  # "stop"


class WebProcess:
    """``with WebProcess(build, *args) as proxy:`` a LocalWeb that ``build(web, *args)`` fills,
    served in a spawned process; ``proxy`` is the URL to use as ``http_proxy``. ``build`` must be
    a module-level function (it is pickled for the new process)."""

    def __init__(self, build: Callable[..., None], *args: Any) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._here, there = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(build, args, there), daemon=True)

    def __enter__(self) -> str:
        self._process.start()
        return str(self._here.recv())

    def __exit__(self, *exc: object) -> None:
        self._here.send("stop")
        self._process.join(timeout=10)

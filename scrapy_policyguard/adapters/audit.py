"""The JSON Lines audit trail: one record per line, each written whole and flushed at once.

Lines go through one ``os.write`` on a file opened with ``O_APPEND``, so a crawl killed with
SIGKILL leaves only whole lines behind, and a file that already holds an earlier crawl keeps it:
every record carries the id of the crawl it belongs to. Record types (documented in the README):

``crawl``    first: plugin and Scrapy versions, spider, purpose, product token, mode, settings,
             rule sources with their content hashes.
``robots``   each time an origin's robots.txt is resolved: state, status, redirects, size, hash.
``request``  each denied or overridden request (every decision with POLICYGUARD_AUDIT_ALL).
``totals``   last: the ``policyguard/`` stats, which equal the crawler's stats.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["AuditLog", "audit_path", "utc_now"]


def utc_now() -> str:
    return datetime.now(tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def audit_path(template: str, spider_name: str) -> Path:
    """Fill ``%(name)s`` and ``%(time)s`` as Scrapy's FEEDS URIs do."""
    stamp = datetime.now(tz=timezone.utc).replace(microsecond=0).isoformat().replace(":", "-")
    try:
        filled = template % {"name": spider_name, "time": stamp}
    except (KeyError, ValueError, TypeError):
        filled = template
    return Path(filled).expanduser()


class AuditLog:
    """Appends audit records to a file, or counts them only when no file is configured."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.crawl_id = uuid.uuid4().hex[:16]
        self.records = 0
        self._lock = threading.Lock()
        self._fd: int | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, record_type: str, **fields: Any) -> None:
        record = {"record": record_type, "crawl": self.crawl_id, "time": utc_now(), **fields}
        with self._lock:
            self.records += 1
            if self._fd is None:
                return
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
            data = line.encode("utf-8", "backslashreplace")  # a lone surrogate as its JSON escape
            while data:
                written = os.write(self._fd, data)
                data = data[written:]

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

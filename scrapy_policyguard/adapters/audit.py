"""The JSON Lines audit trail: one record per line, each written whole and flushed at once.

Lines go through one ``os.write`` on a file opened with ``O_APPEND``, so a crawl killed with
SIGKILL leaves only whole lines behind, and a file that already holds an earlier crawl keeps it:
every record carries the id of the crawl it belongs to. The record types are :class:`Record`;
the README's "The audit trail" section lists their fields.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..core.text_enum import TextEnum

__all__ = ["AuditLog", "Record", "audit_path", "utc_now"]


class Record(TextEnum):
    """The kinds of audit record, in the order a crawl writes them."""

    CRAWL = "crawl"  # first: versions, spider, purpose, product token, mode, settings, rule files
    ROBOTS = "robots"  # each robots.txt fetch: state, status, redirects, size, hash, group
    DOCUMENT = "document"  # each tdmrep.json or RSL licence fetch
    REQUEST = "request"  # each denied, marked or overridden request (all with POLICYGUARD_AUDIT_ALL)
    RESPONSE = "response"  # a response whose own headers or markup deny the purpose
    ITEM = "item"  # each dropped or denied item (all with POLICYGUARD_AUDIT_ALL)
    CHARGE = "charge"  # each pay-per-crawl page paid (or, in audit mode, that would have been)
    RECHECK = "recheck"  # policyguard recheck: each removed capture (all with POLICYGUARD_AUDIT_ALL)
    ORIGIN = "origin"  # an origin's counts so far, when the bounded per-origin table drops them
    CACHE = "cache"  # the shared policy cache (Redis) went down, or came back
    TOTALS = "totals"  # last: the policyguard/ stats and the per-origin counts still held


def utc_now() -> str:
    return datetime.now(tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def audit_path(template: str, spider_name: str, worker: str) -> Path:
    """Fill ``%(name)s`` and ``%(time)s`` as Scrapy's FEEDS URIs do, and ``%(worker)s`` (one file
    per worker of a scrapy-redis crawl)."""
    stamp = datetime.now(tz=timezone.utc).replace(microsecond=0).isoformat().replace(":", "-")
    try:
        filled = template % {"name": spider_name, "time": stamp, "worker": worker}
    except (KeyError, ValueError, TypeError):
        filled = template
    return Path(filled).expanduser()


class AuditLog:
    """Appends audit records to a file; without a file (no POLICYGUARD_AUDIT_LOG) it writes nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.crawl_id = uuid.uuid4().hex[:16]
        self._lock = threading.Lock()
        self._fd: int | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    @property
    def enabled(self) -> bool:
        """Whether records are written (callers skip building fields nobody will read)."""
        return self._fd is not None

    def write(self, record_type: Record, **fields: Any) -> None:
        if self._fd is None:
            return
        record = {"record": record_type.value, "crawl": self.crawl_id, "time": utc_now(), **fields}
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
        data = line.encode("utf-8", "backslashreplace")  # a lone surrogate as its JSON escape
        with self._lock:
            while data and self._fd is not None:
                written = os.write(self._fd, data)
                data = data[written:]

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

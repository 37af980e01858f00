"""Parsed documents by the hash of their bytes: origins that serve the same file share one copy.

Broad crawls meet the same robots.txt on many origins (a hosting platform's default, one site
under many host names). Parsing it, indexing our group and analysing its AI-crawler groups once
is both faster and smaller; what differs per origin (the URL in the evidence, the platform's
terms) stays in each origin's compiled site. The cache is bounded: the least recently used file
is dropped, and parsed again if it is met again.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["ContentCache"]

T = TypeVar("T")


class ContentCache(Generic[T]):
    def __init__(self, parse: Callable[[bytes], T], limit: int) -> None:
        self._parse = parse
        self._limit = limit
        self._parsed: OrderedDict[str, T] = OrderedDict()
        self.hits = 0

    def get(self, body: bytes, digest: str | None = None) -> T:
        """The parsed ``body`` (whose sha256 hex ``digest`` the caller may already know)."""
        key = digest or hashlib.sha256(body).hexdigest()
        found = self._parsed.get(key)
        if found is not None:
            self._parsed.move_to_end(key)
            self.hits += 1
            return found
        parsed = self._parsed[key] = self._parse(body)
        if len(self._parsed) > self._limit:
            self._parsed.popitem(last=False)
        return parsed

    def __len__(self) -> int:
        return len(self._parsed)

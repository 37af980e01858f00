"""JSON Lines input (``.jsonl``, ``.ndjson``, and either gzip-compressed): one capture per line.

The URL is read from the field ``url_field`` names (a dotted path reaches into nested objects:
``metadata.url``). A line that is not a JSON object, or has no http(s) URL there, cannot be checked:
it is removed, and its audit record says why. Blank lines carry nothing and are not copied.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .base import Capture, Dataset, DatasetError, DatasetKind, SplitOutput

__all__ = ["JsonLinesDataset"]


def field_of(record: Any, path: tuple[str, ...]) -> Any:
    """The value at a dotted field path, or None when any step is missing."""
    for name in path:
        if not isinstance(record, dict):
            return None
        record = record.get(name)
    return record


class JsonLinesDataset(Dataset):
    kind = DatasetKind.JSON_LINES

    def __init__(self, path: Path, url_field: str = "url") -> None:
        super().__init__(path)
        self.url_field = url_field
        self._field = tuple(url_field.split("."))
        self.compressed = path.name.lower().endswith(".gz")

    def split_output(self, kept: Path, removed: Path) -> SplitOutput:
        return SplitOutput(self.path, kept, removed, gzip_lines=self.compressed)

    def captures(self) -> Iterator[Capture]:
        offset = 0
        number = 0
        try:
            with gzip.open(self.path, "rb") if self.compressed else self.path.open("rb") as handle:
                for line in handle:
                    number += 1
                    start, offset = offset, offset + len(line)
                    if not line.strip():
                        continue
                    where = f"{self.path.name}:{number}"
                    url, problem = self._url(line)
                    if self.compressed:
                        yield Capture(url=url, where=where, data=line, problem=problem)
                    else:
                        yield Capture(url=url, where=where, span=(start, len(line)), problem=problem)
        except (OSError, EOFError) as exc:  # a cut or corrupt gzip stream
            raise DatasetError(f"{self.path}: cannot read past line {number}: {exc}") from None

    def _url(self, line: bytes) -> tuple[str, str | None]:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as exc:
            return "", f"not a JSON line: {exc}"
        if not isinstance(record, dict):
            return "", f"not a JSON object but {type(record).__name__}"
        value = field_of(record, self._field)
        if not isinstance(value, str) or not value.strip():
            return "", f"no URL in field {self.url_field!r}"
        url = value.strip()
        if not url.lower().startswith(("http://", "https://")):
            return "", f"field {self.url_field!r} holds {url[:200]!r}, not an http(s) URL"
        return url, None

"""Collected data that ``policyguard recheck`` reads and splits: WARC archives and JSON Lines.

Each format reads its files as a stream of :class:`~.base.Capture` objects (one fetch of one URL:
a JSON Lines line, or the WARC records of one fetch) and writes each capture, byte for byte, to the
``kept`` or the ``removed`` copy of its file (:class:`~.base.SplitOutput`). The format is told by
the file name.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .base import Capture, Dataset, DatasetError, DatasetKind, SplitOutput
from .jsonl import JsonLinesDataset
from .warc import WarcDataset

if TYPE_CHECKING:
    from ..core.engine import Policy

__all__ = [
    "SUFFIXES",
    "Capture",
    "Dataset",
    "DatasetError",
    "DatasetKind",
    "SplitOutput",
    "check_input",
    "open_dataset",
]

WARC_SUFFIXES = (".warc", ".warc.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
#: The file names ``policyguard recheck`` reads, by format.
SUFFIXES = {"WARC": WARC_SUFFIXES, "JSON Lines": JSONL_SUFFIXES}


def check_input(path: Path) -> DatasetKind:
    """The format of ``path``, by its name; a missing file or unknown format raises."""
    name = path.name.lower()
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    if name.endswith(WARC_SUFFIXES):
        return WarcDataset.kind
    if name.endswith(JSONL_SUFFIXES):
        return JsonLinesDataset.kind
    known = ", ".join(f"{kind} ({' '.join(suffixes)})" for kind, suffixes in SUFFIXES.items())
    raise DatasetError(f"{path}: not a format recheck reads; it reads {known}")


def open_dataset(path: Path, policy: Policy, *, url_field: str = "url") -> Dataset:
    """The dataset of ``path``, by its name (see :func:`check_input`)."""
    if check_input(path) == WarcDataset.kind:
        return WarcDataset(path, policy)
    return JsonLinesDataset(path, url_field)

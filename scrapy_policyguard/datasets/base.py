"""What every input format gives ``policyguard recheck``: captures in input order, and split copies.

A :class:`Capture` is the unit that is decided: one fetch of one URL. It holds no page content,
only where its bytes are (a ``span`` of the input file) and the statements its archived response
made (``facts``, read when the capture was met), so a window of thousands of captures waiting for
their origins' documents costs little memory. A line of a gzip-compressed JSON Lines file cannot
be read again by offset, so such a capture holds its line (``data``).

:class:`SplitOutput` writes each capture to ``kept/NAME`` or ``removed/NAME`` as it was in the
input: byte spans are copied from the input file, so WARC records keep their own gzip members,
digests and headers; JSON Lines lines keep their text, key order and spacing.
"""

from __future__ import annotations

import gzip
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..core.text_enum import TextEnum

if TYPE_CHECKING:
    from ..core.engine import ResponseFacts

__all__ = ["COPY_CHUNK", "Capture", "Dataset", "DatasetError", "DatasetKind", "SplitOutput"]

#: Bytes copied at a time from the input to an output.
COPY_CHUNK = 1024 * 1024


class DatasetKind(TextEnum):
    """The input formats, as the CLI's summary and the audit trail name them."""

    WARC = "warc"
    JSON_LINES = "jsonl"


class DatasetError(ValueError):
    """An input that cannot be read: its file, where in it, and why."""


@dataclass(frozen=True, slots=True)
class Capture:
    """One fetch of one URL in collected data, and where its bytes are.

    ``where`` locates it for the audit trail (``file:line`` or ``file@byte``). ``passthrough``
    marks input that describes no web resource (a WARC's ``warcinfo`` record, a ``dns:`` record):
    it is copied to both outputs and not decided. ``problem`` says why a capture's URL could not
    be read (it is removed: a record nobody can check is not kept). ``date`` is the WARC-Date of
    the capture; ``facts`` what its archived response's headers and HTML said.
    """

    url: str
    where: str
    span: tuple[int, int] | None = None  # (offset, length) of its bytes in the input file
    data: bytes = b""  # or the bytes themselves
    records: int = 1
    record_types: tuple[str, ...] = ()
    record_ids: tuple[str, ...] = ()
    date: str | None = None
    facts: ResponseFacts | None = None
    problem: str | None = None
    passthrough: bool = False


class SplitOutput:
    """The ``kept`` and ``removed`` copies of one input file, written in input order."""

    def __init__(self, source: Path, kept: Path, removed: Path, *, gzip_lines: bool = False) -> None:
        self.paths = (kept, removed)
        for path in self.paths:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._source: IO[bytes] = source.open("rb")
        opener = gzip.open if gzip_lines else open
        self._kept: IO[bytes] = opener(kept, "wb")  # type: ignore[assignment]
        self._removed: IO[bytes] = opener(removed, "wb")  # type: ignore[assignment]

    def write(self, capture: Capture, keep: bool) -> None:
        if capture.passthrough:
            self._copy(capture, self._kept)
            self._copy(capture, self._removed)
        else:
            self._copy(capture, self._kept if keep else self._removed)

    def _copy(self, capture: Capture, target: IO[bytes]) -> None:
        if capture.data:
            target.write(capture.data)
        if capture.span is not None:
            offset, length = capture.span
            self._source.seek(offset)
            left = length
            while left > 0:
                chunk = self._source.read(min(left, COPY_CHUNK))
                if not chunk:
                    raise DatasetError(f"{self._source.name}: ends before byte {offset + length}")
                target.write(chunk)
                left -= len(chunk)

    def close(self) -> None:
        for handle in (self._kept, self._removed, self._source):
            handle.close()


class Dataset(ABC):
    """One input file of a known format."""

    kind: DatasetKind

    def __init__(self, path: Path) -> None:
        self.path = path

    @abstractmethod
    def captures(self) -> Iterator[Capture]:
        """The file's captures in input order; a file that cannot be read raises DatasetError."""

    @abstractmethod
    def split_output(self, kept: Path, removed: Path) -> SplitOutput:
        """Where this file's captures are copied."""

"""WARC and WARC.gz input: captures of the records of each fetch, with what the archived response said.

Read with warcio (https://github.com/webrecorder/warcio, read 2026-12-06), the Webrecorder
project's streaming WARC reader and writer: pure Python (it installs wherever the plugin does), and
it reports each record's byte offset in the file (for ``.warc.gz``, the offset of the record's own
gzip member), which is what copying records as they are needs. FastWARC parses faster but is a
compiled extension; reading is a small part of a re-check (about 90 of 300 µs of CPU per record in
``benchmarks/recheck.py``, besides the site documents' fetches).

Records of one fetch go together: adjacent ``request``, ``response`` and ``metadata`` records
linked by ``WARC-Concurrent-To`` (WARC 1.1 §5.7,
https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/, read 2026-12-06)
and naming the same ``WARC-Target-URI`` are one capture, decided once and copied to one output, so
a removed page leaves no request or metadata record of it behind. Each record's bytes run from its
offset to the next record's (the blank lines that end an uncompressed record included), so the
copies are valid WARC files whose records are byte-identical to the input's.

The statements a capture carries are read from its ``response`` (or ``revisit``) record: the HTTP
headers as archived, and for an HTML response the markup (decoded with the charset rules Scrapy
uses, the first :data:`HTML_LIMIT` bytes), by the readers the crawl uses (``Policy.read_response``),
marked with the record's WARC-Date. ``warcinfo`` records, and records of non-HTTP URIs (``dns:``),
describe no web resource: they are copied to both outputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.http import Headers, HtmlResponse
from scrapy.responsetypes import responsetypes
from w3lib.encoding import html_to_unicode
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException

from .base import Capture, Dataset, DatasetError, DatasetKind, SplitOutput

if TYPE_CHECKING:
    from ..core.engine import Policy, ResponseFacts

__all__ = ["HTML_LIMIT", "WarcDataset"]

#: Bytes of an archived HTML body read for its meta tags and links (they sit in the head; the
#: crawl's DOWNLOAD_MAXSIZE bounds live pages the same way).
HTML_LIMIT = 8 * 1024 * 1024
#: Records one capture may hold: a chain of WARC-Concurrent-To longer than this is cut, so a
#: malformed file cannot make one capture hold the whole file.
MAX_RECORDS = 64
_FACT_RECORDS = ("response", "revisit")
_CODINGS = frozenset({"content-encoding", "transfer-encoding"})


@dataclass
class _Record:
    type: str
    uri: str
    record_id: str
    concurrent: tuple[str, ...]
    date: str | None
    offset: int
    end: int
    facts: ResponseFacts | None


@dataclass
class _Group:
    """The records of one fetch, gathered until a record that is not of it arrives."""

    records: list[_Record] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    named: set[str] = field(default_factory=set)

    def takes(self, record: _Record) -> bool:
        if not self.records or len(self.records) >= MAX_RECORDS:
            return False
        if record.uri != self.records[0].uri:
            return False
        return record.record_id in self.named or any(c in self.ids for c in record.concurrent)

    def add(self, record: _Record) -> None:
        self.records.append(record)
        self.ids.add(record.record_id)
        self.named.update(record.concurrent)


def _is_web(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def _is_html(headers: list[tuple[str, str]], url: str) -> bool:
    """Scrapy's own choice of response class, so a capture is read as the crawl reads a page; the
    body is read decoded (warcio's ``content_stream``), as after HttpCompressionMiddleware."""
    decoded = Headers([(n, v) for n, v in headers if n.lower() not in _CODINGS], encoding="utf-8")
    return issubclass(responsetypes.from_args(headers=decoded, url=url), HtmlResponse)


class WarcDataset(Dataset):
    kind = DatasetKind.WARC

    def __init__(self, path: Path, policy: Policy) -> None:
        super().__init__(path)
        self.policy = policy

    def split_output(self, kept: Path, removed: Path) -> SplitOutput:
        return SplitOutput(self.path, kept, removed)

    def captures(self) -> Iterator[Capture]:
        group = _Group()
        offset = 0
        with self.path.open("rb") as handle:
            records = self._records(handle)
            while True:
                try:
                    record = next(records, None)
                except (
                    ArchiveLoadFailed,
                    StatusAndHeadersParserException,
                    ValueError,
                    EOFError,
                    OSError,
                ) as exc:
                    if group.records:  # whole records read before the break are still decided
                        yield self._capture(group)
                    why = " ".join(str(exc).split()) or type(exc).__name__
                    raise DatasetError(
                        f"{self.path}: cannot read past the WARC record at byte {offset} ({why}); "
                        "the records after it are in neither output"
                    ) from None
                if record is None:
                    break
                offset = record.offset
                if group.takes(record):
                    group.add(record)
                    continue
                if group.records:
                    yield self._capture(group)
                group = _Group()
                group.add(record)
        if group.records:
            yield self._capture(group)

    def _records(self, handle: Any) -> Iterator[_Record]:
        iterator = ArchiveIterator(handle)
        for record in iterator:
            headers = record.rec_headers
            uri = (headers.get_header("WARC-Target-URI") or "").strip()
            # Older tools wrapped the URI in angle brackets (WARC 1.0's example did).
            uri = uri.removeprefix("<").removesuffix(">")
            date = headers.get_header("WARC-Date")
            facts = None
            if record.rec_type in _FACT_RECORDS and record.http_headers is not None and _is_web(uri):
                facts = self._facts(record, uri, date)
            yield _Record(
                record.rec_type,
                uri,
                headers.get_header("WARC-Record-ID") or "",
                tuple(v for n, v in headers.headers if n.lower() == "warc-concurrent-to"),
                date,
                iterator.get_record_offset(),  # reads to the record's end: facts are read first
                iterator.offset,  # where the next record starts: this one's bytes end there
                facts,
            )

    def _facts(self, record: Any, uri: str, date: str | None) -> ResponseFacts:
        pairs: list[tuple[str, str]] = list(record.http_headers.headers)
        content_type = next((v for n, v in pairs if n.lower() == "content-type"), "")
        is_image = content_type.strip().lower().startswith("image/")
        html: str | None = None
        if record.rec_type == "response" and not is_image and _is_html(pairs, uri):
            try:
                body = record.content_stream().read(HTML_LIMIT)
            except Exception:  # a broken chunked or gzip body: the headers count, "" warns of it
                html = ""
            else:
                html = html_to_unicode(content_type or None, body)[1] if body else None
        return self.policy.read_response(uri, pairs, html, is_image=is_image, captured=date)

    def _capture(self, group: _Group) -> Capture:
        records = group.records
        first = records[0]
        facts_record = next((r for r in records if r.facts is not None), None)
        return Capture(
            url=first.uri,
            where=f"{self.path.name}@{first.offset}",
            span=(first.offset, records[-1].end - first.offset),  # the group's records are contiguous
            records=len(records),
            record_types=tuple(r.type for r in records),
            record_ids=tuple(r.record_id for r in records),
            date=(facts_record or first).date,
            facts=facts_record.facts if facts_record is not None else None,
            passthrough=not _is_web(first.uri),
        )

"""Reading WARC and JSON Lines files as captures, and writing their split copies byte for byte."""

from __future__ import annotations

import gzip
import json
from io import BytesIO
from itertools import pairwise
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scrapy_policyguard.core.bundled import bundled_agents
from scrapy_policyguard.core.engine import Policy
from scrapy_policyguard.datasets import Capture, DatasetError, SplitOutput, check_input, open_dataset
from scrapy_policyguard.datasets.warc import MAX_RECORDS

POLICY = Policy("TestBot", agents=bundled_agents())
WHEN = "2024-03-01T12:00:00Z"


def response(writer: WARCWriter, url: str, body: bytes, headers: list[tuple[str, str]], **warc: str):
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    return writer.create_warc_record(
        url,
        "response",
        payload=BytesIO(body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": WHEN, **warc},
    )


def linked(writer: WARCWriter, url: str, kind: str, to: str):
    """A ``request`` or ``metadata`` record of the same fetch as record ``to``."""
    if kind == "request":
        http = StatusAndHeaders("GET / HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True)
        return writer.create_warc_record(
            url, kind, payload=BytesIO(b""), http_headers=http, warc_headers_dict={"WARC-Concurrent-To": to}
        )
    return writer.create_warc_record(
        url,
        kind,
        payload=BytesIO(b"x: y\n"),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Concurrent-To": to},
    )


def record_id(record) -> str:
    return record.rec_headers.get_header("WARC-Record-ID")


def write(path: Path, build) -> None:
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=path.name.endswith(".gz"))
        for record in build(writer):
            writer.write_record(record)


def sample(writer: WARCWriter):
    """warcinfo; a fetch of three linked records; a lone response; a dns: record; a PNG."""
    yield writer.create_warcinfo_record("x.warc", {"software": "test"})
    page = response(
        writer,
        "http://a.test/1",
        b'<html><head><meta name="robots" content="noai"></head></html>',
        [("Content-Type", "text/html"), ("X-Robots-Tag", "noarchive")],
    )
    yield linked(writer, "http://a.test/1", "request", record_id(page))
    yield page
    yield linked(writer, "http://a.test/1", "metadata", record_id(page))
    yield response(writer, "http://b.test/2", b"<html></html>", [("Content-Type", "text/html")])
    yield writer.create_warc_record(
        "dns:a.test", "resource", payload=BytesIO(b"1.2.3.4"), warc_content_type="text/dns"
    )
    yield response(
        writer, "http://a.test/i.png", b"\x89PNG", [("Content-Type", "image/png"), ("X-Robots-Tag", "noai")]
    )


@pytest.mark.parametrize("name", ["x.warc", "x.warc.gz"])
def test_warc_records_of_one_fetch_are_one_capture_and_spans_cover_the_file(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    write(path, sample)
    captures = list(open_dataset(path, POLICY).captures())
    assert [(c.url, c.record_types, c.passthrough) for c in captures] == [
        ("", ("warcinfo",), True),
        ("http://a.test/1", ("request", "response", "metadata"), False),
        ("http://b.test/2", ("response",), False),
        ("dns:a.test", ("resource",), True),
        ("http://a.test/i.png", ("response",), False),
    ]
    # Contiguous spans from the first byte to the last: every byte lands in some output.
    spans = [c.span for c in captures]
    assert spans[0][0] == 0
    assert all(a[0] + a[1] == b[0] for a, b in pairwise(spans))
    assert spans[-1][0] + spans[-1][1] == path.stat().st_size
    page = captures[1]
    assert (page.date, page.where) == (WHEN, f"{name}@{spans[1][0]}")
    assert page.facts is not None and page.facts.captured == WHEN
    said = [(e.source, e.rule) for s in (page.facts.headers, page.facts.html) for e in s.evidence]
    assert said == [
        ("x-robots-tag", "X-Robots-Tag: noarchive"),
        ("html-meta", '<meta name="robots" content="noai">'),
    ]
    image = captures[4].facts
    assert image is not None and image.html is None  # an image's body is not read as HTML
    assert image.headers.evidence[0].effects  # noai on an image applies to it


def test_split_output_copies_each_capture_whole_and_passthrough_to_both(tmp_path: Path) -> None:
    path = tmp_path / "x.warc.gz"
    write(path, sample)
    dataset = open_dataset(path, POLICY)
    captures = list(dataset.captures())
    output = dataset.split_output(tmp_path / "kept" / path.name, tmp_path / "removed" / path.name)
    keep = [True, False, True, True, False]
    for capture, kept in zip(captures, keep, strict=True):
        output.write(capture, kept)
    output.close()
    data = path.read_bytes()

    def part(c: Capture) -> bytes:
        return data[c.span[0] : c.span[0] + c.span[1]]

    kept_bytes = b"".join(part(c) for c, k in zip(captures, keep, strict=True) if k or c.passthrough)
    removed_bytes = b"".join(part(c) for c, k in zip(captures, keep, strict=True) if not k or c.passthrough)
    assert (tmp_path / "kept" / path.name).read_bytes() == kept_bytes
    assert (tmp_path / "removed" / path.name).read_bytes() == removed_bytes
    assert [c.url for c in open_dataset(tmp_path / "removed" / path.name, POLICY).captures()] == [
        "",
        "http://a.test/1",
        "dns:a.test",
        "http://a.test/i.png",
    ]


def test_a_content_encoded_body_is_decoded_and_a_broken_one_read_as_it_is(tmp_path: Path) -> None:
    meta = b'<html><head><meta name="robots" content="noai"></head></html>'

    def build(writer: WARCWriter):
        yield response(
            writer,
            "http://a.test/z",
            gzip.compress(meta),
            [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
        )
        yield response(
            writer,
            "http://a.test/y",
            b"not gzip at all",
            [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
        )

    path = tmp_path / "enc.warc"
    write(path, build)
    good, broken = (c.facts for c in open_dataset(path, POLICY).captures())
    assert [e.rule for e in good.html.evidence] == ['<meta name="robots" content="noai">']
    # warcio falls back to the bytes as archived when they do not decode: no statement, no error.
    assert (broken.html.evidence, broken.warnings) == ([], [])


def test_a_chain_of_linked_records_is_cut_at_the_bound(tmp_path: Path) -> None:
    def build(writer: WARCWriter):
        first = response(writer, "http://a.test/", b"", [("Content-Type", "text/plain")])
        yield first
        for _ in range(MAX_RECORDS + 5):
            yield linked(writer, "http://a.test/", "metadata", record_id(first))

    path = tmp_path / "chain.warc"
    write(path, build)
    # The rest name a record of a capture already closed: each is a capture of its own.
    assert [c.records for c in open_dataset(path, POLICY).captures()] == [MAX_RECORDS] + [1] * 6


def test_json_lines_give_one_capture_per_line_with_its_url_or_why_not(tmp_path: Path) -> None:
    rows = [
        json.dumps({"meta": {"url": "https://a.test/1"}}),
        "",
        json.dumps({"meta": {"url": "ftp://a.test/x"}}),
        "{not json",
        json.dumps(["https://a.test/2"]),
        json.dumps({"meta": {}}),
        json.dumps({"meta": {"url": " HTTP://A.test/3 "}}),
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    captures = list(open_dataset(path, POLICY, url_field="meta.url").captures())
    assert [(c.where, c.url) for c in captures] == [
        ("rows.jsonl:1", "https://a.test/1"),
        ("rows.jsonl:3", ""),
        ("rows.jsonl:4", ""),
        ("rows.jsonl:5", ""),
        ("rows.jsonl:6", ""),
        ("rows.jsonl:7", "HTTP://A.test/3"),
    ]
    problems = [c.problem for c in captures]
    assert problems[0] is None and problems[-1] is None
    assert problems[1] == "field 'meta.url' holds 'ftp://a.test/x', not an http(s) URL"
    assert problems[2].startswith("not a JSON line: ")
    assert problems[3] == "not a JSON object but list"
    assert problems[4] == "no URL in field 'meta.url'"
    data = path.read_bytes()
    assert [data[c.span[0] : c.span[0] + c.span[1]] for c in captures[:1]] == [rows[0].encode() + b"\n"]


def test_gzipped_json_lines_are_split_into_gzipped_copies_of_the_same_lines(tmp_path: Path) -> None:
    lines = [json.dumps({"url": f"https://a.test/{n}", "text": "é"}).encode() + b"\n" for n in range(4)]
    path = tmp_path / "rows.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(lines)))
    dataset = open_dataset(path, POLICY)
    output = dataset.split_output(tmp_path / "k" / path.name, tmp_path / "r" / path.name)
    for number, capture in enumerate(dataset.captures()):
        assert capture.data == lines[number] and capture.span is None
        output.write(capture, number % 2 == 0)
    output.close()
    assert gzip.decompress((tmp_path / "k" / path.name).read_bytes()) == lines[0] + lines[2]
    assert gzip.decompress((tmp_path / "r" / path.name).read_bytes()) == lines[1] + lines[3]


def test_a_cut_gzip_stream_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"url": "https://a.test/"}\n' * 1000)[:-30])
    with pytest.raises(DatasetError, match=r"rows.jsonl.gz: cannot read past line \d+"):
        list(open_dataset(path, POLICY).captures())


def test_formats_are_told_by_name(tmp_path: Path) -> None:
    for name, kind in [
        ("a.warc", "warc"),
        ("a.WARC.GZ", "warc"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson.gz", "jsonl"),
    ]:
        (tmp_path / name).write_bytes(b"")
        assert check_input(tmp_path / name) == kind
    (tmp_path / "a.parquet").write_bytes(b"")
    with pytest.raises(DatasetError, match="not a format recheck reads"):
        check_input(tmp_path / "a.parquet")


def test_split_output_refuses_a_span_past_the_end(tmp_path: Path) -> None:
    source = tmp_path / "s.jsonl"
    source.write_bytes(b"abc\n")
    output = SplitOutput(source, tmp_path / "k", tmp_path / "r")
    with pytest.raises(DatasetError, match="ends before byte 10"):
        output.write(Capture(url="http://a.test/", where="s.jsonl:1", span=(0, 10)), True)
    output.close()

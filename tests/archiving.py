"""Collected data for the recheck tests: pages fetched from a LocalWeb and archived as a WARC crawler
does (warcinfo, then request, response and metadata records of each fetch), and JSON Lines.

Fetching goes through the LocalWeb as a proxy with urllib, so the archived status line and headers
are what the server sent.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from io import BytesIO
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scrapy_policyguard.demo.web import LocalWeb

#: The capture date written into every response record.
CAPTURED = "2024-03-01T12:00:00Z"


def fetch(web: LocalWeb, url: str) -> tuple[int, str, list[tuple[str, str]], bytes]:
    """Status, reason, headers and body of ``url`` as the LocalWeb serves it now."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": web.proxy_url}))
    try:
        with opener.open(url, timeout=5) as answer:
            return answer.status, answer.reason, list(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, str(error.reason), list(error.headers.items()), error.read()


def write_warc(path: Path, web: LocalWeb, urls: list[str], *, date: str = CAPTURED) -> None:
    """A WARC of ``urls`` fetched now from ``web``: gzip members when ``path`` ends in ``.gz``."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=path.name.endswith(".gz"))
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "policyguard tests"}))
        for url in urls:
            status, reason, headers, body = fetch(web, url)
            dated = {"WARC-Date": date}
            response = writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(body),
                http_headers=StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1"),
                warc_headers_dict=dated,
            )
            response_id = response.rec_headers.get_header("WARC-Record-ID")
            path_part = url.split("/", 3)[3] if url.count("/") >= 3 else ""
            request = writer.create_warc_record(
                url,
                "request",
                payload=BytesIO(b""),
                http_headers=StatusAndHeaders(
                    f"GET /{path_part} HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True
                ),
                warc_headers_dict={**dated, "WARC-Concurrent-To": response_id},
            )
            metadata = writer.create_warc_record(
                url,
                "metadata",
                payload=BytesIO(b"fetchTimeMs: 12\n"),
                warc_content_type="application/warc-fields",
                warc_headers_dict={**dated, "WARC-Concurrent-To": response_id},
            )
            for record in (request, response, metadata):
                writer.write_record(record)


def write_jsonl(path: Path, urls: list[str], field: str = "url") -> None:
    with path.open("w", encoding="utf-8") as handle:
        for number, url in enumerate(urls):
            handle.write(json.dumps({field: url, "text": f"document {number}"}) + "\n")


def warc_records(path: Path) -> list[dict[str, Any]]:
    """Each record's type, target URI and raw bytes (its span of the file)."""
    found = []
    data = path.read_bytes()
    with path.open("rb") as handle:
        iterator = ArchiveIterator(handle)
        offsets = []
        for record in iterator:
            found.append(
                {
                    "type": record.rec_type,
                    "uri": record.rec_headers.get_header("WARC-Target-URI"),
                    "id": record.rec_headers.get_header("WARC-Record-ID"),
                }
            )
            offsets.append(iterator.get_record_offset())
    for index, entry in enumerate(found):
        end = offsets[index + 1] if index + 1 < len(offsets) else len(data)
        entry["bytes"] = data[offsets[index] : end]
    return found

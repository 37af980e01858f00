"""core/containers.py: XMP packets and C2PA carriers found by walking container headers."""

from __future__ import annotations

import struct
import zlib

import pytest
from mediafiles import (
    PILLOW_FORMATS,
    VOCAB,
    bmff_with_xmp_uuid,
    gif_with_xmp,
    image_with_xmp,
    plain_image,
    signer,
    xmp_packet,
)

from scrapy_policyguard.core.containers import MAX_STEPS, MAX_XMP_BYTES, MediaFormat, find_embedded, sniff

PACKET = xmp_packet(VOCAB + "DMI-PROHIBITED")
CARRIERS = {
    "JPEG": "JPEG APP1",
    "PNG": "PNG iTXt chunk",
    "WEBP": "WebP XMP chunk",
    "TIFF": "TIFF tag 700",
    "AVIF": "HEIF XMP item",
    "GIF": "GIF XMP application extension",
}


@pytest.mark.parametrize("fmt", [*PILLOW_FORMATS, "GIF"])
def test_the_packet_is_found_where_the_format_keeps_it(fmt: str) -> None:
    found = find_embedded(image_with_xmp(fmt, PACKET))
    assert [(block.carrier, block.data) for block in found.xmp] == [(CARRIERS[fmt], PACKET)]
    assert found.c2pa is None and found.problems == []


def test_compressed_png_text_and_a_bmff_uuid_box() -> None:
    [block] = find_embedded(image_with_xmp("PNG", PACKET, compressed_png=True)).xmp
    assert block.data == PACKET
    found = find_embedded(bmff_with_xmp_uuid(PACKET))
    assert found.format is MediaFormat.HEIF
    assert [(b.carrier, b.data) for b in found.xmp] == [("BMFF XMP uuid box", PACKET)]


def test_images_without_metadata_have_nothing() -> None:
    for fmt in ("JPEG", "PNG", "WEBP", "TIFF", "GIF", "AVIF"):
        found = find_embedded(plain_image(fmt))
        assert found.format is not None and found.xmp == [] and found.c2pa is None and found.problems == []


@pytest.mark.parametrize(
    ("fmt", "mime", "carrier"),
    [
        ("JPEG", "image/jpeg", "JPEG APP11 (JUMBF)"),
        ("PNG", "image/png", "PNG caBX chunk"),
        ("WEBP", "image/webp", "WebP C2PA chunk"),
        ("TIFF", "image/tiff", "TIFF tag 52545"),
        ("GIF", "image/gif", "GIF C2PA_GIF application extension"),
        ("AVIF", "image/avif", "BMFF C2PA uuid box"),
    ],
)
def test_a_c2pa_manifest_store_is_located(fmt: str, mime: str, carrier: str) -> None:
    pytest.importorskip("c2pa")
    signed = signer().sign(plain_image(fmt), mime, {"cawg.ai_training": "notAllowed"})
    assert find_embedded(signed).c2pa == carrier


def test_sniffing_needs_the_magic_numbers() -> None:
    assert sniff(b"<html>") is None
    assert sniff(b"") is None
    assert find_embedded(b"GIF89a").format is MediaFormat.GIF
    assert find_embedded(b"%PDF-1.7 ...").format is None


@pytest.mark.parametrize("fmt", [*PILLOW_FORMATS, "GIF"])
def test_truncated_files_keep_what_came_before_and_say_what_broke(fmt: str) -> None:
    data = image_with_xmp(fmt, PACKET)
    for cut in range(len(data)):
        found = find_embedded(data[:cut])
        assert all(block.data == PACKET for block in found.xmp)
    if fmt in ("JPEG", "PNG", "TIFF", "GIF"):  # the packet comes before the image data: kept
        assert [block.data for block in find_embedded(data[:-1]).xmp] == [PACKET]
    # Cut inside the packet's own segment or chunk: the structure runs past the end.
    at = data.index(PACKET) + 10
    found = find_embedded(data[:at])
    assert found.xmp == [] and len(found.problems) == 1


def test_a_packet_over_the_cap_is_refused_and_said_so() -> None:
    huge = b"<x:xmpmeta " + b" " * (MAX_XMP_BYTES + 1) + b"/>"
    found = find_embedded(image_with_xmp("WEBP", huge))
    assert found.xmp == [] and "exceeds" in found.problems[0]
    # A compressed iTXt chunk is inflated only to the cap (a zip bomb costs a bounded buffer).
    signature, ihdr = b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    bomb = b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(b" " * (20 * MAX_XMP_BYTES), 9)
    found = find_embedded(signature + ihdr + _chunk(b"iTXt", bomb) + _chunk(b"IEND", b""))
    assert found.xmp == [] and "exceeds" in found.problems[0]


def test_a_file_of_endless_chunks_stops_at_the_step_cap() -> None:
    signature, ihdr = b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    data = (
        signature + ihdr + _chunk(b"tIME", b"") * (MAX_STEPS + 10) + _chunk(b"iTXt", b"XML:com.adobe.xmp\x00")
    )
    found = find_embedded(data)
    assert found.xmp == [] and f"more than {MAX_STEPS}" in found.problems[0]


def test_a_jpeg_segment_claiming_more_than_the_file_holds() -> None:
    data = b"\xff\xd8" + b"\xff\xe1\xff\xff" + b"http://ns.adobe.com/xap/1.0/\x00<x/>"
    found = find_embedded(data)
    assert found.xmp == [] and "runs past the end" in found.problems[0]


def test_tiff_big_endian_and_an_ifd_pointing_past_the_end() -> None:
    packet = PACKET
    entry = struct.pack(">HHII", 700, 7, len(packet), 8 + 2 + 12 + 4)
    data = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + b"\x00" * 4 + packet
    assert [b.data for b in find_embedded(data).xmp] == [packet]
    broken = b"MM\x00*" + struct.pack(">I", 10_000)
    assert "truncated" in find_embedded(broken).problems[0]


def test_gif_without_the_magic_trailer_is_not_read() -> None:
    data = gif_with_xmp(PACKET)
    cut = data[: data.index(PACKET) + len(PACKET)]
    found = find_embedded(cut)
    assert found.xmp == [] and "trailer" in found.problems[0]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I4s", len(data), kind) + data + struct.pack(">I", zlib.crc32(kind + data))


def _bmff_box(kind: bytes, payload: bytes, *, full: bool = False) -> bytes:
    payload = (b"\x00\x00\x00\x00" if full else b"") + payload
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _heif_with_item_locations(entries: bytes, count: int) -> bytes:
    """A HEIF file whose item 1 is XMP, with an ``iloc`` box (version 1, every size 0) of ``entries``."""
    infe = b"\x02\x00\x00\x00" + struct.pack(">HH", 1, 0) + b"mime" + b"\x00" + b"application/rdf+xml\x00"
    iinf = _bmff_box(b"iinf", struct.pack(">H", 1) + _bmff_box(b"infe", infe), full=True)
    iloc = _bmff_box(b"iloc", b"\x01\x00\x00\x00" + b"\x00\x00" + struct.pack(">H", count) + entries)
    meta = _bmff_box(b"meta", _bmff_box(b"hdlr", b"\x00" * 24, full=True) + iinf + iloc, full=True)
    return _bmff_box(b"ftyp", b"avif\x00\x00\x00\x00mif1avif") + meta


def test_item_locations_count_every_extent_against_the_step_cap() -> None:
    # Extents of size 0 take no bytes: without one budget for items and extents, a few hundred
    # bytes could make the reader loop billions of times.
    item = struct.pack(">HHHH", 1, 0, 0, 0xFFFF)  # item 1, method 0, data reference 0, 65,535 extents
    found = find_embedded(_heif_with_item_locations(item * 2, 2))
    assert found.xmp == [] and f"more than {MAX_STEPS} items and extents" in found.problems[0]


def test_item_locations_of_other_items_are_skipped_unread() -> None:
    other = struct.pack(">HHHH", 2, 0, 0, 0xFFFF)
    located = struct.pack(">HHHH", 1, 0, 0, 1)
    found = find_embedded(_heif_with_item_locations(other * 1000 + located, 1001))
    assert found.problems == [] and [block.data for block in found.xmp] == [b""]

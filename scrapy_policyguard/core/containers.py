"""Where a media file keeps its metadata: XMP packets and C2PA manifest stores, found by walking the
container's own structure (segment, chunk, IFD and box headers), never by decoding pixels.

Written here rather than taken from an image library because the libraries that find XMP (Pillow,
pyexiv2, python-xmp-toolkit) decode or open the whole image, or need a native library, where a
crawl needs a few header reads per file on bytes it already holds; c2pa-python reads manifests but
not XMP. Where each format keeps them (read 2026-12-06):

- JPEG: XMP in an APP1 segment after ``http://ns.adobe.com/xap/1.0/\\0`` (XMP Specification Part 3,
  1.1.3, https://github.com/adobe/XMP-Toolkit-SDK/tree/main/docs); C2PA in APP11 JUMBF segments
  (C2PA Technical Specification 2.1, A.3.1, https://c2pa.org/specifications/).
- PNG: XMP in an ``iTXt`` chunk with keyword ``XML:com.adobe.xmp`` (Part 3, 1.1.5; ``tEXt`` and
  ``zTXt`` with that keyword are read too); C2PA in a ``caBX`` chunk (C2PA A.3.3).
- WebP: ``XMP `` chunk and ``C2PA`` chunk of the RIFF container (Google's WebP container
  specification, https://developers.google.com/speed/webp/docs/riff_container; C2PA A.3.7).
- TIFF (and DNG): IFD0 tag 700 ``XMLPacket`` (Part 3, 1.1.6); C2PA tag 52545 (C2PA A.3.4);
  classic and BigTIFF headers.
- GIF: application extension ``XMP DataXMP`` whose data runs until the 258-byte "magic trailer"
  (Part 3, 1.1.2); C2PA in the application extension ``C2PA_GIF``.
- AVIF / HEIF (ISO BMFF): an item of type ``mime`` with content type ``application/rdf+xml`` in the
  ``meta`` box, located by ``iloc`` (ISO/IEC 23008-12, and libavif / libheif write it so), or a
  top-level ``uuid`` box BE7ACFCB-97A9-42E8-9C71-999491E3AFAC (Part 3, 1.2.7); C2PA in the
  top-level ``uuid`` box D8FEC3D6-1B0E-483C-9297-5828877EC481 (C2PA A.4).

Hostile files stay cheap: at most :data:`MAX_STEPS` headers are read per file, an XMP packet over
:data:`MAX_XMP_BYTES` is not read (and says so), a compressed PNG text chunk is inflated to that
cap at most, and a truncated or inconsistent structure ends the walk with a problem noted, keeping
what was found before it. Extended XMP (JPEG APP1 ``http://ns.adobe.com/xmp/extension/``) is not
joined to the main packet.
"""

from __future__ import annotations

import mmap
import struct
import zlib
from dataclasses import dataclass, field

from .text_enum import TextEnum

__all__ = ["MAX_STEPS", "MAX_XMP_BYTES", "Embedded", "MediaFormat", "XmpBlock", "find_embedded", "sniff"]

#: Headers read per file at most (a file of a million empty chunks costs no more than this).
MAX_STEPS = 100_000
#: The largest XMP packet read: the JPEG limit is 64 KiB per segment; nothing real nears this.
MAX_XMP_BYTES = 2 * 1024 * 1024

#: Bytes a scan takes: the body Scrapy downloaded, or a memory-mapped local file.
Buffer = bytes | mmap.mmap


class MediaFormat(TextEnum):
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    TIFF = "tiff"
    GIF = "gif"
    HEIF = "heif"  # any ISO BMFF image (AVIF, HEIC), and MP4 with the same boxes

    @property
    def mime(self) -> str:
        """The media type the C2PA reader takes for this format."""
        return "image/avif" if self is MediaFormat.HEIF else f"image/{self.value}"


@dataclass(frozen=True, slots=True)
class XmpBlock:
    """One XMP packet and where it sat (``carrier``, e.g. ``JPEG APP1``)."""

    carrier: str
    data: bytes


@dataclass(slots=True)
class Embedded:
    """What a file's container holds: its XMP packets, whether it carries a C2PA manifest store
    (``c2pa`` names the carrier), and problems met on the way (a truncated file, say)."""

    format: MediaFormat | None
    xmp: list[XmpBlock] = field(default_factory=list)
    c2pa: str | None = None
    problems: list[str] = field(default_factory=list)


_XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_KEYWORD = b"XML:com.adobe.xmp"
_GIF_XMP = b"\x21\xff\x0bXMP DataXMP"
_GIF_C2PA = b"\x21\xff\x0bC2PA_GIF"
_GIF_TRAILER = b"\x01\xff\xfe"  # the magic trailer counts down from 0xFF; XMP text never holds 0xFE/0xFF
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
_C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
_TIFF_XMP, _TIFF_C2PA = 700, 52545


class _Stop(Exception):
    """A structure the walk cannot continue past."""


def sniff(data: Buffer) -> MediaFormat | None:
    """The container format, from the first bytes (None: not one of ours)."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return MediaFormat.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaFormat.PNG
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return MediaFormat.WEBP
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return MediaFormat.TIFF
    if head.startswith((b"GIF87a", b"GIF89a")):
        return MediaFormat.GIF
    if head[4:8] == b"ftyp":
        return MediaFormat.HEIF
    return None


def find_embedded(data: Buffer) -> Embedded:
    """The XMP packets and C2PA carrier of ``data``; never raises on bad input."""
    media = sniff(data)
    found = Embedded(media)
    if media is None:
        return found
    try:
        _WALKS[media](data, found)
    except (_Stop, struct.error, IndexError, ValueError, OverflowError, zlib.error) as exc:
        detail = str(exc) if isinstance(exc, _Stop) else "truncated or malformed structure"
        found.problems.append(f"{media.upper()}: {detail}; metadata after it not read")
    return found


def _add_xmp(found: Embedded, carrier: str, data: bytes) -> None:
    if len(data) > MAX_XMP_BYTES:
        found.problems.append(
            f"XMP packet in {carrier} of {len(data)} bytes exceeds {MAX_XMP_BYTES}: not read"
        )
    else:
        found.xmp.append(XmpBlock(carrier, data))


def _too_many(found: Embedded) -> None:
    found.problems.append(f"more than {MAX_STEPS} {found.format} structures: the rest not read")


def _jpeg(data: Buffer, found: Embedded) -> None:
    pos, size = 2, len(data)
    for _ in range(MAX_STEPS):
        if pos + 2 > size:
            raise _Stop("ends before the image data")
        if data[pos] != 0xFF:
            raise _Stop(f"no marker at byte {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # no length
            pos += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan, end of image: metadata comes before
            return
        (length,) = struct.unpack_from(">H", data, pos + 2)
        start, end = pos + 4, pos + 2 + length
        if length < 2 or end > size:
            raise _Stop(f"segment at byte {pos} runs past the end")
        if marker == 0xE1 and data[start : start + len(_XMP_APP1)] == _XMP_APP1:
            _add_xmp(found, "JPEG APP1", bytes(data[start + len(_XMP_APP1) : end]))
        elif marker == 0xEB and data[start : start + 2] == b"JP" and data.find(b"c2pa", start, end) >= 0:
            found.c2pa = "JPEG APP11 (JUMBF)"
        pos = end
    _too_many(found)


def _png_text(chunk: bytes, kind: bytes) -> bytes | None:
    """The text of a PNG text chunk with the XMP keyword (None: another keyword)."""
    keyword, sep, rest = chunk.partition(b"\x00")
    if not sep or keyword != _XMP_KEYWORD:
        return None
    if kind == b"tEXt":
        return rest
    if kind == b"zTXt":
        return _inflate(rest[1:])
    compressed = rest[:1] == b"\x01"
    _lang, _, rest = rest[2:].partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    return _inflate(text) if compressed else text


def _inflate(data: bytes) -> bytes:
    """At most one byte past the cap, so an oversized packet is refused, not inflated whole."""
    return zlib.decompressobj().decompress(data, MAX_XMP_BYTES + 1)


def _png(data: Buffer, found: Embedded) -> None:
    pos, size = 8, len(data)
    for _ in range(MAX_STEPS):
        if pos + 8 > size:
            raise _Stop("ends without IEND")
        length, kind = struct.unpack_from(">I4s", data, pos)
        start, end = pos + 8, pos + 8 + length
        if end + 4 > size:
            raise _Stop(f"chunk {kind!r} at byte {pos} runs past the end")
        if kind in (b"iTXt", b"tEXt", b"zTXt") and data[start : start + len(_XMP_KEYWORD)] == _XMP_KEYWORD:
            text = _png_text(bytes(data[start:end]), kind)
            if text is not None:
                _add_xmp(found, f"PNG {kind.decode()} chunk", text)
        elif kind == b"caBX":
            found.c2pa = "PNG caBX chunk"
        elif kind == b"IEND":
            return
        pos = end + 4
    _too_many(found)


def _webp(data: Buffer, found: Embedded) -> None:
    (riff_size,) = struct.unpack_from("<I", data, 4)
    pos, size = 12, min(len(data), 8 + riff_size)
    for _ in range(MAX_STEPS):
        if pos + 8 > size:
            return
        kind, length = struct.unpack_from("<4sI", data, pos)
        start, end = pos + 8, pos + 8 + length
        if end > size:
            raise _Stop(f"chunk {kind!r} at byte {pos} runs past the end")
        if kind == b"XMP ":
            _add_xmp(found, "WebP XMP chunk", bytes(data[start:end]))
        elif kind == b"C2PA":
            found.c2pa = "WebP C2PA chunk"
        pos = end + (length & 1)
    _too_many(found)


def _tiff(data: Buffer, found: Embedded) -> None:
    order = "<" if data[:2] == b"II" else ">"
    (version,) = struct.unpack_from(order + "H", data, 2)
    big = version == 43
    if big:
        (ifd,) = struct.unpack_from(order + "Q", data, 8)
        (count,) = struct.unpack_from(order + "Q", data, ifd)
        entry, first, inline = struct.Struct(order + "HHQQ"), ifd + 8, 8
    else:
        (ifd,) = struct.unpack_from(order + "I", data, 4)
        (count,) = struct.unpack_from(order + "H", data, ifd)
        entry, first, inline = struct.Struct(order + "HHII"), ifd + 2, 4
    if count > 4096:
        raise _Stop(f"IFD0 claims {count} entries")
    for index in range(count):
        tag, _kind, length, value = entry.unpack_from(data, first + index * entry.size)
        if tag == _TIFF_XMP:
            offset = first + index * entry.size + 4 + inline if length <= inline else value
            if length > MAX_XMP_BYTES:
                found.problems.append(
                    f"XMP packet in TIFF tag 700 of {length} bytes exceeds {MAX_XMP_BYTES}: not read"
                )
            elif offset + length > len(data):
                raise _Stop("XMLPacket runs past the end")
            else:
                _add_xmp(found, "TIFF tag 700", bytes(data[offset : offset + length]))
        elif tag == _TIFF_C2PA:
            found.c2pa = "TIFF tag 52545"


def _gif(data: Buffer, found: Embedded) -> None:
    start = data.find(_GIF_XMP)
    if start >= 0:
        start += len(_GIF_XMP)
        end = data.find(_GIF_TRAILER, start, start + MAX_XMP_BYTES + 1)
        if end < 0:
            found.problems.append("GIF XMP extension without its trailer within the size cap: not read")
        else:
            _add_xmp(found, "GIF XMP application extension", bytes(data[start:end]))
    if data.find(_GIF_C2PA) >= 0:
        found.c2pa = "GIF C2PA_GIF application extension"


def _boxes(data: Buffer, start: int, end: int, found: Embedded) -> list[tuple[bytes, int, int]]:
    """(type, content start, content end) of the boxes between ``start`` and ``end``."""
    boxes: list[tuple[bytes, int, int]] = []
    pos = start
    while pos + 8 <= end:
        if len(boxes) >= MAX_STEPS:
            _too_many(found)
            break
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise _Stop(f"box {kind!r} at byte {pos} runs past its parent")
        boxes.append((kind, pos + header, pos + size))
        pos += size
    return boxes


def _heif(data: Buffer, found: Embedded) -> None:
    size = len(data)
    top = _boxes(data, 0, size, found)
    for kind, start, end in top:
        if kind == b"uuid":
            usertype = data[start : start + 16]
            if usertype == _XMP_UUID:
                _add_xmp(found, "BMFF XMP uuid box", bytes(data[start + 16 : end]))
            elif usertype == _C2PA_UUID:
                found.c2pa = "BMFF C2PA uuid box"
    meta = next(((s, e) for k, s, e in top if k == b"meta"), None)
    if meta is not None:
        _heif_items(data, meta[0] + 4, meta[1], found)  # meta is a full box: skip version and flags


def _cstring(data: Buffer, pos: int, end: int) -> tuple[bytes, int]:
    stop = data.find(b"\x00", pos, end)
    if stop < 0:
        return bytes(data[pos:end]), end
    return bytes(data[pos:stop]), stop + 1


def _heif_items(data: Buffer, start: int, end: int, found: Embedded) -> None:
    children = {kind: (s, e) for kind, s, e in _boxes(data, start, end, found)}
    if b"iinf" not in children or b"iloc" not in children:
        return
    xmp_items = _xmp_item_ids(data, *children[b"iinf"], found)
    if not xmp_items:
        return
    idat_start = children[b"idat"][0] if b"idat" in children else None
    for item, method, located in _item_locations(data, *children[b"iloc"], xmp_items):
        total = sum(length for _, length in located)
        if total > MAX_XMP_BYTES:
            found.problems.append(f"XMP item {item} of {total} bytes exceeds {MAX_XMP_BYTES}: not read")
            continue
        if method == 1 and idat_start is not None:  # offsets into the idat box
            extents = [(idat_start + offset, length) for offset, length in located]
        elif method == 0:  # file offsets
            extents = located
        else:
            found.problems.append(f"XMP item {item} is stored by construction method {method}: not read")
            continue
        parts = []
        for offset, length in extents:
            if offset + length > len(data):
                raise _Stop(f"XMP item {item} lies past the end")
            parts.append(bytes(data[offset : offset + length]))
        _add_xmp(found, "HEIF XMP item", b"".join(parts))


def _xmp_item_ids(data: Buffer, start: int, end: int, found: Embedded) -> set[int]:
    version = data[start]
    pos = start + 4
    if version == 0:
        pos += 2
    else:
        pos += 4
    ids = set()
    for kind, s, e in _boxes(data, pos, end, found):
        if kind != b"infe":
            continue
        infe_version = data[s]
        p = s + 4
        if infe_version >= 2:
            if infe_version == 2:
                (item_id,) = struct.unpack_from(">H", data, p)
                p += 2
            else:
                (item_id,) = struct.unpack_from(">I", data, p)
                p += 4
            item_type = data[p + 2 : p + 6]
            p += 6
            _name, p = _cstring(data, p, e)
            if item_type != b"mime":
                continue
        else:
            (item_id,) = struct.unpack_from(">H", data, p)
            _name, p = _cstring(data, p + 4, e)
        content_type, _ = _cstring(data, p, e)
        if content_type.strip().lower() == b"application/rdf+xml":
            ids.add(item_id)
    return ids


def _sized(data: Buffer, pos: int, size: int) -> int:
    if size == 0:
        return 0
    return int.from_bytes(data[pos : pos + size], "big") if pos + size <= len(data) else _fail(pos)


def _fail(pos: int) -> int:
    raise _Stop(f"iloc entry at byte {pos} runs past the end")


def _item_locations(
    data: Buffer, start: int, end: int, wanted: set[int]
) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """(item id, construction method, [(offset, length)]) of the ``wanted`` items, from ``iloc``."""
    version = data[start]
    offset_size, length_size = data[start + 4] >> 4, data[start + 4] & 0x0F
    base_size, index_size = data[start + 5] >> 4, (data[start + 5] & 0x0F) if version in (1, 2) else 0
    pos = start + 6
    count_size = 4 if version == 2 else 2
    count = _sized(data, pos, count_size)
    pos += count_size
    found = []
    steps = 0  # items and extents read, together: one MAX_STEPS budget for the whole box
    extent_size = index_size + offset_size + length_size
    for _ in range(min(count, MAX_STEPS)):
        steps += 1
        item = _sized(data, pos, count_size)
        pos += count_size
        method = 0
        if version in (1, 2):
            method = _sized(data, pos, 2) & 0x0F
            pos += 2
        pos += 2  # data_reference_index
        base = _sized(data, pos, base_size)
        pos += base_size
        extents_count = _sized(data, pos, 2)
        pos += 2
        if item not in wanted:  # skipped arithmetically: its extents are never read
            pos += extents_count * extent_size
            if pos > end:
                raise _Stop("iloc box runs past its end")
            continue
        steps += extents_count
        if steps > MAX_STEPS:
            raise _Stop(f"iloc box lists more than {MAX_STEPS} items and extents")
        extents = []
        for _ in range(extents_count):
            pos += index_size
            offset = _sized(data, pos, offset_size)
            pos += offset_size
            length = _sized(data, pos, length_size)
            pos += length_size
            extents.append((base + offset, length))
        if pos > end:
            raise _Stop("iloc box runs past its end")
        found.append((item, method, extents))
    return found


_WALKS = {
    MediaFormat.JPEG: _jpeg,
    MediaFormat.PNG: _png,
    MediaFormat.WEBP: _webp,
    MediaFormat.TIFF: _tiff,
    MediaFormat.GIF: _gif,
    MediaFormat.HEIF: _heif,
}

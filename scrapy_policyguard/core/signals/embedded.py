"""What a media file says about itself: its XMP packets and its C2PA manifest, as evidence.

The container is walked once (containers.py) to find both carriers; the C2PA reader runs only when
a manifest store is there, so a plain image costs a few header reads. What cannot be read (a
broken packet, a truncated file, a manifest while c2pa-python is missing) becomes a note, evidence
without effects, so the audit trail says what was not looked at; except a manifest store that
cannot be read but names a training-and-data-mining assertion, which still reserves (see
c2pa.unreadable_assertion_evidence).
"""

from __future__ import annotations

import mmap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..containers import Buffer, MediaFormat, find_embedded
from ..decision import Evidence, Source
from ..text_enum import TextEnum
from . import c2pa
from .xmp import XmpError, parse_xmp, xmp_evidence

__all__ = ["ALL_READERS", "C2paState", "MediaReader", "MediaStatements", "read_media", "read_media_file"]


class MediaReader(TextEnum):
    """The carriers POLICYGUARD_MEDIA_READERS can name."""

    XMP = "xmp"
    C2PA = "c2pa"


ALL_READERS: frozenset[MediaReader] = frozenset(MediaReader)


class C2paState(TextEnum):
    """What became of a file's C2PA manifest store."""

    READ = "read"
    UNVERIFIED = "unverified"  # present and read, but it does not validate
    UNREAD = "unread"  # present, but c2pa-python is missing or the reader is switched off
    ERROR = "error"  # present, but it could not be read


@dataclass(slots=True)
class MediaStatements:
    """The statements found in one file, with what the counters need to know."""

    format: MediaFormat | None
    evidence: list[Evidence] = field(default_factory=list)
    xmp_packets: int = 0
    c2pa: C2paState | None = None
    problems: int = 0


def read_media(
    data: Buffer,
    *,
    location: str,
    agreements: Mapping[str, str],
    readers: frozenset[MediaReader] = ALL_READERS,
    path: Path | None = None,
) -> MediaStatements:
    """The statements embedded in ``data`` (a body or a mapped file at ``path``); never raises."""
    embedded = find_embedded(data)
    found = MediaStatements(embedded.format)
    if embedded.format is None:
        return found
    found.problems = len(embedded.problems)
    found.evidence.extend(
        Evidence(Source.RESPONSE, "media file not fully read", location, problem)
        for problem in embedded.problems
    )
    if MediaReader.XMP in readers:
        for block in embedded.xmp:
            where = f"{location} (XMP in {block.carrier})"
            found.xmp_packets += 1
            try:
                rights = parse_xmp(block.data)
            except XmpError as exc:
                found.problems += 1
                found.evidence.append(Evidence(Source.XMP, "XMP packet not read", where, str(exc)))
                continue
            found.evidence.extend(xmp_evidence(rights, where, agreements))
    if embedded.c2pa is not None:
        where = f"{location} (C2PA manifest in {embedded.c2pa})"
        found.c2pa, notes = _read_c2pa(
            data, path, embedded.format, where, agreements=agreements, readers=readers
        )
        found.evidence.extend(notes)
    return found


def _read_c2pa(
    data: Buffer,
    path: Path | None,
    media: MediaFormat,
    where: str,
    *,
    agreements: Mapping[str, str],
    readers: frozenset[MediaReader],
) -> tuple[C2paState, list[Evidence]]:
    if MediaReader.C2PA not in readers or not c2pa.available():
        why = (
            "the c2pa reader is switched off (POLICYGUARD_MEDIA_READERS)"
            if MediaReader.C2PA not in readers
            else f"c2pa-python is not installed ({c2pa.INSTALL_HINT})"
        )
        return C2paState.UNREAD, [
            Evidence(Source.C2PA, "manifest not read", where, f"a manifest store is present; {why}")
        ]
    try:
        reading = c2pa.read_manifest(path if path is not None else data, media.mime)
    except c2pa.C2paReadError as exc:
        note = Evidence(Source.C2PA, "manifest could not be read", where, str(exc))
        return C2paState.ERROR, [note, *c2pa.unreadable_assertion_evidence(data, where)]
    if reading is None:
        note = Evidence(Source.C2PA, "no manifest", where, "the C2PA reader found no manifest store")
        return C2paState.ERROR, [note, *c2pa.unreadable_assertion_evidence(data, where)]
    state = C2paState.UNVERIFIED if reading.validation is c2pa.Validation.INVALID else C2paState.READ
    return state, c2pa.training_mining_evidence(reading, where, agreements)


def read_media_file(
    path: Path, *, agreements: Mapping[str, str], readers: frozenset[MediaReader] = ALL_READERS
) -> MediaStatements:
    """The statements embedded in a local file, mapped rather than read into memory."""
    with path.open("rb") as handle:
        if path.stat().st_size == 0:
            return MediaStatements(None)
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return read_media(mapped, location=str(path), agreements=agreements, readers=readers, path=path)

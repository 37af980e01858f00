"""Fuzzing containers.py, signals/xmp.py and signals/embedded.py with truncated and malformed media.

Seeds: images of every container format carrying an XMP packet (and, where c2pa-python is
installed, a signed manifest), mutated by the suite's byte-level edits, plus random bytes behind
each format's magic number. ``find_embedded`` and ``read_media`` never raise, every packet they
return lies inside the file and within the size cap, and the evidence serialises to JSON;
``parse_xmp`` raises only XmpError.
"""

from __future__ import annotations

import functools
import importlib.util

from fuzzing import assert_evidence_json, attempt, fuzz, mutated
from hypothesis import example
from hypothesis import strategies as st
from mediafiles import PILLOW_FORMATS, VOCAB, image_with_xmp, plain_image, signer, xmp_packet

from scrapy_policyguard.core.containers import MAX_XMP_BYTES, find_embedded
from scrapy_policyguard.core.signals.embedded import read_media
from scrapy_policyguard.core.signals.xmp import XmpError, parse_xmp

MAGIC = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"RIFF\x00\x01\x00\x00WEBP",
    b"II*\x00",
    b"MM\x00+",
    b"GIF89a",
    b"\x00\x00\x00\x18ftyp",
)


@functools.cache
def media_seeds() -> tuple[bytes, ...]:
    packet = xmp_packet(
        VOCAB + "DMI-PROHIBITED-SEECONSTRAINT", other_constraints="ask", web_statement="https://l/"
    )
    seeds = [image_with_xmp(fmt, packet) for fmt in (*PILLOW_FORMATS, "GIF")]
    seeds.append(image_with_xmp("PNG", packet, compressed_png=True))
    if importlib.util.find_spec("c2pa") is not None:
        sign = signer().sign
        seeds += [
            sign(plain_image("JPEG"), "image/jpeg", {"cawg.ai_training": "notAllowed"}),
            sign(
                plain_image("PNG"),
                "image/png",
                {"c2pa.data_mining": "constrained"},
                label="c2pa.training-mining",
            ),
        ]
    return tuple(seeds)


@functools.cache
def packet_seeds() -> tuple[bytes, ...]:
    return tuple(
        xmp_packet(VOCAB + term, as_element=e) for term in ("DMI-ALLOWED", "DMI-PROHIBITED") for e in (0, 1)
    )


media = st.one_of(
    mutated(media_seeds, max_ops=3),
    st.tuples(st.sampled_from(MAGIC), st.binary(max_size=512)).map(b"".join),
)


@fuzz(media)
@example(b"\xff\xd8\xff\xe1\x00\x01")
@example(b"MM\x00+\x00\x08\x00\x00" + b"\xff" * 16)
@example(b"\x00\x00\x00\x01ftypavif" + b"\x00" * 8)
def test_find_embedded_never_raises(data: bytes) -> None:
    found = find_embedded(data)
    for block in found.xmp:
        assert len(block.data) <= MAX_XMP_BYTES
        assert found.format is not None and block.carrier
    assert all(isinstance(p, str) and p for p in found.problems)


@fuzz(media)
def test_read_media_never_raises_and_its_evidence_is_json(data: bytes) -> None:
    statements = read_media(data, location="https://m.test/x", agreements={"https://l/": "deal"})
    assert_evidence_json(statements.evidence)


@fuzz(st.one_of(mutated(packet_seeds), st.binary(max_size=256)))
def test_parse_xmp_raises_only_xmp_error(packet: bytes) -> None:
    result = attempt(lambda: parse_xmp(packet), (XmpError,))
    if result.ok:
        assert all(isinstance(v, str) for v in result.value.data_mining)

"""Media fixtures the tests make themselves: images carrying XMP rights statements and images with
C2PA manifests signed by a certificate chain generated at test time.

Pillow (a maintained library) writes the XMP packet into JPEG (APP1), PNG (iTXt), WebP, TIFF (tag
700) and AVIF (a ``mime`` item); GIF, which Pillow cannot give XMP, and a BMFF ``uuid`` box are
written here following XMP Specification Part 3. c2pa-python signs manifests with an ES256
certificate that a throwaway root signs (``cryptography``), as C2PA requires a CA-issued signer.
"""

from __future__ import annotations

import datetime
import io
import struct
from collections.abc import Mapping
from functools import cache
from typing import Any

from PIL import Image, PngImagePlugin

VOCAB = "http://ns.useplus.org/ldf/vocab/"

#: Every term of the PLUS Data Mining vocabulary.
DMI_TERMS = (
    "DMI-UNSPECIFIED",
    "DMI-ALLOWED",
    "DMI-PROHIBITED-AIMLTRAINING",
    "DMI-PROHIBITED-GENAIMLTRAINING",
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
    "DMI-PROHIBITED",
    "DMI-PROHIBITED-SEECONSTRAINT",
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR",
)

#: Formats Pillow writes XMP into, with the keyword arguments it takes for it.
PILLOW_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "AVIF")


def xmp_packet(
    data_mining: str | None = None,
    *,
    other_constraints: str | None = None,
    web_statement: str | None = None,
    as_element: bool = False,
) -> bytes:
    """An XMP packet with ``plus:DataMining`` (a full vocabulary URI, or whatever is given) as an
    attribute or as an element, and the other rights properties when given."""
    attributes = ""
    elements = ""
    if data_mining is not None:
        if as_element:
            elements += f'<plus:DataMining rdf:resource="{data_mining}"/>'
        else:
            attributes += f' plus:DataMining="{data_mining}"'
    if web_statement is not None:
        attributes += f' xmpRights:WebStatement="{web_statement}"'
    if other_constraints is not None:
        elements += (
            "<plus:OtherConstraints><rdf:Alt>"
            f'<rdf:li xml:lang="x-default">{other_constraints}</rdf:li>'
            "</rdf:Alt></plus:OtherConstraints>"
        )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" '
        f'xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"{attributes}>{elements}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def plain_image(fmt: str = "JPEG", size: int = 16, color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, fmt)
    return out.getvalue()


def image_with_xmp(fmt: str, packet: bytes, *, compressed_png: bool = False, size: int = 16) -> bytes:
    """An image of ``fmt`` (one of PILLOW_FORMATS, or GIF) whose container holds ``packet``."""
    if fmt == "GIF":
        return gif_with_xmp(packet, size)
    image = Image.new("RGB", (size, size), "olive")
    out = io.BytesIO()
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", packet.decode(), zip=compressed_png)
        image.save(out, "PNG", pnginfo=info)
    elif fmt == "TIFF":
        image.save(out, "TIFF", tiffinfo={700: packet})
    else:
        image.save(out, fmt, xmp=packet)
    return out.getvalue()


def gif_with_xmp(packet: bytes, size: int = 16) -> bytes:
    """A GIF with the XMP application extension (XMP Part 3, 1.1.2): the packet's bytes, then the
    258-byte magic trailer (0x01, 0xFF down to 0x00, a block terminator) inserted before the image."""
    body = io.BytesIO()
    Image.new("P", (size, size), 3).save(body, "GIF")
    data = body.getvalue()
    trailer = bytes([1, *range(255, -1, -1), 0])
    extension = b"\x21\xff\x0bXMP DataXMP" + packet + trailer
    at = data.index(b"\x2c")  # the first image descriptor
    return data[:at] + extension + data[at:]


def bmff_with_xmp_uuid(packet: bytes) -> bytes:
    """A minimal ISO BMFF file whose XMP sits in a top-level uuid box (XMP Part 3, 1.2.7)."""
    ftyp = _box(b"ftyp", b"mif1\x00\x00\x00\x00mif1heic")
    uuid = _box(b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + packet)
    return ftyp + uuid + _box(b"mdat", b"\x00" * 32)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


class TestSigner:
    """Signs images with a C2PA manifest, with an ES256 signer issued by a throwaway root."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        def name(common: str) -> x509.Name:
            return x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, common),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "policyguard tests"),
                ]
            )

        now = datetime.datetime.now(datetime.timezone.utc)
        usage: dict[str, bool] = dict.fromkeys(
            (
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "encipher_only",
                "decipher_only",
            ),
            False,
        )
        root_key = ec.generate_private_key(ec.SECP256R1())
        root = (
            x509.CertificateBuilder()
            .subject_name(name("policyguard test root"))
            .issuer_name(name("policyguard test root"))
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, **usage),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = (
            x509.CertificateBuilder()
            .subject_name(name("policyguard test signer"))
            .issuer_name(root.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, **usage),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
            )
            .sign(root_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        self.certs = leaf.public_bytes(pem) + root.public_bytes(pem)
        self.key = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    def sign(
        self,
        image: bytes,
        mime: str,
        entries: Mapping[str, Any] | None,
        *,
        label: str = "cawg.training-mining",
    ) -> bytes:
        """``image`` with a manifest whose training-mining assertion has ``entries`` (``{name: use}``
        or ``{name: {"use": ..., "constraint_info": ...}}``; None: no such assertion)."""
        import c2pa

        assertions: list[dict[str, Any]] = [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation",
                        }
                    ]
                },
            }
        ]
        if entries is not None:
            data = {k: v if isinstance(v, Mapping) else {"use": v} for k, v in entries.items()}
            assertions.append({"label": label, "data": {"entries": data}})
        manifest = {
            "claim_generator_info": [{"name": "policyguard-tests", "version": "1"}],
            "assertions": assertions,
        }
        context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
        info = c2pa.C2paSignerInfo(alg=b"es256", sign_cert=self.certs, private_key=self.key, ta_url=None)
        out = io.BytesIO()
        with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest, context) as builder:
            builder.sign(signer, mime, io.BytesIO(image), out)
        return out.getvalue()


@cache
def signer() -> TestSigner:
    """One signer per test session (key generation is the slow part)."""
    return TestSigner()


def tamper(signed: bytes) -> bytes:
    """``signed`` with one byte of its image data changed: the manifest's hash no longer matches."""
    data = bytearray(signed)
    data[-10] ^= 0xFF
    return bytes(data)

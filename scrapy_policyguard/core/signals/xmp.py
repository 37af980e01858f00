"""IPTC / PLUS "Data Mining" in a media file's XMP packet: ``plus:DataMining`` and what it reserves.

Sources (read 2026-12-06): IPTC Photo Metadata Standard 2023.1 (approved 2023-10-04; the property
"Data Mining", kept in 2024.1 and 2025.1, https://iptc.org/std/photometadata/specification/
IPTC-PhotoMetadata), which adopts the PLUS License Data Format property ``plus:DataMining``
(namespace ``http://ns.useplus.org/ldf/xmp/1.0/``, http://ns.useplus.org/LDF/ldf-XMPSpecification
#DataMining), one value of the vocabulary ``http://ns.useplus.org/ldf/vocab/`` (the terms and what
they mean for each purpose: ``PLUS_DATA_MINING`` in purposes.py), with free-text constraints in
``plus:OtherConstraints`` and machine-readable ones in IPTC's ``iptcExt:EmbdEncRightsExpr`` /
``iptcExt:LinkedEncRightsExpr``. The property is single-valued; a packet that repeats it has every
value read, and any prohibition wins as everywhere else.

The ``...-SEE...`` values prohibit except as those constraints allow: they deny unless
POLICYGUARD_AGREEMENTS names the asset's licence by one of its URLs (``xmpRights:WebStatement``,
``plus:LicensorURL`` or a linked rights expression), as RSL licences are lifted. A value written
as the bare term (``DMI-PROHIBITED``) rather than the vocabulary URI is read too and says so.

Packets are parsed with defusedxml (no DTD, no entities, nothing fetched), as RSL documents are.
A packet whose bytes do not hold the name ``DataMining`` in any of XMP's encodings (UTF-8, -16,
-32) cannot state it (XML names take no character references), so it is not parsed at all: most
packets are a camera's, and parsing one costs a hundred times more than this look.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from ..decision import Evidence, Outcome, Source
from ..purposes import INFERRED, PLUS_CONSTRAINED, PLUS_DATA_MINING

__all__ = ["SOURCE", "XmpError", "XmpRights", "parse_xmp", "xmp_evidence"]

SOURCE = Source.XMP
PLUS = "http://ns.useplus.org/ldf/xmp/1.0/"
VOCABULARY = "http://ns.useplus.org/ldf/vocab/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML = "http://www.w3.org/XML/1998/namespace"
_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"
_IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
_STANDARD = "IPTC Photo Metadata 2023.1 Data Mining (PLUS LDF plus:DataMining)"

#: The vocabulary's labels (as IPTC's and ExifTool's tables give them), for readable evidence.
LABELS = {
    "DMI-UNSPECIFIED": "Unspecified - no prohibition defined",
    "DMI-ALLOWED": "Allowed",
    "DMI-PROHIBITED-AIMLTRAINING": "Prohibited for AI/ML training",
    "DMI-PROHIBITED-GENAIMLTRAINING": "Prohibited for Generative AI/ML training",
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": "Prohibited except for search engine indexing",
    "DMI-PROHIBITED": "Prohibited",
    "DMI-PROHIBITED-SEECONSTRAINT": "Prohibited, see plus:OtherConstraints",
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR": "Prohibited, see iptcExt:EmbdEncRightsExpr",
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR": "Prohibited, see iptcExt:LinkedEncRightsExpr",
}


_MARKERS = tuple(
    "DataMining".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)


class XmpError(ValueError):
    """An XMP packet that cannot be read."""


@dataclass(frozen=True, slots=True)
class XmpRights:
    """What one XMP packet says about data mining, and the URLs that name the asset's licence."""

    data_mining: tuple[str, ...] = ()  # as written
    other_constraints: tuple[str, ...] = ()
    rights_expressions: tuple[str, ...] = ()  # embedded expressions (text) and linked ones (URLs)
    licences: tuple[str, ...] = ()  # xmpRights:WebStatement, plus:LicensorURL, linked expressions


def parse_xmp(packet: bytes) -> XmpRights:
    """The rights statements of one packet; :class:`XmpError` when it is not usable XML."""
    if not any(marker in packet for marker in _MARKERS):
        return XmpRights()
    if not packet.startswith((b"\xff\xfe", b"\xfe\xff")):  # NUL padding, but not inside UTF-16
        packet = packet.strip(b"\x00 \t\r\n")
    try:
        root = SafeET.fromstring(packet, forbid_dtd=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise XmpError("DOCTYPE or entity declarations are refused (no entity expansion)") from None
    except (ET.ParseError, LookupError, ValueError) as exc:
        raise XmpError(f"not well-formed XML: {exc}") from None
    values = _values(root)
    linked = values[_LINKED]
    return XmpRights(
        data_mining=tuple(values[_DATA_MINING]),
        other_constraints=tuple(values[_OTHER_CONSTRAINTS]),
        rights_expressions=(*values[_EMBEDDED], *linked),
        licences=tuple(dict.fromkeys((*values[_WEB_STATEMENT], *values[_LICENSOR_URL], *linked))),
    )


_DATA_MINING = f"{{{PLUS}}}DataMining"
_OTHER_CONSTRAINTS = f"{{{PLUS}}}OtherConstraints"
_LICENSOR_URL = f"{{{PLUS}}}LicensorURL"
_WEB_STATEMENT = f"{{{_RIGHTS}}}WebStatement"
_EMBEDDED = f"{{{_IPTC_EXT}}}EncRightsExpr"
_LINKED = f"{{{_IPTC_EXT}}}LinkedRightsExpr"
_PROPERTIES = (_DATA_MINING, _OTHER_CONSTRAINTS, _LICENSOR_URL, _WEB_STATEMENT, _EMBEDDED, _LINKED)
_RESOURCE = f"{{{_RDF}}}resource"
_LI = f"{{{_RDF}}}li"
_LANG = f"{{{_XML}}}lang"


def _values(root: ET.Element) -> dict[str, list[str]]:
    """Every value of the properties we read, in one walk of the packet: as an attribute of a
    description, as an element's text or ``rdf:resource``, or as the first item of an ``rdf:Alt``,
    ``rdf:Seq`` or ``rdf:Bag`` (the ``x-default`` language first)."""
    found: dict[str, list[str]] = {name: [] for name in _PROPERTIES}
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in found and value.strip():
                found[name].append(value.strip())
        values = found.get(element.tag)
        if values is None:
            continue
        resource = element.attrib.get(_RESOURCE)
        text = (element.text or "").strip()
        if resource:
            values.append(resource.strip())
        elif text:
            values.append(text)
        else:
            items = [li for li in element.iter(_LI) if (li.text or "").strip()]
            items.sort(key=lambda li: li.attrib.get(_LANG) != "x-default")
            values.extend((li.text or "").strip() for li in items[:1])
    return found


def _term(value: str) -> tuple[str | None, bool]:
    """The vocabulary term of a ``plus:DataMining`` value, and whether it was a bare term."""
    for prefix in (VOCABULARY, VOCABULARY.replace("http://", "https://")):
        if value.startswith(prefix):
            term = value[len(prefix) :].strip().upper()
            return (term if term in PLUS_DATA_MINING else None), False
    term = value.strip().upper()
    return (term if term in PLUS_DATA_MINING else None), True


def xmp_evidence(rights: XmpRights, location: str, agreements: Mapping[str, str]) -> list[Evidence]:
    """What the packet's ``plus:DataMining`` values mean for each purpose, quoting each value."""
    found = []
    agreement_url = next((url for url in rights.licences if url in agreements), None)
    for value in dict.fromkeys(rights.data_mining):
        rule = f"plus:DataMining = {value}"
        term, bare = _term(value)
        if term is None:
            found.append(
                Evidence(
                    SOURCE, rule, location, f"not a term of the PLUS vocabulary {VOCABULARY}: no statement"
                )
            )
            continue
        reading = PLUS_DATA_MINING[term]
        refs = {"property": "plus:DataMining", "value": VOCABULARY + term, "standard": _STANDARD}
        detail = f"IPTC/PLUS Data Mining: {LABELS[term]}"
        if bare:
            detail += " (written as the bare term, without the vocabulary URI)"
        conditions = [f"plus:OtherConstraints: {text}" for text in rights.other_constraints]
        conditions += [f"rights expression: {text}" for text in rights.rights_expressions]
        denied, allowed = reading.denied, reading.allowed
        if term in PLUS_CONSTRAINED:
            if agreement_url is not None:
                agreement = agreements[agreement_url]
                refs.update(licence=agreement_url, agreement=agreement)
                detail += f"; lifted by agreement {agreement!r} for the asset's licence {agreement_url}"
                conditions.append(f"under agreement {agreement!r} ({agreement_url})")
                denied, allowed = frozenset(), denied | allowed
            else:
                named = ", ".join(rights.licences) or "none given"
                detail += f"; no agreement names the asset's licence (licence URLs: {named})"
        if not denied and not allowed:
            detail += ": no statement"
        effects = {**dict.fromkeys(allowed, Outcome.ALLOW), **dict.fromkeys(denied, Outcome.DENY)}
        found.append(
            Evidence(
                SOURCE,
                rule,
                location,
                detail,
                effects,
                inferred=frozenset(p for p in effects if ("xmp", term, p) in INFERRED),
                conditions=tuple(dict.fromkeys(conditions)),
                refs=refs,
            )
        )
    return found

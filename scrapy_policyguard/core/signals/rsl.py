"""RSL (Really Simple Licensing) 1.0 licence documents, and what they permit for each purpose.

Source: RSL 1.0 specification, https://rslstandard.org/rsl (Recommendation, 2025-12-10; errata
through 2026-08-07). A document holds ``<content url=… [server=…]>`` scopes, each with licences of
``<permits type="usage">`` / ``<prohibits type="usage">`` tokens and ``<payment>`` terms. For one
URL the narrowest matching content scope applies; a prohibition beats a permission; a ``permits``
list is exhaustive for its type; a licence server or a payment other than ``free`` or
``attribution`` means a licence is required, which denies unless the spider names that licence in
POLICYGUARD_AGREEMENTS (by document or server URL).

Documents are parsed with ``defusedxml``, the maintained hardening of the standard library's XML
parsers, rather than with expat wired by hand: with any DOCTYPE forbidden, entity expansion and
external entities never happen.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import SplitResult

import defusedxml.ElementTree as SafeET
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from ..decision import Evidence, Outcome, Source
from ..paths import PathPattern, host_of, join_url, split_url, utf8
from ..purposes import PURPOSES, RSL_USAGE_TOKENS, Purpose

__all__ = ["SOURCE", "RslDocument", "RslError", "content_evidence", "rsl_evidence"]

SOURCE = Source.RSL
NAMESPACE = "https://rslstandard.org/rsl"
MEDIA_TYPE = "application/rsl+xml"
_FREE_PAYMENTS = frozenset({"free", "attribution"})
_MAX_BYTES = 1024 * 1024
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class RslError(ValueError):
    """A licence document that cannot be used."""


@dataclass(frozen=True, slots=True)
class RslLicense:
    permits: Mapping[str, frozenset[str]]
    prohibits: Mapping[str, frozenset[str]]
    payments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RslContent:
    url: str
    pattern: PathPattern
    host: str | None  # for absolute content URLs: the host they are limited to
    server: str | None
    licenses: tuple[RslLicense, ...]
    terms: str | None = None


@dataclass(frozen=True, slots=True)
class RslDocument:
    url: str
    contents: tuple[RslContent, ...]
    warnings: tuple[str, ...] = field(default=())

    @classmethod
    def parse(cls, data: str | bytes, url: str) -> RslDocument:
        raw = utf8(data) if isinstance(data, str) else bytes(data)
        if len(raw) > _MAX_BYTES:
            raise RslError(f"larger than {_MAX_BYTES} bytes")
        if _DECLARATION.search(raw):  # the clear message for the usual spelling; defusedxml catches the rest
            raise RslError("DOCTYPE or entity declarations are refused (no entity expansion)")
        root = _safe_xml(raw)
        if _local(root.tag) != "rsl":
            # An inline <script type="application/rsl+xml"> may hold <content> directly.
            if _local(root.tag) != "content":
                raise RslError(f"root element is <{_local(root.tag)}>, not <rsl>")
            elements = [root]
        else:
            elements = [el for el in root if _local(el.tag) == "content"]
        contents = []
        warnings = []
        for element in elements:
            content_url = (element.get("url") or "").strip()
            if not content_url:
                warnings.append("<content> without url skipped")
                continue
            licenses = tuple(_license(el) for el in element if _local(el.tag) == "license")
            if not licenses:
                warnings.append(f"<content url={content_url!r}> has no <license>")
            scope = _content_scope(content_url, url)
            if isinstance(scope, str):
                warnings.append(f"<content url={content_url!r}> skipped: {scope}")
                continue
            host, path = scope
            terms = next((el.text.strip() for el in element if _local(el.tag) == "terms" and el.text), None)
            contents.append(
                RslContent(
                    content_url, PathPattern(path), host, element.get("server") or None, licenses, terms
                )
            )
        return cls(url, tuple(contents), tuple(warnings))

    def scope(self, host: str, path: str) -> RslContent | None:
        """The narrowest content scope that covers the URL (RSL 1.0: narrower beats broader)."""
        matching = [c for c in self.contents if (c.host is None or c.host == host) and c.pattern.match(path)]
        if not matching:
            return None
        return max(matching, key=lambda c: (c.pattern.specificity, c.host is not None))


def _content_scope(content_url: str, document_url: str) -> tuple[str | None, str] | str:
    """(host or None for any host, path pattern) of a ``<content url>``, or why it is unusable.

    An absolute or scheme-relative URL names its host; a path applies on whichever site refers
    to the document; a relative path is resolved against the document's URL.
    """
    parts = split_url(content_url)
    if parts is None:
        return "not a usable URL"
    names_host = bool(parts.scheme or parts.netloc)
    if not names_host and content_url.startswith("/"):
        return None, content_url
    resolved = split_url(join_url(document_url, content_url) or "")
    if names_host:
        if resolved is None or resolved.scheme not in ("http", "https") or not resolved.hostname:
            return "not an http(s) URL"
        return resolved.hostname, _path_and_query(resolved)
    if resolved is None or not resolved.path.startswith("/"):
        return f"a relative URL that cannot be resolved against {document_url!r}"
    return None, _path_and_query(resolved)


def _path_and_query(parts: SplitResult) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _safe_xml(raw: bytes) -> ET.Element:
    """Parse, refusing any DOCTYPE or entity declaration in whatever encoding: nothing is expanded
    and nothing is fetched (the billion-laughs and external-entity attacks)."""
    try:
        return SafeET.fromstring(raw, forbid_dtd=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise RslError("DOCTYPE or entity declarations are refused (no entity expansion)") from None
    # expat raises LookupError for an encoding Python does not know, ValueError for one it cannot use.
    except (ET.ParseError, LookupError, ValueError) as exc:
        raise RslError(f"not well-formed XML: {exc}") from None


def _local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1] if text.startswith("{") else text


def _tokens(text: str | None) -> frozenset[str]:
    # RSL 1.0 separates with spaces, 0.9 with commas.
    return frozenset(t.lower() for t in re.split(r"[\s,]+", text or "") if t)


def _license(element: ET.Element) -> RslLicense:
    permits: dict[str, frozenset[str]] = {}
    prohibits: dict[str, frozenset[str]] = {}
    payments: list[str] = []
    for child in element:
        name = _local(child.tag)
        kind = (child.get("type") or "usage").strip().lower()
        if name == "permits":
            permits[kind] = permits.get(kind, frozenset()) | _tokens(child.text)
        elif name == "prohibits":
            prohibits[kind] = prohibits.get(kind, frozenset()) | _tokens(child.text)
        elif name == "payment":
            payments.append(kind)
    return RslLicense(permits, prohibits, tuple(payments))


def _covers(tokens: frozenset[str], purpose: Purpose) -> bool:
    return any(purpose in RSL_USAGE_TOKENS.get(token, frozenset()) for token in tokens)


def _judge(content: RslContent, purpose: Purpose) -> tuple[str, tuple[str, ...]]:
    """``free`` (with conditions), ``licence`` (licence required) or ``prohibited``."""
    best = "prohibited"
    conditions: tuple[str, ...] = ()
    for lic in content.licenses:
        if _covers(lic.prohibits.get("usage", frozenset()), purpose):
            continue
        permitted = lic.permits.get("usage")
        if permitted is not None and not _covers(permitted, purpose):
            continue
        paid = content.server is not None or any(p not in _FREE_PAYMENTS for p in lic.payments)
        terms = []
        if "attribution" in lic.payments:
            terms.append("attribution (RSL)")
        for kind in ("user", "geo"):
            if kind in lic.permits:
                terms.append(f"RSL licence limited to {kind}: {' '.join(sorted(lic.permits[kind]))}")
        if not paid:
            return "free", tuple(terms)
        best, conditions = "licence", tuple(terms)
    return best, conditions


def content_evidence(
    doc: RslDocument, content: RslContent, agreements: Mapping[str, str], channel: str
) -> Evidence:
    """What one content scope of a licence document says for every purpose; ``channel`` says
    where the document was found (robots.txt, the response)."""
    effects: dict[Purpose, Outcome] = {}
    conditions: list[str] = []
    notes = []
    refs = {"document": doc.url, "content": content.url}
    if content.server:
        refs["server"] = content.server
    agreement = agreements.get(doc.url) or (agreements.get(content.server) if content.server else None)
    for purpose in PURPOSES:
        verdict, terms = _judge(content, purpose)
        if verdict == "free":
            effects[purpose] = Outcome.ALLOW
            conditions.extend(terms)
        elif verdict == "licence":
            if agreement:
                effects[purpose] = Outcome.ALLOW
                refs["agreement"] = agreement
                notes.append(f"{purpose}: licence required, agreement {agreement!r}")
            else:
                effects[purpose] = Outcome.DENY
                notes.append(f"{purpose}: licence required")
            conditions.extend(terms)
        else:
            effects[purpose] = Outcome.DENY
            notes.append(f"{purpose}: not licensed")
    if content.terms:
        refs["terms"] = content.terms
    return Evidence(
        SOURCE,
        f'<content url="{content.url}">',
        f"{doc.url} (found via {channel})",
        "RSL licence: " + ("; ".join(notes) if notes else "permits the use"),
        effects,
        conditions=tuple(dict.fromkeys(conditions)),
        refs=refs,
    )


def rsl_evidence(
    documents: Sequence[RslDocument],
    url: str,
    path: str,
    agreements: Mapping[str, str],
    *,
    channel: str,
) -> list[Evidence]:
    """Statements of every licence document that covers ``url``."""
    host = host_of(url)
    found = []
    for doc in documents:
        content = doc.scope(host, path)
        if content is not None and content.licenses:
            found.append(content_evidence(doc, content, agreements, channel))
    return found

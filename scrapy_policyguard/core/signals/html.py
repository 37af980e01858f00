"""What an HTML document's markup says about AI use, read with lxml's HTML parser.

``<meta name="robots">`` and ``<meta name="{our token}">`` directives (see robots_directives.py),
``<meta name="tdm-reservation">`` / ``tdm-policy`` (TDMRep §3.3 (c)), the informal
``<meta name="content-signal">``, RSL ``<link rel="license" type="application/rsl+xml">`` and
inline ``<script type="application/rsl+xml">``, and a paywall declared in schema.org markup
(schema_org.py). lxml recovers from broken markup the way browsers
do; a document it cannot read at all gives no statement and a warning.

The reader takes text or an already parsed lxml tree, so the middleware can hand over the tree
Scrapy's ``response.selector`` parses anyway and the spider's own selectors reuse.
"""

from __future__ import annotations

from typing import Any

import lxml.etree
import lxml.html

from ..decision import Source
from ..paths import join_url, utf8
from .content_signal import parse_content_signal
from .headers import ResponseSignals
from .robots_directives import directive_evidence, parse_directives
from .rsl import MEDIA_TYPE
from .schema_org import PaywallMode, paywall_evidence
from .tdmrep import TdmValues, parse_reservation

__all__ = ["META_SOURCE", "parse_html", "read_html"]

META_SOURCE = Source.HTML_META


def parse_html(document: str | bytes) -> Any:
    """An lxml tree for ``document``, or None when there is nothing to parse."""
    if isinstance(document, str):
        document = utf8(document)
        parser = lxml.html.HTMLParser(encoding="utf-8")
    else:
        parser = lxml.html.HTMLParser()
    if not document.strip():
        return None
    try:
        return lxml.html.document_fromstring(document, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None


def read_html(
    document: str | bytes | Any,
    *,
    url: str,
    own_token: str,
    is_image: bool = False,
    paywall: PaywallMode = PaywallMode.DENY,
) -> ResponseSignals:
    signals = ResponseSignals()
    root = parse_html(document) if isinstance(document, (str, bytes)) else document
    if root is None:
        signals.warnings.append("HTML document could not be parsed: no statements read from it")
        return signals
    # One walk over the page for every element read here: <base>, <meta>, <link>, <script>.
    elements = list(root.iter("base", "meta", "link", "script"))
    signals.evidence.extend(paywall_evidence(elements, paywall))
    base = url
    for element in elements:
        href = element.get("href") if element.tag == "base" else None
        if href:
            base = join_url(url, href.strip()) or url
            break
    own = own_token.lower()
    reservation: int | None = None
    policy: str | None = None
    seen: set[tuple[object, ...]] = set()
    for element in elements:
        tag = element.tag
        if tag == "base":
            continue
        # A repeated element says nothing new; reading it again would only multiply evidence.
        key = (tag, tuple(element.attrib.items()), element.text if tag == "script" else None)
        if key in seen:
            continue
        seen.add(key)
        if tag == "meta":
            name = (element.get("name") or "").strip().lower()
            content = element.get("content")
            if content is None:
                continue
            if name in ("robots", own):
                signals.evidence.extend(
                    directive_evidence(
                        parse_directives(content),
                        source=META_SOURCE,
                        rule=f'<meta name="{element.get("name")}" content="{content}">',
                        location=f"HTML meta {name}",
                        own_token=own_token,
                        is_image=is_image,
                    )
                )
            elif name == "tdm-reservation":
                parsed = parse_reservation(content)
                if parsed is None:
                    signals.warnings.append(f"meta tdm-reservation {content!r} is not 0 or 1: unset")
                else:
                    reservation = parsed
            elif name == "tdm-policy" and content.strip():
                policy = content.strip()
            elif name == "content-signal":
                signals.evidence.append(
                    parse_content_signal(content).evidence(
                        f'<meta name="content-signal" content="{content}">',
                        "HTML meta content-signal",
                        "Content-Signal in a meta tag (a carrier the policy does not define)",
                        informal=True,
                    )
                )
        elif tag == "link":
            rels = (element.get("rel") or "").lower().split()
            href = element.get("href")
            if "license" in rels and href and (element.get("type") or "").strip().lower() == MEDIA_TYPE:
                joined = join_url(base, href.strip())
                if joined is None:
                    signals.warnings.append(f"<link rel=license href={href!r}> is not a usable URL: ignored")
                else:
                    signals.licenses.append(joined)
        elif (element.get("type") or "").strip().lower() == MEDIA_TYPE and element.text:
            signals.inline_licenses.append(element.text)
    if reservation is not None or policy is not None:
        signals.tdm = TdmValues(reservation, policy, "HTML meta tdm-reservation / tdm-policy")
    return signals

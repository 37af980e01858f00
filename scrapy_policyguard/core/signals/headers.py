"""What a response's HTTP headers say about AI use.

Every instance of a repeated header counts (Scrapy's ``getlist``), names are case-insensitive:
``X-Robots-Tag`` (directives, see robots_directives.py), ``Content-Usage`` (AIPREF attach-05: all
instances joined with ", " and parsed as one Dictionary), ``Content-Signal`` (not defined as a
header by Cloudflare's policy but sent by several frameworks: read with the same keys, marked
inferred), ``tdm-reservation`` / ``tdm-policy`` (TDMRep §3.3) and ``Link`` targets with
``rel="license"`` and ``type="application/rsl+xml"`` (RSL 1.0).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..decision import Evidence, Source
from ..paths import join_url
from .content_signal import parse_content_signal
from .content_usage import parse_usage
from .robots_directives import directive_evidence, parse_directives
from .rsl import MEDIA_TYPE
from .tdmrep import TdmValues, parse_reservation

__all__ = ["READ_HEADERS", "X_ROBOTS_SOURCE", "ResponseSignals", "parse_link_header", "read_headers"]

X_ROBOTS_SOURCE = Source.X_ROBOTS_TAG
#: The response headers read_headers reads (lower case); a caller may drop every other one first.
READ_HEADERS = frozenset(
    {"x-robots-tag", "content-usage", "content-signal", "tdm-reservation", "tdm-policy", "link"}
)
# RFC 8288: link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param ), values quoted or not.
_TARGET = re.compile(r"\s*<([^>]*)>")
_PARAM = re.compile(r'\s*;\s*([^\s;,=]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,\s]*)))?')


@dataclass(slots=True)
class ResponseSignals:
    """Statements and pointers one carrier (headers or HTML) gave for one response."""

    evidence: list[Evidence] = field(default_factory=list)
    tdm: TdmValues | None = None
    licenses: list[str] = field(default_factory=list)  # RSL document URLs
    inline_licenses: list[str] = field(default_factory=list)  # inline RSL XML (HTML <script>)
    warnings: list[str] = field(default_factory=list)


def parse_link_header(value: str) -> list[tuple[str, dict[str, str]]]:
    """``Link`` header targets, as written, with their parameters (names lower-cased)."""
    links = []
    pos = 0
    while True:
        target = _TARGET.match(value, pos)
        if target is None:
            break
        params: dict[str, str] = {}
        pos = target.end()
        while (param := _PARAM.match(value, pos)) is not None:
            quoted, bare = param.group(2), param.group(3)
            params[param.group(1).lower()] = (quoted if quoted is not None else bare or "").strip()
            pos = param.end()
        links.append((target.group(1).strip(), params))
        comma = value.find(",", pos)
        if comma < 0:
            break
        pos = comma + 1
    return links


def read_headers(
    headers: Iterable[tuple[str, str]],
    *,
    url: str,
    own_token: str,
    is_image: bool = False,
    legacy_usage: bool = False,
) -> ResponseSignals:
    signals = ResponseSignals()
    usage_values: list[str] = []
    reservation: int | None = None
    policy: str | None = None
    tdm_names: list[str] = []
    seen: set[tuple[str, str]] = set()
    for raw_name, value in headers:
        name = raw_name.strip().lower()
        if name not in READ_HEADERS:
            continue
        # A header repeated with the same value says nothing new (servers and proxies do repeat
        # them); reading it again would only multiply evidence.
        key = (name, value.strip())
        if key in seen:
            continue
        seen.add(key)
        if name == "x-robots-tag":
            signals.evidence.extend(
                directive_evidence(
                    parse_directives(value),
                    source=X_ROBOTS_SOURCE,
                    rule=f"X-Robots-Tag: {value.strip()}",
                    location="header X-Robots-Tag",
                    own_token=own_token,
                    is_image=is_image,
                )
            )
        elif name == "content-usage":
            usage_values.append(value.strip())
        elif name == "content-signal":
            signal = parse_content_signal(value)
            signals.evidence.append(
                signal.evidence(
                    f"Content-Signal: {value.strip()}",
                    "header Content-Signal",
                    "Content-Signal sent as a response header (a carrier the policy does not define)",
                    informal=True,
                )
            )
        elif name == "tdm-reservation":
            parsed = parse_reservation(value)
            if parsed is None:
                signals.warnings.append(f"tdm-reservation header {value!r} is not 0 or 1: unset")
            else:
                reservation = parsed
                tdm_names.append("tdm-reservation")
        elif name == "tdm-policy" and value.strip():
            policy = value.strip()
            tdm_names.append("tdm-policy")
        elif name == "link":
            for target, params in parse_link_header(value):
                rels = params.get("rel", "").lower().split()
                if "license" in rels and params.get("type", "").lower() == MEDIA_TYPE:
                    joined = join_url(url, target)
                    if joined is None:
                        signals.warnings.append(
                            f"Link rel=license target <{target}> is not a usable URL: ignored"
                        )
                    else:
                        signals.licenses.append(joined)
    if usage_values:
        joined = ", ".join(usage_values)
        preference = parse_usage(joined, legacy=legacy_usage)
        signals.evidence.append(
            preference.evidence(
                f"Content-Usage: {joined}",
                "header Content-Usage",
                "AIPREF usage preference of this response"
                + (f" ({preference.error})" if preference.error else ""),
            )
        )
    if reservation is not None or policy is not None:
        signals.tdm = TdmValues(reservation, policy, "header " + " / ".join(tdm_names))
    return signals

"""Robots directives with an AI meaning, in ``X-Robots-Tag`` headers and ``<meta name="robots">``.

``noai`` and ``noimageai`` (DeviantArt, 2022-11: https://www.deviantart.com/team/journal/
UPDATE-All-Deviations-Are-Opted-Out-of-AI-Datasets-934500371), ``noml`` (Mojeek, 2023-10-25,
https://noml.info), ``noarchive`` (Bing 2023-09 and Amazonbot: not for model training),
``nosnippet`` / ``max-snippet:0`` (Google: no direct input to AI features) and ``noindex`` /
``none`` (search). Directive names are case-insensitive; a value may be scoped to one crawler
(``ExampleBot: noai``), which binds only when it names our product token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..decision import Evidence, Outcome, Source
from ..purposes import INFERRED, ROBOTS_DIRECTIVES, Purpose
from ..robots import product_token

__all__ = ["Directive", "directive_evidence", "parse_directives"]

# "unavailable_after: <date>" and "max-snippet: 0" contain a colon but no crawler name.
_VALUED = frozenset({"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"})
_CARRIER = "x-robots-tag"  # the INFERRED table's name for this directive vocabulary
_SCOPE = re.compile(r"\s*([A-Za-z0-9_-]+)\s*:(.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Directive:
    name: str  # lower-case, e.g. "noai" or "max-snippet"
    value: str | None
    scope: str | None  # the crawler token the value was scoped to, lower-case


def parse_directives(value: str) -> list[Directive]:
    """Directives of one header value or meta content, with their crawler scope if any."""
    scope = None
    m = _SCOPE.match(value)
    if m and m.group(1).lower() not in _VALUED:
        scope, value = product_token(m.group(1)), m.group(2)
    found = []
    for part in value.split(","):
        name, sep, arg = part.strip().partition(":")
        name = name.strip().lower()
        if name:
            found.append(Directive(name, arg.strip() if sep else None, scope))
    return found


def _purposes(directive: Directive) -> frozenset[Purpose]:
    if directive.name == "max-snippet" and directive.value is not None and directive.value.strip() == "0":
        return ROBOTS_DIRECTIVES["nosnippet"]
    return ROBOTS_DIRECTIVES.get(directive.name, frozenset())


def directive_evidence(
    directives: list[Directive],
    *,
    source: Source,
    rule: str,
    location: str,
    own_token: str,
    is_image: bool,
) -> list[Evidence]:
    """Evidence for the directives that bind our crawler and carry a usage meaning."""
    own = own_token.lower()
    found = []
    for directive in directives:
        if directive.scope is not None and directive.scope != own:
            continue
        purposes = _purposes(directive)
        if not purposes:
            continue
        name = "nosnippet" if directive.name == "max-snippet" else directive.name
        scoped = f" (scoped to {directive.scope})" if directive.scope else ""
        if directive.name == "noimageai" and not is_image:
            found.append(
                Evidence(
                    source,
                    rule,
                    location,
                    f"noimageai{scoped}: the images of this resource are not for AI use",
                    conditions=("images of this page: not for AI training or AI input (noimageai)",),
                    image_effects=dict.fromkeys(purposes, Outcome.DENY),
                )
            )
            continue
        found.append(
            Evidence(
                source,
                rule,
                location,
                f"{directive.name}{scoped} reserves {', '.join(sorted(map(str, purposes)))}",
                dict.fromkeys(purposes, Outcome.DENY),
                inferred=frozenset(p for p in purposes if (_CARRIER, name, p) in INFERRED),
            )
        )
    return found

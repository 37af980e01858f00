"""IETF AIPREF usage preferences (``Content-Usage``), as header values and robots.txt rule values.

Vocabulary: draft-ietf-aipref-vocab-07 (2026-08-19), ``train-ai`` and ``search``, plus ``ai-use``
from -08; attachment: draft-ietf-aipref-attach-05 (2026-08-19). The value is an RFC 9651
Dictionary; for a known label only the Token ``y`` (allow) or ``n`` (disallow) counts, anything
else (a bare key, a String, ``no``) is unknown; unknown labels are ignored; a value that fails to
parse says nothing at all. Labels of earlier drafts (``ai``, ``tdm``, ``all``, ``train-genai``...)
count only when the legacy mapping is switched on, and are then marked inferred.

The Dictionary is parsed by ``http-sf`` (Mark Nottingham's maintained RFC 9651 parser, which follows
the RFC's parsing algorithms step by step) rather than by a parser of our own; it keeps a Token
(``http_sf.Token``) apart from a String, which the vocabulary's rules depend on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

import http_sf

from ..decision import Evidence, Outcome, Source
from ..purposes import AIPREF_LABELS, AIPREF_LEGACY_LABELS, Purpose

__all__ = ["SOURCE", "UsagePreference", "combine_most_restrictive", "parse_usage"]

SOURCE = Source.CONTENT_USAGE
_TOKENS = {"y": Outcome.ALLOW, "n": Outcome.DENY}

# A member: its Item or Inner List, and its parameters.
_Member = tuple[object, Mapping[str, object]]


@dataclass(frozen=True, slots=True)
class UsagePreference:
    effects: dict[Purpose, Outcome] = field(default_factory=dict)
    error: str | None = None  # why the value says nothing
    legacy: tuple[str, ...] = ()  # legacy labels that were mapped
    legacy_purposes: frozenset[Purpose] = frozenset()  # purposes only a legacy label spoke for
    exceptions: tuple[str, ...] = ()  # CC signals `exceptions` parameters, surfaced to the user

    def evidence(self, rule: str, location: str, detail: str) -> Evidence:
        refs: dict[str, str] = {}
        if self.error:
            refs["error"] = self.error
        if self.legacy:
            refs["legacy_labels"] = ", ".join(self.legacy)
        if self.exceptions:
            refs["exceptions"] = ", ".join(self.exceptions)
        conditions = tuple(f"exception offered: {e} (CC signals)" for e in self.exceptions)
        return Evidence(
            SOURCE,
            rule,
            location,
            detail,
            self.effects,
            inferred=self.legacy_purposes,
            conditions=conditions,
            refs=refs,
        )


def parse_usage(value: str, *, legacy: bool = False) -> UsagePreference:
    try:
        members = _dictionary(value)
    except http_sf.StructuredFieldError as exc:
        return UsagePreference(error=f"not a valid RFC 9651 dictionary ({exc}): no preference")
    effects: dict[Purpose, Outcome] = {}
    legacy_used: list[str] = []
    legacy_purposes: set[Purpose] = set()
    exceptions: list[str] = []
    # Current labels first, so that a legacy label never overrides what a current one said.
    for label in members:
        if label in AIPREF_LABELS:
            _apply(members[label], AIPREF_LABELS[label], effects, exceptions)
    if legacy:
        # Narrower labels first (``ai`` before ``all``), so the more specific one decides whatever
        # the order the site wrote them in.
        labels = sorted(
            (k for k in members if k in AIPREF_LEGACY_LABELS), key=lambda k: len(AIPREF_LEGACY_LABELS[k])
        )
        for label in labels:
            before = dict(effects)
            _apply(members[label], AIPREF_LEGACY_LABELS[label], effects, exceptions, only_unset=True)
            if effects != before:
                legacy_used.append(label)
                legacy_purposes.update(set(effects) - set(before))
    return UsagePreference(
        effects, None, tuple(legacy_used), frozenset(legacy_purposes), tuple(dict.fromkeys(exceptions))
    )


def _dictionary(value: str) -> dict[str, _Member]:
    """The members of an RFC 9651 Dictionary; raises ``StructuredFieldError`` on any syntax error.

    http-sf parses bytes, and a field that is not ASCII fails parsing (RFC 9651 §4.2).
    """
    try:
        data = value.strip().encode("ascii")
    except UnicodeEncodeError as exc:
        raise http_sf.StructuredFieldError("non-ASCII character", position=exc.start) from None
    # A Dictionary member is always parsed as an (Item or Inner List, parameters) pair.
    return cast(dict[str, _Member], http_sf.parse(data, tltype="dictionary"))


def _apply(
    member: _Member,
    purposes: frozenset[Purpose],
    effects: dict[Purpose, Outcome],
    exceptions: list[str],
    *,
    only_unset: bool = False,
) -> None:
    value, params = member
    outcome = _TOKENS.get(str(value)) if isinstance(value, http_sf.Token) else None
    if outcome is None:
        return
    if outcome is Outcome.DENY and "exceptions" in params:
        exceptions.append(str(params["exceptions"]))
    for purpose in purposes:
        if only_unset and purpose in effects:
            continue
        effects[purpose] = outcome


def combine_most_restrictive(preferences: list[UsagePreference]) -> dict[Purpose, Outcome]:
    """AIPREF's rule for several statements: any disallow wins, else any allow."""
    combined: dict[Purpose, Outcome] = {}
    for pref in preferences:
        for purpose, outcome in pref.effects.items():
            if combined.get(purpose) is not Outcome.DENY:
                combined[purpose] = outcome
    return combined

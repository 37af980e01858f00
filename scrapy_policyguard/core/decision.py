"""Evidence, Decision, and the one rule that combines statements from different standards.

No standard says how signals from different standards combine. We use the rule the IETF AIPREF
vocabulary gives for statements "obtained using different methods or from different declaring
parties": per purpose, any deny wins, else any allow, else unknown. Each reader applies its own
standard's precedence before it emits evidence (TDMRep meta over header over file, RSL narrower
scope first, robots.txt longest match), so here every statement simply counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .purposes import PURPOSES, Purpose
from .text_enum import TextEnum

__all__ = [
    "DENY_ALL",
    "Decision",
    "Evidence",
    "EvidenceKind",
    "Outcome",
    "Source",
    "Stage",
    "combine",
    "refusal",
]


class EvidenceKind(TextEnum):
    """``crawl``: whether our crawler may fetch the URL at all (robots.txt for our own product
    token); ``use``: what the content may be used for."""

    CRAWL = "crawl"
    USE = "use"


class Stage(TextEnum):
    """``request``: what was known before fetching; ``response``: with the response's own headers
    and markup read too."""

    REQUEST = "request"
    RESPONSE = "response"


class Source(TextEnum):
    """Who made a statement: the standard or carrier each piece of evidence comes from. The values
    name the ``requests/denied/<source>`` stats and the audit records' ``denied_by``."""

    ROBOTS_TXT = "robots.txt"
    ROBOTS_AI_GROUPS = "robots-ai-groups"
    CONTENT_SIGNAL = "content-signal"
    CONTENT_USAGE = "content-usage"
    AI_TRAINING_RULES = "ai-training-rules"
    TDMREP = "tdmrep"
    RSL = "rsl"
    X_ROBOTS_TAG = "x-robots-tag"
    HTML_META = "html-meta"
    TERMS = "terms"
    #: A pay-per-crawl page not paid for (price above the limits, budget spent) or refused by the
    #: server (``crawler-error``).
    PAY_PER_CRAWL = "pay-per-crawl"
    #: A list of websites recognised as infringing copyright (POLICYGUARD_BLOCKLISTS).
    BLOCKLIST = "blocklist"
    #: The page declares itself paywalled (schema.org ``isAccessibleForFree: false``).
    PAYWALL = "paywall"
    #: IPTC / PLUS ``plus:DataMining`` in a media file's XMP packet.
    XMP = "xmp"
    #: The CAWG (or C2PA 1.x) training-and-data-mining assertion of a media file's C2PA manifest.
    C2PA = "c2pa"
    #: The response could not be read (a warning, no effect).
    RESPONSE = "response"
    #: The crawl's own configuration (a bad per-request purpose).
    POLICYGUARD = "policyguard"


class Outcome(TextEnum):
    ALLOW = "allow"
    DENY = "deny"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, eq=True)
class Evidence:
    """One statement a source made, where it was made, and what it means for each purpose.

    ``effects`` maps purposes to allow or deny; a purpose it does not name is not spoken for.
    Evidence with no effects is a note (an unavailable robots.txt, a condition to honour).
    ``inferred`` lists the purposes for which the effect is our reading rather than the source's
    own words (a Disallow for GPTBot read as an AI-training reservation, say).
    ``image_effects`` is what the statement says about the images the resource embeds, not the
    resource itself (``noimageai`` on a page).
    ``captured`` is the date (WARC-Date) of the archived response the statement was read from, when
    a re-check of collected data read it from a capture rather than from a document fetched now.
    """

    source: Source
    rule: str
    location: str
    detail: str
    effects: Mapping[Purpose, Outcome] = field(default_factory=dict)
    kind: EvidenceKind = EvidenceKind.USE
    inferred: frozenset[Purpose] = frozenset()
    conditions: tuple[str, ...] = ()
    refs: Mapping[str, str] = field(default_factory=dict)
    image_effects: Mapping[Purpose, Outcome] = field(default_factory=dict)
    captured: str | None = None

    __hash__ = None  # type: ignore[assignment]

    def effect(self, purpose: Purpose) -> Outcome | None:
        return self.effects.get(purpose)

    def summary(self) -> str:
        """A compact reason, e.g. ``robots.txt: Disallow: /private (…/robots.txt line 4)``."""
        return f"{self.source}: {self.rule} ({self.location})"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": str(self.source),
            "rule": self.rule,
            "location": self.location,
            "detail": self.detail,
            "kind": str(self.kind),
            "effects": {str(p): str(o) for p, o in self.effects.items()},
        }
        if self.image_effects:
            data["image_effects"] = {str(p): str(o) for p, o in self.image_effects.items()}
        if self.inferred:
            data["inferred"] = sorted(str(p) for p in self.inferred)
        if self.conditions:
            data["conditions"] = list(self.conditions)
        if self.refs:
            data["refs"] = dict(self.refs)
        if self.captured is not None:
            data["captured"] = self.captured
        return data


#: The effects of a statement that closes every purpose.
DENY_ALL: Mapping[Purpose, Outcome] = dict.fromkeys(PURPOSES, Outcome.DENY)


def refusal(rule: str, location: str, detail: str) -> Evidence:
    """Evidence of our own refusal (bad input, our infrastructure failing): every purpose denied,
    so nothing goes through unchecked."""
    return Evidence(Source.POLICYGUARD, rule, location, detail, DENY_ALL, EvidenceKind.CRAWL)


def combine(evidence: Iterable[Evidence], purpose: Purpose) -> Outcome:
    """Any deny wins, else any allow, else unknown."""
    seen_allow = False
    for item in evidence:
        effect = item.effects.get(purpose)
        if effect is Outcome.DENY:
            return Outcome.DENY
        if effect is Outcome.ALLOW:
            seen_allow = True
    return Outcome.ALLOW if seen_allow else Outcome.UNKNOWN


_ALLOW, _DENY, _UNKNOWN = Outcome.ALLOW, Outcome.DENY, Outcome.UNKNOWN


@dataclass(slots=True, eq=False)
class Decision:
    """What may be done with one URL for one declared purpose, and why. Treat it as immutable
    (not frozen only because a frozen dataclass costs microseconds to build on every request).

    ``allowed`` applies the configured default (``POLICYGUARD_UNKNOWN``) to an unknown outcome.
    ``stage`` is ``request`` for what was known before fetching and ``response`` once the
    response's own headers and markup were read too.
    """

    url: str
    purpose: Purpose
    outcome: Outcome
    allowed: bool
    evidence: tuple[Evidence, ...]
    outcomes: Mapping[Purpose, Outcome]
    unknown_allows: bool = True
    stage: Stage = Stage.REQUEST

    @classmethod
    def build(
        cls,
        url: str,
        purpose: Purpose,
        evidence: Iterable[Evidence],
        *,
        unknown_allows: bool = True,
        stage: Stage = Stage.REQUEST,
    ) -> Decision:
        items = tuple(evidence)
        # combine() for every purpose, in one pass over the statements.
        denied: set[Purpose] = set()
        allowed_by: set[Purpose] = set()
        for item in items:
            for p, effect in item.effects.items():
                if effect is _DENY:
                    denied.add(p)
                else:
                    allowed_by.add(p)
        outcomes = {p: _DENY if p in denied else _ALLOW if p in allowed_by else _UNKNOWN for p in PURPOSES}
        outcome = outcomes[purpose]
        allowed = outcome is _ALLOW or (outcome is _UNKNOWN and unknown_allows)
        return cls(url, purpose, outcome, allowed, items, outcomes, unknown_allows, stage)

    def extend(self, evidence: Iterable[Evidence], *, stage: Stage | None = None) -> Decision:
        """This decision with more evidence (a response's headers after the robots.txt check)."""
        return Decision.build(
            self.url,
            self.purpose,
            (*self.evidence, *evidence),
            unknown_allows=self.unknown_allows,
            stage=stage or self.stage,
        )

    def for_purpose(self, purpose: Purpose) -> Decision:
        """The same evidence judged for another purpose."""
        return Decision.build(
            self.url, purpose, self.evidence, unknown_allows=self.unknown_allows, stage=self.stage
        )

    @property
    def denials(self) -> tuple[Evidence, ...]:
        """The evidence that denies the declared purpose."""
        return tuple(e for e in self.evidence if e.effects.get(self.purpose) is Outcome.DENY)

    @property
    def crawl_denied(self) -> bool:
        """True when our crawler may not fetch the URL at all, whatever the purpose."""
        return any(e.kind is EvidenceKind.CRAWL and Outcome.DENY in e.effects.values() for e in self.evidence)

    @property
    def images_denied(self) -> bool:
        """True when a statement reserves the resource's embedded images for the declared purpose
        (``noimageai`` on a page): its image files are not for this use even where the page is."""
        return any(e.image_effects.get(self.purpose) is Outcome.DENY for e in self.evidence)

    @property
    def denied_by(self) -> tuple[Source, ...]:
        """The sources that deny, in order, without repeats."""
        return tuple(dict.fromkeys(e.source for e in self.denials))

    @property
    def conditions(self) -> tuple[str, ...]:
        """What a use must honour: conditions of statements about this purpose, and of notes."""
        return tuple(
            dict.fromkeys(
                c for e in self.evidence if not e.effects or self.purpose in e.effects for c in e.conditions
            )
        )

    @property
    def reason(self) -> str:
        """One line for logs and exceptions."""
        if self.denials:
            return "; ".join(e.summary() for e in self.denials)
        if self.outcome is Outcome.UNKNOWN:
            default = "allow" if self.unknown_allows else "deny"
            return f"no statement for {self.purpose}; default for unknown is {default}"
        allows = [e for e in self.evidence if e.effects.get(self.purpose) is Outcome.ALLOW]
        return "; ".join(e.summary() for e in allows) or str(self.outcome)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "purpose": str(self.purpose),
            "outcome": str(self.outcome),
            "allowed": self.allowed,
            "stage": str(self.stage),
            "outcomes": {str(p): str(o) for p, o in self.outcomes.items()},
            "denied_by": [str(s) for s in self.denied_by],
            "conditions": list(self.conditions),
            "evidence": [e.to_dict() for e in self.evidence],
        }

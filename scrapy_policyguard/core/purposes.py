"""The purposes a crawl can declare, and how each standard's vocabulary maps onto them.

Three purposes cover what AI-data crawls do and what sites distinguish today:

``ai-train``  training or fine-tuning AI models (Content Signals ``ai-train``, AIPREF ``train-ai``,
              RSL ``ai-train``).
``ai-input``  retrieval, grounding and other inference-time input to AI models (Content Signals
              ``ai-input``, AIPREF vocab-08 ``ai-use``, RSL ``ai-input`` and ``ai-index``).
``search``    building a search index that links back to the source (``search`` in all three).

The tables below are the single place where a standard's term becomes a purpose. A mapping that
is our reading rather than the standard's own words is listed in ``INFERRED`` and every piece of
evidence produced through it says so.
"""

from __future__ import annotations

from typing import NamedTuple

from .text_enum import TextEnum

__all__ = [
    "AIPREF_LABELS",
    "AIPREF_LEGACY_LABELS",
    "AI_PURPOSES",
    "CONTENT_SIGNAL_KEYS",
    "INFERRED",
    "PLUS_CONSTRAINED",
    "PLUS_DATA_MINING",
    "PURPOSES",
    "ROBOTS_DIRECTIVES",
    "RSL_USAGE_TOKENS",
    "TDM_RESERVATION",
    "TRAINING_MINING_ENTRIES",
    "Purpose",
    "UnknownPurposeError",
    "UsageReading",
    "parse_purpose",
]


class Purpose(TextEnum):
    AI_TRAIN = "ai-train"
    AI_INPUT = "ai-input"
    SEARCH = "search"


PURPOSES: tuple[Purpose, ...] = tuple(Purpose)
#: The purposes that use content for AI: TDMRep and the AI-crawler groups speak about these.
AI_PURPOSES: frozenset[Purpose] = frozenset({Purpose.AI_TRAIN, Purpose.AI_INPUT})
_ALL = frozenset(PURPOSES)
_AI = AI_PURPOSES


class UnknownPurposeError(ValueError):
    """A purpose name that is not in the vocabulary."""


def parse_purpose(value: str | Purpose) -> Purpose:
    """The :class:`Purpose` named by ``value``; anything else is an error that lists the choices."""
    if isinstance(value, Purpose):
        return value
    try:
        return Purpose(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(p.value for p in PURPOSES)
        raise UnknownPurposeError(f"unknown purpose {value!r}; use one of: {choices}") from None


#: Cloudflare Content Signals (https://contentsignals.org, 2025-09-24): key -> purpose.
CONTENT_SIGNAL_KEYS: dict[str, frozenset[Purpose]] = {
    "ai-train": frozenset({Purpose.AI_TRAIN}),
    "ai-input": frozenset({Purpose.AI_INPUT}),
    "search": frozenset({Purpose.SEARCH}),
}

#: IETF AIPREF vocabulary (draft-ietf-aipref-vocab-07, 2026-08-19; ``ai-use`` from -08).
AIPREF_LABELS: dict[str, frozenset[Purpose]] = {
    "train-ai": frozenset({Purpose.AI_TRAIN}),
    "ai-use": frozenset({Purpose.AI_INPUT}),
    "search": frozenset({Purpose.SEARCH}),
}

#: Labels of earlier AIPREF revisions still deployed; -07 says to ignore them, so they count only
#: when POLICYGUARD_CONTENT_USAGE_LEGACY is on (and are then marked inferred).
AIPREF_LEGACY_LABELS: dict[str, frozenset[Purpose]] = {
    "all": _ALL,
    "bots": _ALL,
    "tdm": _ALL,
    "ai": frozenset({Purpose.AI_TRAIN}),
    "genai": frozenset({Purpose.AI_TRAIN}),
    "train-genai": frozenset({Purpose.AI_TRAIN}),
    "inference": frozenset({Purpose.AI_INPUT}),
    "ai-output": frozenset({Purpose.AI_INPUT}),
}

#: RSL 1.0 usage tokens (https://rslstandard.org/rsl). ``train-ai`` is the pre-1.0 spelling.
#: ``ai-index`` (inclusion in an AI retrieval index) has no purpose of its own: it is retrieval
#: for AI input, so we read it as ``ai-input``.
RSL_USAGE_TOKENS: dict[str, frozenset[Purpose]] = {
    "all": _ALL,
    "ai-all": _AI,
    "ai-train": frozenset({Purpose.AI_TRAIN}),
    "train-ai": frozenset({Purpose.AI_TRAIN}),
    "ai-input": frozenset({Purpose.AI_INPUT}),
    "ai-index": frozenset({Purpose.AI_INPUT}),
    "search": frozenset({Purpose.SEARCH}),
}

#: TDMRep (W3C CG report 2024-05-10): a reservation covers text and data mining, which takes in
#: training and AI input; search indexing is left to robots.txt.
TDM_RESERVATION: frozenset[Purpose] = _AI

#: X-Robots-Tag / meta robots directives with a usage meaning -> purposes they deny.
ROBOTS_DIRECTIVES: dict[str, frozenset[Purpose]] = {
    "noai": _AI,  # DeviantArt 2022: not for AI datasets nor as input to AI models
    "noimageai": _AI,  # the same, for images
    "noml": _AI,  # Mojeek 2023: searchable, not for machine learning
    "noarchive": frozenset({Purpose.AI_TRAIN}),  # Bing 2023 and Amazonbot: not for model training
    "nosnippet": frozenset({Purpose.AI_INPUT}),  # Google: no direct input to AI Overviews
    "noindex": frozenset({Purpose.SEARCH}),
    "none": frozenset({Purpose.SEARCH}),
}


class UsageReading(NamedTuple):
    """What one value of a vocabulary denies and allows."""

    denied: frozenset[Purpose]
    allowed: frozenset[Purpose]


_NONE: frozenset[Purpose] = frozenset()
_TRAIN = frozenset({Purpose.AI_TRAIN})

#: IPTC Photo Metadata Standard 2023.1 (approved 2023-10-04, kept in 2024.1 and 2025.1) property
#: "Data Mining", XMP ``plus:DataMining`` from the PLUS License Data Format
#: (http://ns.useplus.org/LDF/ldf-XMPSpecification#DataMining; IPTC announcement
#: https://iptc.org/news/exclude-images-from-generative-ai-iptc-photo-metadata-standard-2023-1/; both
#: read 2026-12-06): one term of the vocabulary http://ns.useplus.org/ldf/vocab/. PLUS lists search
#: engine indexing as the one use a prohibition may except, so search is a use the property governs.
PLUS_DATA_MINING: dict[str, UsageReading] = {
    "DMI-UNSPECIFIED": UsageReading(_NONE, _NONE),  # "neither allowed nor prohibited"
    "DMI-ALLOWED": UsageReading(_NONE, _ALL),
    "DMI-PROHIBITED-AIMLTRAINING": UsageReading(_TRAIN, _NONE),
    "DMI-PROHIBITED-GENAIMLTRAINING": UsageReading(_TRAIN, _NONE),
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": UsageReading(_AI, frozenset({Purpose.SEARCH})),
    "DMI-PROHIBITED": UsageReading(_ALL, _NONE),
    "DMI-PROHIBITED-SEECONSTRAINT": UsageReading(_ALL, _NONE),
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR": UsageReading(_ALL, _NONE),
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR": UsageReading(_ALL, _NONE),
}
#: Prohibitions that point at constraints stated elsewhere (``plus:OtherConstraints``, an embedded
#: or linked rights expression): an agreement naming the asset's licence lifts them.
PLUS_CONSTRAINED: frozenset[str] = frozenset(
    {
        "DMI-PROHIBITED-SEECONSTRAINT",
        "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
        "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR",
    }
)

#: CAWG Training and Data Mining Assertion 1.1 (``cawg.training-mining``, working-group approved
#: 2025-05-06, https://github.com/decentralized-identity/cawg-training-and-data-mining-assertion,
#: read 2026-12-06): entry name without its ``cawg.`` prefix (C2PA 1.x ``c2pa.training-mining`` used
#: ``c2pa.``) -> purposes. ``data_mining`` is extraction "for purposes of determining patterns,
#: trends, and correlations", text and data mining as TDMRep reserves it.
TRAINING_MINING_ENTRIES: dict[str, frozenset[Purpose]] = {
    "data_mining": _AI,
    "ai_inference": frozenset({Purpose.AI_INPUT}),
    "ai_generative_training": _TRAIN,
    "ai_training": _TRAIN,
}

#: (standard, term, purpose) readings that are ours, not the standard's words.
INFERRED: frozenset[tuple[str, str, Purpose]] = frozenset(
    {
        ("x-robots-tag", "noai", Purpose.AI_INPUT),
        ("x-robots-tag", "noimageai", Purpose.AI_INPUT),
        ("x-robots-tag", "noarchive", Purpose.AI_TRAIN),
        ("x-robots-tag", "nosnippet", Purpose.AI_INPUT),
        ("tdmrep", "tdm-reservation", Purpose.AI_INPUT),
        # Data mining read as taking in AI input, as for TDMRep.
        *(
            ("xmp", term, Purpose.AI_INPUT)
            for term, reading in PLUS_DATA_MINING.items()
            if reading.denied == _ALL
        ),
        ("xmp", "DMI-ALLOWED", Purpose.AI_INPUT),
        ("xmp", "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", Purpose.AI_INPUT),
        # One kind of training (generative, or non-generative) read as our whole ai-train.
        ("xmp", "DMI-PROHIBITED-GENAIMLTRAINING", Purpose.AI_TRAIN),
        ("c2pa", "ai_generative_training", Purpose.AI_TRAIN),
        ("c2pa", "ai_training", Purpose.AI_TRAIN),
        ("c2pa", "data_mining", Purpose.AI_INPUT),
    }
)

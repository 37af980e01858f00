"""Content Credentials: the training-and-data-mining assertion of a media file's C2PA manifest.

Sources (read 2026-12-06): CAWG Training and Data Mining Assertion 1.1 (working-group approved
2025-05-06, https://github.com/decentralized-identity/cawg-training-and-data-mining-assertion):
label ``cawg.training-mining``, an ``entries`` map whose pre-defined keys are ``cawg.data_mining``,
``cawg.ai_inference``, ``cawg.ai_generative_training`` and ``cawg.ai_training``, each
``{"use": "allowed" | "notAllowed" | "constrained", "constraint_info": ...}``; "in the absence of
additional information, ``constrained`` shall be treated as equivalent to ``notAllowed``". C2PA
Technical Specification 1.4 defined the same assertion as ``c2pa.training-mining`` with ``c2pa.``
entry names; both are read (``TRAINING_MINING_ENTRIES`` in purposes.py maps them to purposes).
``constrained`` denies unless POLICYGUARD_AGREEMENTS names the licence its ``constraint_info`` gives.

Manifests are read and validated by the C2PA project's own Python bindings, c2pa-python
(https://github.com/contentauth/c2pa-python; an optional extra, ``scrapy-policyguard[c2pa]``),
offline: no remote manifest and no OCSP response is fetched. The active manifest is read. Its
``validation_state`` decides how far its statements are verified: ``Trusted`` (signature valid,
signer on a trust list), ``Valid`` (signature valid, signer not on a trust list the crawl holds) or
``Invalid`` (the signature or a hash does not validate). An invalid manifest's statements are
marked unverified: its prohibitions still count, since a reservation needs no signature, but its
permissions are not relied on.
"""

from __future__ import annotations

import importlib.util
import io
import json
import mmap
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..decision import Evidence, Outcome, Source
from ..purposes import INFERRED, TRAINING_MINING_ENTRIES
from ..text_enum import TextEnum

__all__ = [
    "INSTALL_HINT",
    "SOURCE",
    "C2paReadError",
    "ManifestReading",
    "Validation",
    "available",
    "read_manifest",
    "training_mining_evidence",
    "unreadable_assertion_evidence",
]

SOURCE = Source.C2PA
INSTALL_HINT = "pip install 'scrapy-policyguard[c2pa]'"
LABELS = ("cawg.training-mining", "c2pa.training-mining")
_VERSIONED = re.compile(r"\.v\d+$")
#: Offline reading: nothing a file points at is fetched (settings of c2pa-rs, as c2pa-python documents).
_SETTINGS = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


class Validation(TextEnum):
    TRUSTED = "trusted"
    VALID = "valid"  # signature valid, signer not on a trust list the crawl holds
    INVALID = "invalid"


class C2paReadError(ValueError):
    """A manifest store that is present but cannot be read."""


@dataclass(frozen=True, slots=True)
class ManifestReading:
    """The active manifest's training-and-data-mining assertions and how far it validated."""

    manifest: str
    validation: Validation
    failures: tuple[str, ...] = ()
    assertions: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    signer: str | None = None


@cache
def available() -> bool:
    """Whether c2pa-python is installed."""
    return importlib.util.find_spec("c2pa") is not None


@cache
def _context() -> Any:
    import c2pa

    return c2pa.Context.from_dict(_SETTINGS)


def read_manifest(source: bytes | mmap.mmap | Path, mime: str) -> ManifestReading | None:
    """The active manifest of ``source`` (None when it has none); :class:`C2paReadError` when a
    manifest store is there but unreadable. Needs c2pa-python (see :func:`available`)."""
    import c2pa

    try:
        if isinstance(source, Path):
            with source.open("rb") as stream:
                store = _store(c2pa.Reader.try_create(mime, stream, None, _context()))
        else:
            store = _store(c2pa.Reader.try_create(mime, io.BytesIO(source[:]), None, _context()))
    except c2pa.C2paError as exc:
        raise C2paReadError(f"{type(exc).__name__.lstrip('_')}: {exc}".rstrip(": ")) from None
    if store is None:
        return None
    try:
        label = store["active_manifest"]
        manifest = store["manifests"][label]
        assertions = tuple(
            (str(a["label"]), a.get("data") or {})
            for a in manifest.get("assertions") or []
            if isinstance(a, Mapping) and _VERSIONED.sub("", str(a.get("label"))) in LABELS
        )
    except (KeyError, TypeError) as exc:
        raise C2paReadError(f"manifest store without an active manifest ({exc})") from None
    failures = _failures(store)
    # A state this module does not know is not taken for a validation.
    state = str(store.get("validation_state") or "").lower()
    validation = Validation(state) if state in Validation.__members__.values() else Validation.INVALID
    signature = manifest.get("signature_info") or {}
    signer = signature.get("common_name") or signature.get("issuer")
    return ManifestReading(str(label), validation, failures, assertions, signer)


def _store(reader: Any) -> dict[str, Any] | None:
    if reader is None:
        return None
    with reader:
        store = json.loads(reader.json())
    return store if isinstance(store, dict) else None


def _failures(store: Mapping[str, Any]) -> tuple[str, ...]:
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    items = results.get("failure") if results else store.get("validation_status")
    return tuple(str(item.get("code")) for item in items or [] if isinstance(item, Mapping))


def _verification(reading: ManifestReading) -> str:
    if reading.validation is Validation.TRUSTED:
        return "signed; signature valid, signer trusted"
    if reading.validation is Validation.VALID:
        return "signed; signature valid, the signer is on no trust list this crawl holds"
    codes = ", ".join(code for code in reading.failures if code != "signingCredential.untrusted")
    return f"UNVERIFIED: the manifest does not validate ({codes or 'invalid'})"


def training_mining_evidence(
    reading: ManifestReading, location: str, agreements: Mapping[str, str]
) -> list[Evidence]:
    """One statement per entry of the manifest's training-and-data-mining assertions."""
    entries = _Entries(reading, location, agreements)
    found = []
    for label, data in reading.assertions:
        mapping = data.get("entries") if isinstance(data, Mapping) else None
        custom = []
        for key, entry in mapping.items() if isinstance(mapping, Mapping) else ():
            prefix, _, name = str(key).partition(".")
            if prefix not in ("cawg", "c2pa") or name not in TRAINING_MINING_ENTRIES:
                custom.append(str(key))
            else:
                found.append(entries.evidence(label, str(key), name, entry))
        if custom or not isinstance(mapping, Mapping):
            detail = (
                f"custom entries, not read: {', '.join(custom)}" if custom else "no entries map: no statement"
            )
            found.append(Evidence(SOURCE, label, location, detail, refs={"assertion": label, **entries.refs}))
    return found


def unreadable_assertion_evidence(data: bytes | mmap.mmap, location: str) -> list[Evidence]:
    """What a manifest store that c2pa-python refuses still says: if it holds a box labelled as a
    training-and-data-mining assertion, every AI use that assertion can reserve is denied,
    unverified. The entries cannot be read, so this is our reading (``inferred``); a store that
    breaks must not make its reservation disappear (fail closed). A store naming no such
    assertion says nothing about AI use."""
    named = [label for label in LABELS if data.find(label.encode("ascii")) >= 0]
    if not named:
        return []
    label = named[0]
    effects = dict.fromkeys(frozenset().union(*TRAINING_MINING_ENTRIES.values()), Outcome.DENY)
    return [
        Evidence(
            SOURCE,
            f"{label}: unreadable",
            location,
            f"the manifest store names a {label} assertion but cannot be read, so its entries are "
            "unknown: read as notAllowed for every AI use it can reserve (UNVERIFIED)",
            effects,
            inferred=frozenset(effects),
            refs={"assertion": label, "validation": "unreadable"},
        )
    ]


class _Entries:
    """Evidence for the entries of one manifest: where it was, how far it validated, what the
    crawl's agreements cover."""

    def __init__(self, reading: ManifestReading, location: str, agreements: Mapping[str, str]) -> None:
        self.location = location
        self.agreements = agreements
        self.verified = reading.validation is not Validation.INVALID
        self.verification = _verification(reading)
        self.refs = {"manifest": reading.manifest, "validation": str(reading.validation)}
        if reading.failures:
            self.refs["failures"] = " ".join(reading.failures)
        if reading.signer:
            self.refs["signer"] = reading.signer

    def evidence(self, label: str, key: str, name: str, entry: Any) -> Evidence:
        use = str(entry.get("use")) if isinstance(entry, Mapping) else str(entry)
        info = (
            entry.get("constraint_info", entry.get("constraints_info"))
            if isinstance(entry, Mapping)
            else None
        )
        refs = {"assertion": label, "entry": key, "use": use, **self.refs}
        conditions: tuple[str, ...] = ()
        effect: Outcome | None = None
        if use == "notAllowed":
            effect, detail = Outcome.DENY, f"{key} is not allowed"
        elif use == "constrained":
            refs["constraint_info"] = str(info or "")
            conditions = (f"{key} constrained: {info}",) if info else ()
            agreement = self.agreements.get(str(info)) if info else None
            if agreement and self.verified:
                effect, detail = Outcome.ALLOW, f"{key} is constrained; agreement {agreement!r} names {info}"
                refs["agreement"] = agreement
                conditions = (*conditions, f"under agreement {agreement!r} ({info})")
            else:
                effect = Outcome.DENY
                detail = (
                    f"{key} is constrained, which reads as notAllowed without an agreement naming its licence"
                )
        elif use == "allowed":
            detail = f"{key} is allowed"
            if self.verified:
                effect = Outcome.ALLOW
            else:
                detail += ", but an unverified permission is not relied on"
        else:
            detail = f"{key} has use {use!r}, which the assertion does not define: no statement"
        effects = dict.fromkeys(TRAINING_MINING_ENTRIES[name], effect) if effect is not None else {}
        return Evidence(
            SOURCE,
            f"{label}: {key} = {use}",
            self.location,
            f"{detail} ({self.verification})",
            effects,
            inferred=frozenset(p for p in effects if ("c2pa", name, p) in INFERRED),
            conditions=conditions,
            refs=refs,
        )

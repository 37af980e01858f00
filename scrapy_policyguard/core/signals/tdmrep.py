"""TDM Reservation Protocol: ``/.well-known/tdmrep.json``, ``tdm-reservation`` / ``tdm-policy``
headers and meta tags.

Source: W3C TDM Reservation Protocol, Community Group Final Report 2024-05-10,
https://www.w3.org/community/reports/tdmrep/CG-FINAL-tdmrep-20240510/. The file is a JSON array of
rules; the first rule whose ``location`` matches (robots.txt pattern syntax) is used, not the
longest. Headers supersede the file and HTML meta supersedes headers, property by property: the
absence of a property never resets a value found earlier. ``tdm-reservation`` is 1 or 0; any other
value is a protocol error and counts as unset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..decision import Evidence, Outcome, Source
from ..paths import PathPattern
from ..purposes import INFERRED, TDM_RESERVATION

__all__ = ["SOURCE", "TdmRepError", "TdmRepFile", "TdmValues", "parse_reservation", "tdm_evidence"]

SOURCE = Source.TDMREP
_MAX_RULES = 10_000


class TdmRepError(ValueError):
    """tdmrep.json that cannot be used (not JSON, not an array of rules)."""


def parse_reservation(value: object) -> int | None:
    """1 or 0; anything else (2, "yes", "", None) is a protocol error, i.e. unset."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value in (0, 1):
        return value
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return int(value.strip())
    return None


@dataclass(frozen=True, slots=True)
class TdmValues:
    """The TDMRep properties one carrier gave; None means the carrier did not give it."""

    reservation: int | None = None
    policy: str | None = None
    location: str = ""  # where the values were found, for evidence


@dataclass(frozen=True, slots=True)
class _Rule:
    index: int
    pattern: PathPattern
    values: TdmValues


class TdmRepFile:
    """A parsed tdmrep.json. ``warnings`` lists rules that were skipped and why."""

    def __init__(self, url: str, rules: list[_Rule], warnings: list[str]) -> None:
        self.url = url
        self.rules = tuple(rules)
        self.warnings = tuple(warnings)

    @classmethod
    def parse(cls, text: str | bytes, url: str) -> TdmRepFile:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise TdmRepError(f"not JSON: {exc}") from None
        if not isinstance(data, list):
            raise TdmRepError(f"must be a JSON array of rules, not {type(data).__name__}")
        rules: list[_Rule] = []
        warnings: list[str] = []
        for index, entry in enumerate(data[:_MAX_RULES]):
            if not isinstance(entry, dict):
                warnings.append(f"rule {index}: not an object")
                continue
            location = entry.get("location")
            if not isinstance(location, str) or not location:
                warnings.append(f"rule {index}: no location")
                continue
            if not location.startswith("/"):
                location = "/" + location
            raw = entry.get("tdm-reservation")
            # In the file the value is a JSON integer; a string "1" is a protocol error too.
            reservation = parse_reservation(raw) if isinstance(raw, int) else None
            if reservation is None:
                warnings.append(
                    f"rule {index}: tdm-reservation {entry.get('tdm-reservation')!r} is not 0 or 1"
                )
            policy = entry.get("tdm-policy")
            values = TdmValues(
                reservation,
                policy if isinstance(policy, str) and policy else None,
                f"{url} rule {index} (location {location})",
            )
            rules.append(_Rule(index, PathPattern(location), values))
        if len(data) > _MAX_RULES:
            warnings.append(f"only the first {_MAX_RULES} rules are read")
        return cls(url, rules, warnings)

    def match(self, path: str) -> TdmValues | None:
        """The first rule in array order whose location matches (TDMRep §3.2.1)."""
        for rule in self.rules:
            if rule.pattern.match(path):
                return rule.values
        return None


def tdm_evidence(*carriers: TdmValues | None) -> Evidence | None:
    """One statement from the carriers, least specific first (file, header, meta)."""
    reservation = policy = None
    decided_by = policy_from = ""
    for values in carriers:
        if values is None:
            continue
        if values.reservation is not None:
            reservation, decided_by = values.reservation, values.location
        if values.policy is not None:
            policy, policy_from = values.policy, values.location
    if reservation is None:
        return None
    refs = {"tdm-reservation": str(reservation)}
    conditions: tuple[str, ...] = ()
    if policy:
        refs["tdm-policy"] = policy
        refs["tdm-policy_from"] = policy_from
        if reservation == 1:
            conditions = (f"TDM licence terms offered: {policy}",)
    outcome = Outcome.DENY if reservation == 1 else Outcome.ALLOW
    verb = "reserves" if reservation == 1 else "does not reserve"
    inferred = frozenset(p for p in TDM_RESERVATION if (SOURCE, "tdm-reservation", p) in INFERRED)
    return Evidence(
        SOURCE,
        f"tdm-reservation: {reservation}",
        decided_by,
        f"TDMRep {verb} text and data mining rights (read as {', '.join(sorted(map(str, TDM_RESERVATION)))})",
        dict.fromkeys(TDM_RESERVATION, outcome),
        inferred=inferred,
        conditions=conditions,
        refs=refs,
    )

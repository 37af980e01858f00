"""Each request, response, item and re-checked capture: counted by the ledger, audited when it calls
for it.

Denials, overrides and removed captures are always audited; allowed requests, unchanged
responses, allowed items and kept captures only with POLICYGUARD_AUDIT_ALL, so the trail stays
small while the ``totals`` record still counts everything per origin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.paths import origin_of
from .accounting import NO_ORIGIN, NO_URL, ItemAction, Ledger, RecheckAction, RequestAction, ResponseAction
from .audit import AuditLog, Record

if TYPE_CHECKING:
    from scrapy import Request

    from ..core.decision import Decision
    from .items import ItemRecord

__all__ = ["Outcomes"]

#: The source counted when a decision denies without any evidence that denies (unknown outcome
#: with POLICYGUARD_UNKNOWN = "deny").
DEFAULT_SOURCE = "default"


def _sources(decision: Decision | None) -> tuple[str, ...]:
    if decision is None:
        return ("unknown-provenance",)
    return tuple(map(str, decision.denied_by)) or (DEFAULT_SOURCE,)


def decision_fields(decision: Decision) -> dict[str, Any]:
    """A Decision as the fields of a ``request`` or ``response`` record."""
    return {
        "purpose": str(decision.purpose),
        "outcome": str(decision.outcome),
        "allowed": decision.allowed,
        "stage": str(decision.stage),
        "reason": decision.reason,
        "denied_by": [str(s) for s in decision.denied_by],
        "conditions": list(decision.conditions),
        "evidence": [e.to_dict() for e in decision.evidence],
    }


class Outcomes:
    def __init__(self, ledger: Ledger, audit: AuditLog, *, audit_all: bool) -> None:
        self.ledger = ledger
        self.audit = audit
        self.audit_all = audit_all

    def request(
        self, request: Request, decision: Decision | None, action: RequestAction, **extra: Any
    ) -> None:
        denied = action in (RequestAction.BLOCKED, RequestAction.WOULD_BLOCK, RequestAction.MARKED)
        sources = _sources(decision) if denied else ()
        self.ledger.count(Record.REQUEST, action, origin_of(request.url), sources)
        if action is RequestAction.ALLOWED and not self.audit_all:
            return
        fields: dict[str, Any] = {"url": request.url, "method": request.method, "action": str(action)}
        if decision is not None:
            fields.update(decision_fields(decision))
        self.audit.write(Record.REQUEST, **fields, **extra)

    def response(self, request: Request, decision: Decision, newly_denied: bool) -> None:
        """A response-stage decision; audited when the response itself brought a denial."""
        action = ResponseAction.MARKED if newly_denied else ResponseAction.ALLOWED
        sources = _sources(decision) if newly_denied else ()
        self.ledger.count(Record.RESPONSE, action, origin_of(request.url), sources)
        if newly_denied or self.audit_all:
            self.audit.write(
                Record.RESPONSE,
                url=request.url,
                method=request.method,
                action=str(action),
                **decision_fields(decision),
            )

    def item(self, record: ItemRecord, action: ItemAction) -> None:
        tag = record.tag or {}
        allowed = bool(tag.get("allowed"))
        sources = () if allowed else _sources(record.decision)
        origin = origin_of(record.source_url) if record.source_url else NO_ORIGIN
        self.ledger.count(Record.ITEM, action, origin, sources)
        if record.decision is None:
            self.ledger.inc("items/unknown_provenance")
        if record.files_denied:
            self.ledger.inc("items/files_denied", len(record.files_denied))
        if allowed and not self.audit_all:
            return
        self.audit.write(
            Record.ITEM,
            action=str(action),
            url=record.source_url,
            origin=origin,
            fingerprint=tag.get("fingerprint"),
            purpose=tag.get("purpose"),
            outcome=tag.get("outcome"),
            allowed=allowed,
            reasons=tag.get("reasons"),
            denied_by=list(sources),
            provenance=tag.get("provenance"),
            files_denied=record.files_denied,
            conditions=tag.get("conditions"),
        )

    def recheck(self, url: str, decision: Decision, action: RecheckAction, **fields: Any) -> None:
        """A capture of collected data kept or removed by ``policyguard recheck``."""
        removed = action is RecheckAction.REMOVED
        origin = origin_of(url) if url else NO_URL
        self.ledger.count(Record.RECHECK, action, origin, _sources(decision) if removed else ())
        if removed or self.audit_all:
            self.audit.write(
                Record.RECHECK,
                url=url,
                origin=origin,
                action=str(action),
                **fields,
                **decision_fields(decision),
            )

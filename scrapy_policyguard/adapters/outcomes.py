"""Each request, response, item and re-checked capture: counted by the ledger, audited when it calls
for it.

Denials, overrides, media files not stored and removed captures are always audited; allowed
requests, unchanged responses, allowed items and kept captures only with POLICYGUARD_AUDIT_ALL, so
the trail stays small while the ``totals`` record still counts everything per origin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.paths import origin_of
from ..core.signals.embedded import C2paState
from .accounting import (
    NO_ORIGIN,
    NO_URL,
    ItemAction,
    Ledger,
    MediaCount,
    RecheckAction,
    RequestAction,
    ResponseAction,
)
from .audit import AuditLog, Record

if TYPE_CHECKING:
    from scrapy import Request

    from ..core.decision import Decision
    from ..core.signals.embedded import MediaStatements
    from .items import ItemRecord

_C2PA_COUNTS = {
    C2paState.READ: MediaCount.C2PA_READ,
    C2paState.UNVERIFIED: MediaCount.C2PA_UNVERIFIED,
    C2paState.UNREAD: MediaCount.C2PA_UNREAD,
    C2paState.ERROR: MediaCount.C2PA_ERROR,
}

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
        if (action is RequestAction.ALLOWED and not self.audit_all) or not self.audit.enabled:
            return
        fields: dict[str, Any] = {"url": request.url, "method": request.method, "action": str(action)}
        if decision is not None:
            fields.update(decision_fields(decision))
        self.audit.write(Record.REQUEST, **fields, **extra)

    def response(self, request: Request, decision: Decision, newly_denied: bool, size: int) -> None:
        """A response-stage decision and the response's body size; audited when the response
        itself brought a denial."""
        if newly_denied:
            action = ResponseAction.MARKED
        else:
            action = ResponseAction.ALLOWED if decision.allowed else ResponseAction.WITHHELD
        sources = _sources(decision) if newly_denied else ()
        self.ledger.count(Record.RESPONSE, action, origin_of(request.url), sources, size)
        if newly_denied or self.audit_all:
            self._response_record(request, decision, action, bytes=size)

    def response_refused(
        self, request: Request, decision: Decision, action: ResponseAction, status: int
    ) -> None:
        """A response not passed on (or, in audit mode, that would not have been): always audited."""
        self.ledger.count(Record.RESPONSE, action, origin_of(request.url), _sources(decision))
        self._response_record(request, decision, action, status=status)

    def file_dropped(self, request: Request, decision: Decision, size: int) -> None:
        """A media download whose use is denied, not stored: counted and always audited."""
        action = ResponseAction.FILE_DROPPED
        self.ledger.count(Record.RESPONSE, action, origin_of(request.url), _sources(decision), size)
        self._response_record(request, decision, action, bytes=size)

    def _response_record(
        self, request: Request, decision: Decision, action: ResponseAction, **extra: Any
    ) -> None:
        if self.audit.enabled:  # the fields are only built for a trail that is written
            self.audit.write(
                Record.RESPONSE,
                url=request.url,
                method=request.method,
                action=str(action),
                **extra,
                **decision_fields(decision),
            )

    def media(self, statements: MediaStatements) -> None:
        """What reading one media body for embedded statements found."""
        if statements.format is None:
            return
        inc = self.ledger.inc
        inc(MediaCount.READ)
        if statements.xmp_packets:
            inc(MediaCount.XMP, statements.xmp_packets)
        if statements.c2pa is not None:
            inc(_C2PA_COUNTS[statements.c2pa])
        if statements.problems:
            inc(MediaCount.PROBLEMS, statements.problems)

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

"""How each fetched site document is reported: a log line, stats, and a ``robots`` or
``document`` audit record, so a reviewer can check what every decision of that origin rested on
(and, for robots.txt, the Crawl-delay applied to its requests)."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from ..core.access import AccessState, RobotsAccess
from .audit import AuditLog, Record
from .fetch import DocumentKind

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy import Spider

    from .accounting import Ledger
    from .crawl_delay import AppliedDelay
    from .documents import DocumentEvent

__all__ = ["DocumentReporter"]

logger = logging.getLogger("scrapy_policyguard")


class DocumentReporter:
    def __init__(
        self,
        ledger: Ledger,
        audit: AuditLog,
        user_agent: str,
        clock: Callable[[], float],
        spider: Spider | None = None,
    ) -> None:
        self.ledger = ledger
        self.audit = audit
        self.user_agent = user_agent
        self.clock = clock
        self._log_extra = {"spider": spider}

    def __call__(self, event: DocumentEvent, delay: AppliedDelay | None = None) -> None:
        """Report ``event``; ``delay`` is the Crawl-delay applied after a robots.txt fetch."""
        if event.kind is DocumentKind.ROBOTS:
            self._robots(event, delay)
        else:
            self._document(event)

    def _document(self, event: DocumentEvent) -> None:
        result = event.result
        name = event.kind.stats_name
        self.ledger.inc(f"{name}/{event.copy}")
        self.ledger.inc(f"{name}/status/{result.status if result.status is not None else 'error'}")
        if event.note:
            self.ledger.inc(f"{name}/unusable")
            logger.warning("%s %s not used: %s", event.kind, event.url, event.note, extra=self._log_extra)
        self.audit.write(
            Record.DOCUMENT,
            kind=str(event.kind),
            origin=event.origin,
            url=event.url,
            status=result.status,
            detail=result.detail,
            redirects=list(result.hops),
            bytes=len(result.body),
            sha256=hashlib.sha256(result.body).hexdigest() if result.body else None,
            note=event.note or event.info,
            copy=str(event.copy),
        )

    def _crawl_delay(self, origin: str, delay: AppliedDelay) -> str:
        """Count and (when capped) warn about the delay; the phrase the fetch's log line ends with."""
        self.ledger.inc("robots/crawl_delay")
        asked = delay.asked
        if delay.capped:
            self.ledger.inc("robots/crawl_delay_capped")
            logger.warning(
                "robots.txt for %s asks for %g s between requests (%s); POLICYGUARD_CRAWL_DELAY_MAX "
                "caps the delay applied at %g s",
                origin,
                asked.seconds,
                asked.line,
                delay.seconds,
                extra=self._log_extra,
            )
        return f"; {delay.seconds:g} s between requests ({asked.line})"

    def _robots(self, event: DocumentEvent, delay: AppliedDelay | None) -> None:
        access = event.value
        assert isinstance(access, RobotsAccess)
        origin = event.origin
        self.ledger.inc(f"robots/{event.copy}")
        if event.refetch:
            self.ledger.inc("cache/refetched")
        self.ledger.inc(f"robots/status/{access.status if access.status is not None else 'error'}")
        self.ledger.inc(f"robots/{access.state}")
        if access.stale:
            self.ledger.inc("robots/stale")
        group = None
        if access.robots is not None:
            merged = access.robots.group_for(self.user_agent)
            group = merged.label if merged.groups else None
        size = access.robots.size if access.robots is not None else None
        retry_in = event.expires_at - self.clock()
        pace = self._crawl_delay(origin, delay) if delay is not None else ""
        if access.stale:
            logger.warning(
                "robots.txt for %s: %s; keeping the earlier copy%s",
                origin,
                access.detail,
                pace,
                extra=self._log_extra,
            )
        elif access.state is AccessState.UNREACHABLE:
            logger.warning(
                "robots.txt for %s unreachable (%s): every URL of this origin is disallowed "
                "(RFC 9309 §2.3.1.4); next attempt in %.0f s",
                origin,
                access.detail,
                retry_in,
                extra=self._log_extra,
            )
        elif access.state is AccessState.UNAVAILABLE:
            logger.info(
                "robots.txt for %s unavailable (%s): all URLs allowed (RFC 9309 §2.3.1.3)",
                origin,
                access.detail,
                extra=self._log_extra,
            )
        else:
            logger.info(
                "robots.txt for %s: %s, %s bytes, %s for %s%s",
                origin,
                access.detail,
                size,
                f"group {group}" if group else "no group applies",
                self.user_agent,
                pace,
                extra=self._log_extra,
            )
        self.audit.write(
            Record.ROBOTS,
            origin=origin,
            url=access.url,
            state=str(access.state),
            status=access.status,
            detail=access.detail,
            redirects=list(access.hops),
            bytes=size,
            sha256=access.sha256,
            group=group,
            stale=access.stale,
            next_fetch_in=round(retry_in, 3),
            copy=str(event.copy),
            crawl_delay=delay.seconds if delay is not None else None,
        )

"""The downloader middleware that signs every request with Web Bot Auth (core/webbotauth.py).

Every request the crawl sends is signed: pages, the paid retries of pay-per-crawl pages (with the
price header covered), and the plugin's own robots.txt, tdmrep.json and RSL fetches, which go
through the engine and these middlewares like any page. A retried or redirected request is signed
again, with a fresh ``created`` and ``expires``: the old signature headers are replaced.

Priority 990, the highest ``process_request`` number of the crawl's middlewares: Scrapy calls
``process_request`` from the lowest number up, so this runs after every middleware that changes a
request (Scrapy's own go up to HttpCacheMiddleware at 900: user agent, proxy, cookies, compression
headers, the pay-per-crawl price of a retry), just before the download handler. A middleware of
yours above 990 that changes the URL or a covered header would break the signature.

The signature is made when the request enters the downloader, before it waits for its slot
(DOWNLOAD_DELAY, per-domain concurrency), so POLICYGUARD_SIGNATURE_TTL must cover that wait.
A request that cannot be signed is not sent (never unsigned): it fails with IgnoreRequest, a
``request`` audit record and the ``signing/failed`` stat.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest, NotConfigured

from ..core.pay_per_crawl import EXACT_PRICE_HEADER, MAX_PRICE_HEADER
from ..core.webbotauth import RequestSigner, SigningError
from .accounting import RequestAction
from .audit import Record
from .runtime import GuardRuntime
from .settings import is_enabled

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

__all__ = ["SIGNING_PRIORITY", "SigningMiddleware"]

logger = logging.getLogger("scrapy_policyguard")

SIGNING_PRIORITY = 990
#: Request headers covered by the signature whenever a request carries them.
SIGNED_FIELDS = (EXACT_PRICE_HEADER, MAX_PRICE_HEADER)


class SigningMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        if not is_enabled(crawler.settings):
            raise NotConfigured("POLICYGUARD_ENABLED is False")
        self.runtime = GuardRuntime.of(crawler)
        signer = self.runtime.signer
        if signer is None:
            raise NotConfigured("POLICYGUARD_SIGNING_KEY is not set")
        self.signer: RequestSigner = signer

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SigningMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if not request.url.startswith(("http://", "https://")):
            return
        fields: dict[str, str] = {}
        for name in SIGNED_FIELDS:
            raw = request.headers.get(name)
            if raw is not None:
                fields[name] = raw.decode("latin-1")
        try:
            signed = self.signer.headers(request.method, request.url, fields)
        except SigningError as exc:
            self.runtime.ledger.inc("signing/failed")
            self.runtime.audit.write(
                Record.REQUEST,
                url=request.url,
                method=request.method,
                action=str(RequestAction.UNSIGNED),
                reason=str(exc),
            )
            logger.error("Not sent, cannot be signed: %s", exc, extra={"spider": spider})
            raise IgnoreRequest(str(exc)) from None
        for name, text in signed.items():
            request.headers[name] = text
        self.runtime.ledger.inc("signing/signed")

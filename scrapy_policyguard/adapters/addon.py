"""The add-on: ``ADDONS = {"scrapy_policyguard.Addon": 0}`` is the one line a project needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware

from .downloader import PolicyGuardDownloaderMiddleware
from .payment import PAYMENT_PRIORITY, PaymentMiddleware
from .pipeline import PolicyGuardPipeline
from .settings import is_enabled
from .signing import SIGNING_PRIORITY, SigningMiddleware
from .spider import PolicyGuardSpiderMiddleware

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = ["DOWNLOADER_PRIORITY", "PIPELINE_PRIORITY", "SPIDER_PRIORITY", "Addon"]

#: Where Scrapy's RobotsTxtMiddleware sits: after OffsiteMiddleware (50), before anything that
#: touches the network or sets headers.
DOWNLOADER_PRIORITY = 100
SPIDER_PRIORITY = 100
#: After the media pipelines (conventionally 1), before storage pipelines (conventionally 300+).
PIPELINE_PRIORITY = 200


class Addon:
    """Wires every scrapy-policyguard component into a crawl and retires RobotsTxtMiddleware."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not is_enabled(settings):
            return  # switched off: the crawl stays as Scrapy alone runs it, robots.txt included
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", RobotsTxtMiddleware, None)
        settings.setdefault_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", PolicyGuardDownloaderMiddleware, DOWNLOADER_PRIORITY
        )
        # Pay-per-crawl 402s are answered (paid within the limits, else denied with the price as
        # evidence) whether or not the crawl pays; see adapters/payment.py for the priority.
        settings.setdefault_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", PaymentMiddleware, PAYMENT_PRIORITY
        )
        if settings.get("POLICYGUARD_SIGNING_KEY"):
            # Last before the download handler; see adapters/signing.py for the priority.
            settings.setdefault_in_component_priority_dict(
                "DOWNLOADER_MIDDLEWARES", SigningMiddleware, SIGNING_PRIORITY
            )
        settings.setdefault_in_component_priority_dict(
            "SPIDER_MIDDLEWARES", PolicyGuardSpiderMiddleware, SPIDER_PRIORITY
        )
        settings.setdefault_in_component_priority_dict(
            "ITEM_PIPELINES", PolicyGuardPipeline, PIPELINE_PRIORITY
        )

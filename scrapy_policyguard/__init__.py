"""scrapy-policyguard: robots.txt (RFC 9309), AI-usage signals and platform terms for Scrapy crawls.

Enable it with ``ADDONS = {"scrapy_policyguard.Addon": 0}``; decide offline with :func:`check`, and
local media files by what they embed with :func:`check_file`; or keep Scrapy's RobotsTxtMiddleware
with ``ROBOTSTXT_PARSER = "scrapy_policyguard.RobotParser"``.
"""

from __future__ import annotations

from ._version import __version__
from .adapters.addon import Addon
from .adapters.downloader import PolicyDenied, PolicyGuardDownloaderMiddleware
from .adapters.feeds import AllowedItemFilter, DeniedItemFilter, policy_feeds
from .adapters.pipeline import PolicyGuardPipeline
from .adapters.robot_parser import RobotParser
from .adapters.settings import PolicyGuardConfigError
from .adapters.spider import PolicyGuardSpiderMiddleware
from .core.decision import Decision, Evidence, Outcome
from .core.engine import check, check_file
from .core.purposes import Purpose

__all__ = [
    "Addon",
    "AllowedItemFilter",
    "Decision",
    "DeniedItemFilter",
    "Evidence",
    "Outcome",
    "PolicyDenied",
    "PolicyGuardConfigError",
    "PolicyGuardDownloaderMiddleware",
    "PolicyGuardPipeline",
    "PolicyGuardSpiderMiddleware",
    "Purpose",
    "RobotParser",
    "__version__",
    "check",
    "check_file",
    "policy_feeds",
]

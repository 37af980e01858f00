"""Scrapy's ``RobotParser`` interface over our RFC 9309 parser and matcher.

Two uses:

- ``ROBOTSTXT_PARSER = "scrapy_policyguard.RobotParser"`` in a project that keeps Scrapy's own
  RobotsTxtMiddleware (the add-on disabled): the middleware fetches robots.txt and hands us its
  body, and every ``allowed()`` answer is our engine's robots.txt answer for the product token
  the user agent names. The middleware decides the rest as it always does (it parses the body of
  any status, and lets a failed fetch allow everything); only the add-on applies RFC 9309 there.
- The add-on sends Scrapy's ``robots_parsed`` signal with one of these, built from what its own
  fetch gave, so a listener's answers are the guard's: an unreachable robots.txt allows nothing,
  an unavailable one everything.

A user agent is read as the crawler's product token (core/robots.py ``crawler_token``): a bare
token, ``Scrapy/2.19 (+https://scrapy.org)`` or ``Mozilla/5.0 (compatible; ExampleBot/1.0)``
name ``Scrapy`` and ``ExampleBot``; ``*`` asks for the global group. Tokens match groups whole
(RFC 9309 §2.2.1), not by prefix as Protego does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.robotstxt import RobotParser as ScrapyRobotParser
from scrapy.utils.python import to_unicode

from ..core.access import RobotsAccess
from ..core.engine import CrawlPermission
from ..core.paths import path_of
from ..core.robots import PARSE_LIMIT, crawler_token
from .settings import robots_max_bytes

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from typing_extensions import Self

__all__ = ["RobotParser"]

#: What a robots.txt handed to us by Scrapy's middleware is called in evidence: it does not say
#: where the body came from.
_BODY_URL = "robots.txt"


def _token(user_agent: str | bytes) -> str:
    text = to_unicode(user_agent).strip()
    return "*" if text == "*" else crawler_token(text)


class RobotParser(ScrapyRobotParser):
    """A parsed robots.txt (or the outcome of fetching one) that answers Scrapy's questions."""

    def __init__(self, access: RobotsAccess) -> None:
        self.access = access
        self._permissions: dict[str, CrawlPermission] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler | None, robotstxt_body: bytes) -> Self:
        """Parse a robots.txt body as Scrapy's RobotsTxtMiddleware hands it over (any status)."""
        limit = robots_max_bytes(crawler.settings) if crawler is not None else PARSE_LIMIT
        return cls(RobotsAccess.from_result(_BODY_URL, 200, robotstxt_body, limit=limit))

    def _permission(self, user_agent: str | bytes) -> CrawlPermission:
        token = _token(user_agent)
        found = self._permissions.get(token)
        if found is None:
            robots = self.access.robots
            group = robots.group_for(token) if robots is not None else None
            found = self._permissions[token] = CrawlPermission(self.access, group, token)
        return found

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return self._permission(user_agent).allows(path_of(to_unicode(url)))

    def crawl_delay(self, user_agent: str | bytes) -> float | None:
        """Seconds between requests the group asks for: the stricter of its Crawl-delay and
        Request-rate (uncapped; the add-on caps what it applies at POLICYGUARD_CRAWL_DELAY_MAX)."""
        robots = self.access.robots
        delay = robots.group_for(_token(user_agent)).crawl_delay if robots is not None else None
        return delay.seconds if delay is not None else None

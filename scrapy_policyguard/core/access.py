"""What trying to get a robots.txt gave, classified as RFC 9309 §2.3.1 says.

The fetching itself is the adapter's job (or the caller's, for ``check()``); this module only
turns an HTTP status or a network failure into one of three access states, so that the middleware
and the offline tools classify alike:

``parsed``       2xx: the body is parsed and obeyed.
``unavailable``  4xx (except 429), or more redirects than we follow: the crawler MAY access any
                 resource (§2.3.1.3).
``unreachable``  5xx, 429, time-out, DNS or connection failure: the crawler MUST assume complete
                 disallow (§2.3.1.4), and tries again later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .content_cache import ContentCache
from .paths import utf8
from .robots import PARSE_LIMIT, RobotsTxt
from .text_enum import TextEnum

__all__ = ["MAX_REDIRECTS", "AccessState", "RobotsAccess", "access_state"]


class AccessState(TextEnum):
    PARSED = "parsed"
    UNAVAILABLE = "unavailable"
    UNREACHABLE = "unreachable"


#: RFC 9309 §2.3.1.2: follow at least five consecutive redirects.
MAX_REDIRECTS = 5


def access_state(status: int | None) -> AccessState:
    """The access state for a final HTTP status (None for a network failure)."""
    if status is None:
        return AccessState.UNREACHABLE
    if 200 <= status < 300:
        return AccessState.PARSED
    if status == 429 or status >= 500:
        return AccessState.UNREACHABLE
    if 300 <= status < 500:
        # 4xx, and a 3xx that is final (no usable Location, or too many hops).
        return AccessState.UNAVAILABLE
    return AccessState.UNREACHABLE  # 1xx and nonsense codes: we cannot tell what the site says


@dataclass(frozen=True, slots=True)
class RobotsAccess:
    """The outcome of getting one origin's robots.txt, with what a reviewer needs to check it."""

    url: str
    state: AccessState
    status: int | None
    detail: str
    robots: RobotsTxt | None = None
    hops: tuple[str, ...] = ()
    fetched_at: float = 0.0
    sha256: str | None = None
    stale: bool = False  # an earlier good copy kept because the refresh was unreachable

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_result(
        cls,
        url: str,
        status: int | None,
        body: bytes | str | None = None,
        *,
        detail: str | None = None,
        hops: tuple[str, ...] = (),
        fetched_at: float = 0.0,
        limit: int = PARSE_LIMIT,
        parsed: ContentCache[RobotsTxt] | None = None,
    ) -> RobotsAccess:
        """The access state for a fetch result, with the body parsed when it is to be obeyed.

        ``parsed`` shares one parsed copy between origins serving the same bytes (it must parse
        with the same ``limit``)."""
        state = access_state(status)
        if detail is None:
            detail = f"HTTP {status}" if status is not None else "network error"
        robots = None
        digest = None
        if state is AccessState.PARSED:
            raw = utf8(body) if isinstance(body, str) else (body or b"")
            digest = hashlib.sha256(raw).hexdigest()
            robots = parsed.get(raw, digest) if parsed is not None else RobotsTxt.parse(raw, limit=limit)
            if robots.truncated:
                detail += f"; {robots.size} bytes, only the first {limit} parsed"
        return cls(url, state, status, detail, robots, hops, fetched_at, digest)

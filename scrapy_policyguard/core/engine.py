"""From what is known about a site to one Decision: the path every URL takes, online or offline.

The downloader middleware compiles a :class:`SitePolicy` once per origin (each time its robots.txt
is fetched or refreshed) and asks it for every request; :func:`check` builds the same SitePolicy
from strings and asks the same question, so the plugin and the offline tools cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .access import PARSED, UNAVAILABLE, UNREACHABLE, RobotsAccess
from .decision import CRAWL, Decision, Evidence, Outcome
from .paths import path_of
from .purposes import PURPOSES, Purpose, parse_purpose
from .robots import crawler_token, is_product_token

__all__ = ["Policy", "SitePolicy", "check", "origin_of", "robots_url_of"]

_SOURCE = "robots.txt"
_DENY_ALL = dict.fromkeys(PURPOSES, Outcome.DENY)
# A crawl permission is a statement about fetching, which is what search indexing needs; it says
# nothing about AI use of the content.
_CRAWL_ALLOWED = {Purpose.SEARCH: Outcome.ALLOW}


@dataclass(frozen=True, slots=True)
class Policy:
    """What shapes decisions for one spider: its product token and the default for unknown."""

    user_agent: str
    unknown_allows: bool = True

    def __post_init__(self) -> None:
        if not is_product_token(self.user_agent):
            raise ValueError(
                f"{self.user_agent!r} is not a robots.txt product token: "
                "use letters, '_' and '-' only (RFC 9309 §2.2.1), e.g. 'ExampleBot'"
            )


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, default ports dropped, no user info."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def robots_url_of(url: str) -> str:
    return origin_of(url) + "/robots.txt"


def _crawl_evidence(access: RobotsAccess, site: SitePolicy, path: str) -> Evidence:
    token = site.policy.user_agent
    refs = {"token": token, "robots_url": access.url}
    if access.status is not None:
        refs["status"] = str(access.status)
    if access.hops:
        refs["redirects"] = " -> ".join(access.hops)
    if access.stale:
        refs["stale"] = "earlier copy used: refresh was unreachable"
    if access.state == UNREACHABLE:
        return Evidence(
            _SOURCE,
            f"unreachable ({access.detail})",
            access.url,
            "RFC 9309 §2.3.1.4: an unreachable robots.txt means complete disallow",
            _DENY_ALL,
            CRAWL,
            refs=refs,
        )
    if access.state == UNAVAILABLE:
        return Evidence(
            _SOURCE,
            f"unavailable ({access.detail})",
            access.url,
            "RFC 9309 §2.3.1.3: with robots.txt unavailable the crawler may access any resource",
            _CRAWL_ALLOWED,
            CRAWL,
            refs=refs,
        )
    group = site.group
    assert group is not None
    refs["group"] = group.label
    if path == "/robots.txt":
        return Evidence(
            _SOURCE,
            "/robots.txt",
            access.url,
            "RFC 9309 §2.2.2: /robots.txt itself is always allowed",
            _CRAWL_ALLOWED,
            CRAWL,
            refs=refs,
        )
    rule = group.match(path)
    if rule is None:
        detail = (
            f"no rule of {group.label} matches {path}"
            if group.groups
            else f"no group names {token} and there is no '*' group"
        )
        return Evidence(_SOURCE, "no matching rule", access.url, detail, _CRAWL_ALLOWED, CRAWL, refs=refs)
    verb = "allows" if rule.allow else "disallows"
    return Evidence(
        _SOURCE,
        rule.line.text,
        f"{access.url} line {rule.line.number}",
        f"longest matching rule of {group.label} {verb} {path} for {token}",
        _CRAWL_ALLOWED if rule.allow else _DENY_ALL,
        CRAWL,
        refs=refs,
    )


class SitePolicy:
    """Everything known about one origin before fetching, compiled once for many decisions."""

    __slots__ = ("group", "origin", "policy", "robots")

    def __init__(self, policy: Policy, robots: RobotsAccess | None) -> None:
        self.policy = policy
        self.robots = robots
        self.origin = origin_of(robots.url) if robots else ""
        self.group = (
            robots.robots.group_for(policy.user_agent)
            if robots is not None and robots.state == PARSED and robots.robots is not None
            else None
        )

    def evidence(self, url: str, path: str | None = None) -> list[Evidence]:
        """Every statement known before fetching ``url``."""
        if path is None:
            path = path_of(url)
        items: list[Evidence] = []
        if self.robots is not None:
            items.append(_crawl_evidence(self.robots, self, path))
        return items

    def decide(self, url: str, purpose: Purpose, path: str | None = None) -> Decision:
        return Decision.build(
            url, purpose, self.evidence(url, path), unknown_allows=self.policy.unknown_allows
        )


def check(
    url: str,
    *,
    purpose: str | Purpose = Purpose.AI_TRAIN,
    user_agent: str,
    robots_txt: str | bytes | None = None,
    robots_status: int | None = 200,
    unknown: str = "allow",
    robots_url: str | None = None,
) -> Decision:
    """Decide offline what a crawl with ``purpose`` may do with ``url``.

    ``user_agent`` is the crawler's product token or full User-Agent string. ``robots_txt`` is the
    body of the site's robots.txt; ``robots_status`` its HTTP status (4xx: unavailable, 5xx and
    429: unreachable, None: network failure). With neither a body nor an error status, robots.txt
    is not consulted. The engine is the one the middleware uses.
    """
    token = crawler_token(user_agent)
    if unknown not in ("allow", "deny"):
        raise ValueError(f"unknown must be 'allow' or 'deny', not {unknown!r}")
    policy = Policy(token or user_agent, unknown_allows=unknown == "allow")
    robots_url = robots_url or robots_url_of(url)
    access = None
    if robots_txt is not None or robots_status is None or not 200 <= robots_status < 300:
        access = RobotsAccess.from_result(robots_url, robots_status, robots_txt or b"")
    return SitePolicy(policy, access).decide(url, parse_purpose(purpose))


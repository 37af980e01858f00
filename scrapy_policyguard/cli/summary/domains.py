"""Registrable domains, and how many of the largest a training-content summary lists.

The AI Act template (section 2.3 (vii), see core/compliance.py) asks for domain names as "top and
second-level domain, e.g. example.com": ``en.wikipedia.org`` and ``de.wikipedia.org`` are both
``wikipedia.org``, and ``www.bbc.co.uk`` is ``bbc.co.uk``. Telling a registrable domain from a
public suffix needs the Public Suffix List; tldextract reads it and is already installed with
Scrapy (its cookie middleware uses it). By default tldextract downloads a fresh list on first use
and caches it on disk; here it is built to use only the snapshot its release ships, so a summary
never touches the network and gives the same answer on every machine with the same version. Only
the list's ICANN section is used (registries' suffixes, not hosting platforms' private ones such
as ``github.io``), which is what "top and second-level domain" names. A host under a suffix the
list does not know (``portal.example``, ``localhost``) follows the list's default rule ``*``: its
last label is the suffix. An IP address is its own domain.
"""

from __future__ import annotations

import ipaddress
import math
from functools import lru_cache

from tldextract import TLDExtract

__all__ = ["registrable_domain", "top_count"]

#: The Public Suffix List snapshot bundled with tldextract: no download, no disk cache.
_EXTRACT = TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """The registrable domain of ``host`` (lower-case), or the host itself when it has none."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if not name:
        return name
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return name
    parts = _EXTRACT(name)
    if parts.top_domain_under_public_suffix:
        return parts.top_domain_under_public_suffix
    if parts.suffix:  # the host is itself a public suffix
        return name
    return ".".join(name.split(".")[-2:])


def top_count(domains: int, share: float, maximum: int | None = None) -> int:
    """How many of ``domains`` (ranked by size) the list holds: ``share`` of them, rounded up so
    that at least that share is covered, and at most ``maximum``."""
    count = math.ceil(domains * share - 1e-9) if domains else 0
    return min(count, maximum) if maximum is not None else count

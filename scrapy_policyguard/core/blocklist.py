"""Lists of websites a crawl must not touch at all (POLICYGUARD_BLOCKLISTS).

The General-Purpose AI Code of Practice, Copyright chapter (10 July 2025), Measure 1.2 (b): exclude
from web crawling the websites that courts or public authorities in the EU and EEA recognise as
persistently and repeatedly infringing copyright on a commercial scale; the EU is to publish a
dynamic list of hyperlinks to such lists (sources in core/compliance.py). Those lists come in many
shapes, so the crawl reads one plain format that any of them converts to:

- one domain per line; ``#`` starts a comment that runs to the end of the line; blank lines are
  skipped;
- a domain covers its subdomains (``example.com`` lists ``www.example.com`` and ``a.b.example.com``);
- names are case-insensitive, a trailing dot is dropped, and internationalised names match in
  Unicode or in their ``xn--`` form (IDNA, as Scrapy writes hosts in URLs).

Anything else on a line (a URL, a path, a port, a wildcard, spaces) is an error that names the file
and line: a list the crawl read differently from its author would let a listed site through.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .compliance import Measure
from .decision import DENY_ALL, Evidence, EvidenceKind, Source
from .paths import host_of

__all__ = ["Blocklist", "BlocklistError", "BlocklistFile", "Listing", "load_blocklists"]

SOURCE = Source.BLOCKLIST
_LABELS = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*")
_DETAIL = (
    f"listed as a website that infringes copyright ({Measure.INFRINGING_SITES.cite}): nothing is "
    "fetched from it, not even robots.txt"
)


class BlocklistError(ValueError):
    """A blocklist file that cannot be used; the message names file and line."""

    def __init__(self, file: str, line: int | None, problem: str) -> None:
        self.file = file
        self.line = line
        self.problem = problem
        super().__init__(f"{file}:{line}: {problem}" if line else f"{file}: {problem}")


@dataclass(frozen=True)
class Listing:
    """One listed domain and where it was listed."""

    domain: str
    file: str
    line: int
    text: str  # the line as written, without its comment


@dataclass(frozen=True)
class BlocklistFile:
    """A file read into the blocklist, as the audit trail's ``crawl`` record names it."""

    file: str
    entries: int
    sha256: str


def normalize_domain(text: str) -> str:
    """``text`` as a lower-case ASCII domain name; ValueError says why it is not one."""
    name = text.strip().rstrip(".").lower()
    if not name:
        raise ValueError("an empty domain name")
    if any(c in name for c in "/:@?#*[] \t"):
        raise ValueError(f"{text.strip()!r} is not a bare domain name (no scheme, path, port or wildcard)")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"{text.strip()!r} is not a valid domain name ({exc})") from None
    if not _LABELS.fullmatch(ascii_name):
        raise ValueError(f"{text.strip()!r} is not a valid domain name")
    return ascii_name


class Blocklist:
    """Listed domains, each with the file and line that listed it; the first listing of a domain
    is the one cited."""

    def __init__(self, listings: Iterable[Listing] = (), files: Iterable[BlocklistFile] = ()) -> None:
        self.files = tuple(files)
        self._listings: dict[str, Listing] = {}
        for listing in listings:
            self._listings.setdefault(listing.domain, listing)
        self._evidence: dict[str, Evidence] = {}

    def __len__(self) -> int:
        return len(self._listings)

    def __bool__(self) -> bool:
        return bool(self._listings)

    def match(self, host: str) -> Listing | None:
        """The listing that covers ``host`` (itself or a parent domain), if any."""
        name = host.rstrip(".").lower()
        while name:
            found = self._listings.get(name)
            if found is not None:
                return found
            name = name.partition(".")[2]
        return None

    def evidence(self, url: str) -> Evidence | None:
        """The statement that ``url`` may not be fetched, or None when its host is not listed.
        One Evidence per listing, shared by every request it blocks."""
        if not self._listings:
            return None
        listing = self.match(host_of(url))
        if listing is None:
            return None
        found = self._evidence.get(listing.domain)
        if found is None:
            found = self._evidence[listing.domain] = Evidence(
                SOURCE,
                listing.text,
                f"{listing.file} line {listing.line}",
                _DETAIL,
                DENY_ALL,
                EvidenceKind.CRAWL,
                refs={"domain": listing.domain, "file": listing.file, "line": str(listing.line)},
            )
        return found


def read_blocklist(path: Path) -> tuple[list[Listing], BlocklistFile]:
    """The listings of one file; BlocklistError for a file that cannot be read or has a bad line."""
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BlocklistError(file, None, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BlocklistError(file, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    listings = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.partition("#")[0].strip()
        if not entry:
            continue
        try:
            domain = normalize_domain(entry)
        except ValueError as exc:
            raise BlocklistError(file, number, str(exc)) from None
        listings.append(Listing(domain, file, number, entry))
    return listings, BlocklistFile(file, len(listings), hashlib.sha256(data).hexdigest())


def load_blocklists(paths: Iterable[str | Path]) -> Blocklist:
    """Every listing of every file, in order; the first problem stops with file and line."""
    listings: list[Listing] = []
    files: list[BlocklistFile] = []
    for path in paths:
        found, file = read_blocklist(Path(path).expanduser())
        listings.extend(found)
        files.append(file)
    return Blocklist(listings, files)

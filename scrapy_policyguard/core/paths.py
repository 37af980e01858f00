"""URL paths and RFC 9309 path patterns, shared by every signal that scopes by path.

robots.txt rules, Content-Usage and DisallowAITraining lines, tdmrep.json locations and RSL
``content@url`` all use the same pattern language (RFC 9309 §2.2.2-2.2.3), so they all compile
through :class:`PathPattern`. Matching walks the pattern's literal pieces left to right with
``str.find``; there is no regex and no backtracking, so the cost is bounded by
``len(path) * pieces`` whatever the pattern.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from urllib.parse import SplitResult, urljoin, urlsplit

__all__ = [
    "PathPattern",
    "host_of",
    "is_plain",
    "join_url",
    "normalize_path",
    "normalize_piece",
    "origin_of",
    "path_of",
    "split_url",
    "utf8",
]

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_AUTHORITY_END = re.compile(r"[/?#]")
# What stays as it is: RFC 3986 unreserved characters and the reserved characters whose escaped
# and literal forms mean different things in a path or query (``/`` and ``%2F``, ``?`` and ``%3F``).
# The apostrophe is not kept: browsers (WHATWG URL, special-query set) and Scrapy (w3lib) send a
# query's ``'`` as ``%27``, so a rule written with ``'`` must match that escape.
_KEPT = r"A-Za-z0-9\-._~:/?#@!&()+,;="
_SAFE_RUN = re.compile(f"[{_KEPT}]*")
_TO_NORMALISE = re.compile(f"%[0-9A-Fa-f]{{2}}|[^\\x00-\\x7f]+|[^{_KEPT}]")
_ESCAPED_OCTET = [f"%{octet:02X}" for octet in range(256)]
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normal_forms() -> dict[str, str]:
    """Every escape (in any case) and every ASCII character outside _KEPT, mapped to its normal form."""
    forms = {}
    for octet in range(256):
        hexes = f"{octet:02X}"
        high, low = hexes[0], hexes[1]
        normal = chr(octet) if octet in _UNRESERVED else f"%{high}{low}"
        for h in {high, high.lower()}:
            for lo in {low, low.lower()}:
                forms[f"%{h}{lo}"] = normal
        if octet < 128 and not _SAFE_RUN.fullmatch(chr(octet)):
            forms[chr(octet)] = f"%{high}{low}"
    return forms


_NORMAL_FORMS = _normal_forms()


def _surrogates(error: UnicodeError) -> tuple[bytes, int]:
    # U+DC80..U+DCFF stand for the bytes that were not valid UTF-8 (surrogateescape): give the
    # byte back. Any other lone surrogate (from a JSON or YAML escape) is kept as its own octets.
    assert isinstance(error, UnicodeEncodeError)
    out = bytearray()
    for ch in error.object[error.start : error.end]:
        code = ord(ch)
        out += bytes([code - 0xDC00]) if 0xDC80 <= code <= 0xDCFF else ch.encode("utf-8", "surrogatepass")
    return bytes(out), error.end


codecs.register_error("policyguard-surrogates", _surrogates)


def utf8(text: str) -> bytes:
    """``text`` as UTF-8 bytes, whatever lone surrogates it holds (never an error)."""
    return text.encode("utf-8", "policyguard-surrogates")


def _normal_form(match: re.Match[str]) -> str:
    found = _NORMAL_FORMS.get(match.group())
    if found is None:  # a run of non-ASCII characters: their UTF-8 octets, escaped
        found = "".join(map(_ESCAPED_OCTET.__getitem__, utf8(match.group())))
    return found


def normalize_path(path: str) -> str:
    """Bring a path (or pattern piece) to one canonical percent-encoded form.

    Two spellings of a path that a server cannot tell apart normalise alike; spellings that mean
    different resources stay different (RFC 9309 §2.2.2, RFC 3986 §6.2.2):

    - an escape of an unreserved character is decoded (``/%7Efoo`` is ``/~foo``);
    - every other escape is kept, upper-cased (``%3f`` is ``%3F``, and never ``?``; ``%2F`` is
      never ``/``);
    - a character a URL may not hold literally is escaped: space, ``" < > \\ ^ ` { | } [ ]`` and
      controls (``/a|b`` is ``/a%7Cb``, as Scrapy and browsers send it), and ``%`` not followed
      by two hex digits is ``%25``; so is the apostrophe, which Scrapy and browsers escape in
      a query (``?q='`` is sent as ``?q=%27``);
    - non-ASCII characters become their UTF-8 octets, escaped; bytes that were not valid UTF-8
      arrive as surrogate escapes and are escaped as the original octet;
    - a literal ``$`` or ``*`` becomes ``%24`` / ``%2A``, so it can never be read as pattern syntax.

    Reserved characters that keep their meaning in a path or query (``: / ? # @ ! & ( ) + , ; =``)
    are compared as written.
    """
    if _SAFE_RUN.fullmatch(path):
        return path
    return _TO_NORMALISE.sub(_normal_form, path)


def normalize_piece(piece: str, *, open_end: bool) -> str:
    """:func:`normalize_path` for a piece of a pattern (the text between its ``*``).

    One difference: a lone ``%`` that ends a piece with an open end (a ``*`` or the end of an
    unanchored pattern follows) begins an escape, so it matches every escape: ``/itm/*/%`` matches
    ``/itm/x/%7B%7B`` and ``/itm/x/%25``. That is how Google's parser and Protego read such a
    rule (eBay's robots.txt has one). Anywhere else a ``%`` that begins no escape is a percent sign,
    ``%25``, in rules and URLs alike.
    """
    if open_end and piece.endswith("%"):
        return normalize_path(piece[:-1]) + "%"
    return normalize_path(piece)


def split_url(url: str) -> SplitResult | None:
    """``urlsplit``, or None for a URL it refuses (an unbalanced IPv6 bracket, say)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts


def host_of(url: str) -> str:
    """The URL's host name, lower-cased, or '' when it has none or cannot be read."""
    parts = split_url(url)
    return (parts.hostname or "") if parts is not None else ""


@lru_cache(maxsize=4096)  # asked several times per request (site, counters, items) for the same URL
def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, default ports dropped, no user info.

    A URL ``urlsplit`` refuses (an unbalanced IPv6 bracket) keeps its authority as written, so it
    still has an origin of its own, with a robots.txt that cannot be fetched.
    """
    parts = split_url(url)
    if parts is None:
        scheme, _, rest = url.partition("://")
        authority = _AUTHORITY_END.split(rest, maxsplit=1)[0].rpartition("@")[2]
        return f"{scheme.lower()}://{authority.lower()}"
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def join_url(base: str, reference: str) -> str | None:
    """``urljoin``, or None for a reference that is not a usable URL."""
    try:
        joined = urljoin(base, reference)
    except ValueError:
        return None
    return joined if split_url(joined) is not None else None


def is_plain(pattern: str) -> bool:
    """True for a pattern that is its own normal form and has no ``*`` or ``$``: a plain prefix."""
    return _SAFE_RUN.fullmatch(pattern) is not None


def path_of(url: str) -> str:
    """The part of a URL that robots.txt rules match: path, params and query, never the fragment.

    An empty path is ``/``; an empty query is kept (``/a?``). Like Google's GetPathParamsQuery, a
    URL without a scheme starts with its host (``example.com/a`` gives ``/a``), and ``//a/b``
    has the host ``a``. The result is normalised with :func:`normalize_path`.
    """
    if url.startswith("//"):
        start = 2
    elif url.startswith("/"):
        start = -1
    else:
        scheme = _SCHEME.match(url)
        start = scheme.end() if scheme else 0
    if start >= 0:
        end = _AUTHORITY_END.search(url, start)
        rest = url[end.start() :] if end else ""
    else:
        rest = url
    hash_at = rest.find("#")
    if hash_at >= 0:
        rest = rest[:hash_at]
    if not rest.startswith("/"):
        rest = "/" + rest
    return normalize_path(rest)


def match_pieces(path: str, first: str, pieces: tuple[str, ...], anchored: bool) -> bool:
    """True when ``path`` starts with ``first`` and holds ``pieces`` in order after it (the last
    one at the very end when ``anchored``): a wildcard pattern split at its ``*``.

    Each piece is found with one ``str.find`` from where the previous one ended, the leftmost
    place being always the best, so the time is linear in the path and the pattern: no
    backtracking however many wildcards there are.
    """
    if not path.startswith(first):
        return False
    pos = len(first)
    if not pieces:
        return True  # only wildcards after the first piece: anything follows
    last = len(pieces) - 1
    for index, piece in enumerate(pieces):
        if index == last and anchored:
            return path.endswith(piece) and len(path) - len(piece) >= pos
        found = path.find(piece, pos)
        if found < 0:
            return False
        pos = found + len(piece)
    return True


def split_pattern(pattern: str) -> tuple[str, tuple[str, ...], bool, int]:
    """(first piece, later non-empty pieces, anchored, specificity) of a pattern, normalised.

    The pieces are what lies between the ``*``; a trailing ``*`` (without ``$``) matches
    anything after, so it is the same as no anchor.
    """
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    pieces = body.split("*")
    if is_plain(body.replace("*", "")):
        specificity = len(body) + anchored
    else:
        last = len(pieces) - 1
        pieces = [normalize_piece(p, open_end=i < last or not anchored) for i, p in enumerate(pieces)]
        specificity = sum(len(p) for p in pieces) + (len(pieces) - 1) + anchored
    if len(pieces) > 1 and pieces[-1] == "":
        anchored = False
    return pieces[0], tuple(filter(None, pieces[1:])), anchored, specificity


class PathPattern:
    """One RFC 9309 path pattern: ``*`` matches any run of octets, a final ``$`` anchors the end.

    ``specificity`` is the octet length of the encoded pattern (wildcards included), which is
    what "longest match" compares (RFC 9309 §2.2.2).
    """

    __slots__ = ("anchored", "first", "literal", "pieces", "source", "specificity")

    def __init__(self, pattern: str) -> None:
        self.source = pattern
        if is_plain(pattern):
            # The common case, a plain prefix with nothing to normalise: no work, no copies.
            self.first = pattern
            self.pieces: tuple[str, ...] = ()
            self.anchored = False
            self.literal = True
            self.specificity = len(pattern)
            return
        self.first, self.pieces, self.anchored, self.specificity = split_pattern(pattern)
        self.literal = "*" not in pattern

    def match(self, path: str) -> bool:
        """True when ``path`` (already normalised) matches this pattern."""
        if self.literal:
            return path.startswith(self.first) and (not self.anchored or len(path) == len(self.first))
        return match_pieces(path, self.first, self.pieces, self.anchored)

    def __repr__(self) -> str:
        return f"PathPattern({self.source!r})"

"""Shared machinery of the fuzz suite: the ``@fuzz`` decorator, the parser contract, seeds, mutations.

The contract every parser is held to (the project's words): *no exception escapes a parser; bad
input becomes no statement plus a warning, or a documented error type* (``TdmRepError``,
``RslError``, ``RuleFileError``, ``ValueError`` for invalid product tokens).
:func:`attempt` checks it for one call.

Profiles
    Each property is written once, with ``@fuzz(...)`` in place of ``@given(...)``, and collected
    twice: ``test_x[default]`` runs with the ``default`` fuzz profile and ``test_x[slow]``, marked
    ``@pytest.mark.slow``, with the ``slow`` profile (conftest.py registers both). Selection is by
    marker alone, so ``-m slow`` runs exactly the slow items and a plain run exactly the others.
    Marks such as ``xfail`` go *above* ``@fuzz``; ``@example`` goes below it, next to the function.

Known crashes
    A crash found by this suite is pinned by an ``xfail(strict=True, raises=KnownCrash)`` test that
    holds the failing input as an explicit ``@example`` and runs it inside ``with crash(name):``,
    which turns exactly that crash into :class:`KnownCrash` (any other failure is reported). So
    that the other properties keep exploring instead of failing on the same bug again, they may
    name it in ``known=`` (see :data:`KNOWN`): such an example is discarded (``reject()``, with a
    Hypothesis event). When a bug is fixed its xfail test passes, strict xfail turns that into a
    failure, and the entry in :data:`KNOWN` should go with the xfail marker.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from hypothesis import event, given, reject, settings
from hypothesis import strategies as st

from scrapy_policyguard.core.paths import normalize_path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"

#: The fuzz profiles, by the name used in test ids, and the Hypothesis profile each one loads.
#: conftest.py registers them; they are not called ``default`` / ``slow`` inside Hypothesis,
#: because registering a profile named ``default`` would change the settings of every other
#: Hypothesis test in the session (tests/core/...) from the moment tests/fuzz is collected.
PROFILES = {"default": "policyguard-fuzz-default", "slow": "policyguard-fuzz-slow"}

_PROFILE_PARAMS = [
    pytest.param("default", id="default"),
    pytest.param("slow", id="slow", marks=pytest.mark.slow),
]

F = TypeVar("F", bound=Callable[..., Any])


def fuzz(*given_args: Any, **given_kwargs: Any) -> Callable[[F], Any]:
    """``@given(...)`` run once per fuzz profile, as ``[default]`` and ``[slow]`` (marked slow)."""

    def decorate(fn: F) -> Any:
        runners: dict[str, Callable[[], None]] = {}

        def test(fuzz_profile: str) -> None:
            runner = runners.get(fuzz_profile)
            if runner is None:
                profile = settings.get_profile(PROFILES[fuzz_profile])
                runner = runners[fuzz_profile] = settings(profile)(given(*given_args, **given_kwargs)(fn))
            runner()

        # Not functools.wraps: its __wrapped__ would make pytest read fn's arguments as fixtures.
        for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(test, attr, getattr(fn, attr))
        # Marks written between @fuzz and the function would otherwise be lost.
        test.pytestmark = list(getattr(fn, "pytestmark", []))
        return pytest.mark.parametrize("fuzz_profile", _PROFILE_PARAMS)(test)

    return decorate


# --------------------------------------------------------------------------- the contract


@dataclass(frozen=True)
class Known:
    """A crash this suite found and pinned in an xfail test (named in its ``reason``)."""

    id: str
    exc_type: type[BaseException]  # the exception's type itself, not a subclass
    message: str  # a regular expression searched in str(exception)

    def matches(self, exc: BaseException) -> bool:
        return type(exc) is self.exc_type and re.search(self.message, str(exc)) is not None


#: Crashes pinned by an xfail test, by id. Empty: the 15 crashes this suite found first (lone
#: surrogates, "Invalid IPv6 URL" from urllib, deep or unreadable YAML, a list as an agent class,
#: surrogates in the audit log) were fixed in 162f4cb, and their tests are regression tests now.
KNOWN: dict[str, Known] = {}


class KnownCrash(Exception):
    """A pinned crash happened (see :func:`crash`); xfail tests expect it with ``raises=``, so
    that a test failing for any other reason (an assertion, a typo) is reported, not xfailed."""


@contextmanager
def crash(name: str) -> Iterator[None]:
    """Turn the crash ``name`` of :data:`KNOWN` into :class:`KnownCrash`; anything else passes."""
    try:
        yield
    except Exception as exc:
        if KNOWN[name].matches(exc):
            raise KnownCrash(f"{name}: {type(exc).__name__}: {exc}") from exc
        raise


@dataclass(frozen=True)
class Result:
    value: Any = None
    error: BaseException | None = None  # a documented error type

    @property
    def ok(self) -> bool:
        return self.error is None


def attempt(
    call: Callable[[], Any],
    errors: tuple[type[BaseException], ...] = (),
    *,
    known: Iterable[str] = (),
    message: str | None = None,
) -> Result:
    """Run one parser call under the contract.

    A documented error type (``errors``; with ``message``, its text must match that pattern too)
    comes back as ``Result(error=...)``; a crash listed in ``known`` discards the example; any
    other exception fails the test with its own traceback.
    """
    try:
        return Result(call())
    except Exception as exc:
        if errors and isinstance(exc, errors) and (message is None or re.search(message, str(exc))):
            return Result(error=exc)
        for name in known:
            if KNOWN[name].matches(exc):
                event(f"known crash: {name}")
                reject()
        raise


def assert_json(obj: Any) -> str:
    """``obj`` (a to_dict() result) is JSON: strings, numbers, lists and string-keyed dicts only."""
    text = json.dumps(obj, allow_nan=False)
    assert json.loads(text) == obj
    return text


def assert_evidence_json(items: Iterable[Any]) -> None:
    for item in items:
        data = item.to_dict()
        assert_json(data)
        assert set(data["effects"].values()) <= {"allow", "deny"}


# --------------------------------------------------------------------------- seeds

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(path: Path) -> Any:
    return yaml.load(path.read_bytes(), Loader=_Loader)


def _read_all(folder: Path, pattern: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.glob(pattern)) if p.is_file()]


@functools.cache
def robots_seeds() -> tuple[bytes, ...]:
    """robots.txt bodies: the conformance cases, real sites' files and the benchmark files."""
    seeds: list[bytes] = []
    data = _yaml(ROOT / "tests/core/data/robots_conformance.yaml")
    for case in data["cases"]:
        if isinstance(case.get("robots"), str):
            seeds.append(case["robots"].encode("utf-8"))
        if isinstance(case.get("robots_octets"), str):
            seeds.append(case["robots_octets"].encode("latin-1"))
    seeds += _read_all(ROOT / "tests/core/signals/data/robots", "*.txt")
    seeds += _read_all(ROOT / "benchmarks/data/robots", "*.txt")
    return tuple(dict.fromkeys(s for s in seeds if s))


@functools.cache
def rsl_seeds() -> tuple[bytes, ...]:
    namespace = "https://rslstandard.org/rsl"
    seeds = _read_all(ROOT / "tests/core/signals/data/rsl", "*.xml")
    data = _yaml(ROOT / "tests/core/signals/data/rsl_cases.yaml")
    for case in data["cases"]:
        doc = case.get("raw") or case.get("doc")
        if not isinstance(doc, str):
            continue
        seeds.append(doc.encode("utf-8"))
        if case.get("ns", True) and not case.get("raw"):
            seeds.append(f'<rsl xmlns="{namespace}">{doc}</rsl>'.encode())
    seeds += [s for s in _read_all(CORPUS / "rsl", "*.xml") if b"<!DOCTYPE" not in s]
    return tuple(dict.fromkeys(seeds))


@functools.cache
def xml_attack_seeds() -> tuple[bytes, ...]:
    return (
        (CORPUS / "rsl/billion-laughs.xml").read_bytes(),
        (CORPUS / "rsl/external-entity.xml").read_bytes(),
    )


@functools.cache
def tdmrep_seeds() -> tuple[bytes, ...]:
    data = _yaml(ROOT / "tests/core/signals/data/tdmrep_cases.yaml")
    seeds = [f["file"].encode("utf-8") for f in data["files"] if isinstance(f.get("file"), str)]
    seeds += _read_all(CORPUS / "tdmrep", "*.json")
    return tuple(dict.fromkeys(seeds))


@functools.cache
def html_seeds() -> tuple[bytes, ...]:
    return tuple(_read_all(CORPUS / "html", "*.html"))


@functools.cache
def terms_seeds() -> tuple[bytes, ...]:
    seeds = _read_all(ROOT / "rules/terms", "*.yaml")
    seeds += _read_all(ROOT / "tests/core/data/terms", "*.yaml")
    seeds += _read_all(ROOT / "tests/core/data/terms-override", "*.yaml")
    seeds += _read_all(ROOT / "tests/core/data", "minimal-pack.yaml")
    return tuple(seeds)


@functools.cache
def agents_seed() -> bytes:
    """rules/agents.yaml cut to a few entries (loading the whole file takes ~0.4 s): the first two,
    and those that use ``matches``, ``aliases`` or ``signals``. Comments and layout are kept."""
    lines = (ROOT / "rules/agents.yaml").read_bytes().splitlines(keepends=True)
    start = lines.index(b"agents:\n")
    header: list[bytes] = []
    sources = 0
    in_sources = False
    for line in lines[: start + 1]:
        if line.startswith(b"sources:"):
            in_sources = True
        elif not line.startswith(b" "):
            in_sources = False
        if in_sources and line.startswith(b"  - "):
            sources += 1
        if not in_sources or sources <= 2:
            header.append(line)
    blocks: list[list[bytes]] = []
    for line in lines[start + 1 :]:
        if line.startswith(b"  - ") or not blocks:
            blocks.append([])
        blocks[-1].append(line)
    special = [
        b for b in blocks[2:] if any(k in b"".join(b) for k in (b"matches:", b"aliases:", b"signals:"))
    ]
    return b"".join(header) + b"".join(b"".join(block) for block in blocks[:2] + special[:5])


#: Header values as sites send them, for mutation.
HEADER_SEEDS: tuple[tuple[str, str], ...] = (
    ("X-Robots-Tag", "noai, noimageai"),
    ("X-Robots-Tag", "ExampleBot: noml, max-snippet:0"),
    ("X-Robots-Tag", "unavailable_after: 25 Jun 2030 15:00:00 PST"),
    ("X-Robots-Tag", "googlebot: noindex, nofollow"),
    ("Content-Usage", "train-ai=n, search=y"),
    ("Content-Usage", 'train-ai=n;exceptions="cc-cr", ai-use=y, tdm=?1, all=n'),
    ("Content-Usage", 'train-ai=(n y);a=1.5, search=:YWJj:, x=@1700000000, d=%"caf%c3%a9"'),
    ("Content-Signal", "search=yes, ai-train=no, ai-input=no, use=reference"),
    ("tdm-reservation", "1"),
    ("tdm-policy", "https://a.example/policy.json"),
    ("Link", '<https://a.example/license.xml>; rel="license"; type="application/rsl+xml"'),
    ("Link", '</l.xml>; rel=license; type=application/rsl+xml, <https://b/x>; rel="next"'),
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Type", "image/png"),
)

SFV_SEEDS: tuple[str, ...] = (
    "train-ai=n, search=y",
    'train-ai=n;exceptions="cc-cr"',
    "a=?1, b=?0, c, d;x;y=1",
    'a=(1 2 3);p="q", b=("x" y:z)',
    "a=1.25, b=-7, c=123456789012345",
    "a=:cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:",
    'a=%"This is intended for display to %c3%bcsers."',
    "a=@1659578233, b=*tok/en:x",
    "all=n, ai=y, tdm=n, train-genai=n, inference=y",
)


# --------------------------------------------------------------------------- strategies

#: Characters that parsers treat specially, or that break naive ones.
SPECIAL_CHARS = (
    "\x00",
    "\t",
    "\n",
    "\r",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x7f",
    "\x85",
    "\xa0",
    "\ufeff",
    "\u2028",
    "\ufffd",
    "#",
    ":",
    ";",
    ",",
    "=",
    "*",
    "$",
    "%",
    "?",
    "/",
    "\\",
    '"',
    "'",
    "<",
    ">",
    "&",
    "[",
    "]",
    "(",
    ")",
    "@",
    " ",
    "é",
    "ツ",
    "\U0001f600",
)

#: Surrogate escapes (U+DC80..U+DCFF): how Python spells undecodable bytes, and how the robots.txt
#: parser keeps invalid UTF-8.
surrogate_escapes = st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF)
#: Any lone surrogate, U+D800..U+DFFF: what a JSON or YAML escape ("\ud800") produces.
lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)

_utf8_chars = st.characters(codec="utf-8")
#: Mostly encodable characters, often special ones, sometimes a lone surrogate: every API here
#: takes any ``str`` a caller can hold, and a surrogate must not make it raise.
_chars = st.one_of(
    _utf8_chars,
    _utf8_chars,
    _utf8_chars,
    st.sampled_from(SPECIAL_CHARS),
    st.sampled_from(SPECIAL_CHARS),
    lone_surrogates,
)
#: Any text, lone surrogates included.
text = st.text(_chars)
#: Text without any surrogate (what ``str.encode("utf-8")`` accepts).
utf8_text = st.text(st.one_of(_utf8_chars, st.sampled_from(SPECIAL_CHARS)))

PATH_CHARS = "/ab*$%?=&.~-_:;#+é" + "\t %2Fe7E3f"
path_text = st.text(
    st.one_of(st.sampled_from(PATH_CHARS), st.sampled_from(PATH_CHARS), _utf8_chars, lone_surrogates)
)


def to_bytes(value: str) -> bytes:
    """``value`` as the bytes it stands for: a surrogate escape gives back its byte, another lone
    surrogate its own (invalid) UTF-8 octets. Never raises."""
    return b"".join(
        bytes([ord(c) - 0xDC00]) if 0xDC80 <= ord(c) <= 0xDCFF else c.encode("utf-8", "surrogatepass")
        for c in value
    )


PRODUCT_TOKENS = (
    "ExampleBot",
    "examplebot",
    "GPTBot",
    "CCBot",
    "Google-Extended",
    "ClaudeBot",
    "anthropic-ai",
    "Bytespider",
    "PerplexityBot",
    "Policy_Guard",
    "*",
    "",
    "AI2Bot",
    "2bot",
    "Bot/1.0",
    "ÄBot",
)
_token_chars = st.text(st.sampled_from("abcxyzABCXYZ_-"), min_size=1, max_size=12)
product_tokens = st.one_of(st.sampled_from(PRODUCT_TOKENS), _token_chars)
valid_tokens = st.one_of(
    st.sampled_from([t for t in PRODUCT_TOKENS if re.fullmatch(r"[A-Za-z_-]+", t)]), _token_chars
)

HOSTS = (
    "a.example",
    "www.reddit.com",
    "old.reddit.com",
    "x.com",
    "en.wikipedia.org",
    "www.bbc.co.uk",
    "medium.com",
    "[::1]",
    "127.0.0.1",
    "bücher.example",
    "xn--bcher-kva.example",
    "a.example:8080",
    "user:pw@a.example",
    "A.EXAMPLE.",
    "",
)


_schemes = st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "//", ""])
_hosts = st.sampled_from(HOSTS)
_url_paths = st.one_of(st.just(""), st.just("/"), path_text.map(lambda p: "/" + p))
_queries = st.one_of(st.just(""), st.just("?"), text.map(lambda q: "?" + q.replace("#", "")))
_fragments = st.one_of(st.just(""), text.map(lambda f: "#" + f))
_well_formed_urls = st.tuples(_schemes, _hosts, _url_paths, _queries, _fragments).map("".join)
_any_urls = st.one_of(_well_formed_urls, _well_formed_urls, _well_formed_urls, text)


def urls(*, garbage: bool = True) -> st.SearchStrategy[str]:
    """URLs: mostly well formed (scheme, host, path, query, fragment), with ``garbage`` also any text."""
    return _any_urls if garbage else _well_formed_urls


# --------------------------------------------------------------------------- mutations

INSERTIONS = (
    b"\x00",
    b"\r",
    b"\n",
    b"\r\n",
    b"\t",
    b"\x0b",
    b"\x0c",
    b"\x1b",
    b"\x7f",
    b"\xef\xbb\xbf",  # UTF-8 BOM
    b"\xff\xfe",  # UTF-16 LE BOM
    b"\xfe\xff",
    b"\xc0\x80",  # overlong NUL
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xe2\x80\xa8",  # LINE SEPARATOR
    b"\xc2\x85",  # NEXT LINE
    b"\xff",
    b"#",
    b":",
    b"*",
    b"$",
    b"%",
    b"%00",
    b"%zz",
    b"<",
    b">",
    b"&",
    b'"',
    b"\\",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b"=",
    b"&amp;",
    b"&#0;",
    b"&#xD800;",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
)

#: The longest line the default profile inserts. Long enough to cross buffer sizes of the parsers
#: that have them (expat, lxml, PyYAML's reader), small enough to keep a run cheap.
LONG_LINE = 70_000


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


@st.composite
def mutate(draw: st.DrawFn, data: bytes, *, others: Sequence[bytes] = (), max_ops: int = 4) -> bytes:
    """``data`` after up to ``max_ops`` random edits: byte flips, truncation, line duplication or
    deletion, insertion of control characters / NUL / BOM / markup, a very long line, a splice
    from another seed, line-ending changes."""
    out = bytearray(data)
    for _ in range(draw(st.integers(0, max_ops))):
        op = draw(
            st.sampled_from(
                [
                    "flip",
                    "truncate",
                    "delete",
                    "duplicate-line",
                    "repeat-line-40",
                    "drop-line",
                    "swap-lines",
                    "insert",
                    "insert-bytes",
                    "long-line",
                    "splice",
                    "crlf",
                    "cr",
                    "case",
                ]
            )
        )
        size = len(out)
        pos = draw(st.integers(0, size))
        if op == "flip" and size:
            at = min(pos, size - 1)
            out[at] ^= draw(st.sampled_from([1, 2, 4, 8, 16, 32, 64, 128, 255]))
        elif op == "truncate":
            del out[pos:]
        elif op == "delete":
            del out[pos : pos + draw(st.integers(1, 64))]
        elif op in ("duplicate-line", "repeat-line-40", "drop-line", "swap-lines"):
            lines = _lines(bytes(out))
            i = draw(st.integers(0, len(lines) - 1))
            if op == "duplicate-line":
                lines.insert(i, lines[i])
            elif op == "repeat-line-40":
                line = lines[i] if lines[i].endswith((b"\n", b"\r")) else lines[i] + b"\n"
                lines[i : i + 1] = [line] * 40
            elif op == "drop-line":
                del lines[i]
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            out = bytearray(b"".join(lines))
        elif op == "insert":
            out[pos:pos] = draw(st.sampled_from(INSERTIONS))
        elif op == "insert-bytes":
            out[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "long-line":
            start = draw(st.integers(0, max(size - 1, 0)))
            piece = bytes(out[start : start + draw(st.integers(1, 16))]) or b"a"
            length = draw(st.integers(1, LONG_LINE))
            out[pos:pos] = (piece * (length // len(piece) + 1))[:length] + b"\n"
        elif op == "splice" and others:
            other = draw(st.sampled_from(list(others)))
            a = draw(st.integers(0, len(other)))
            b = draw(st.integers(a, len(other)))
            out[pos : pos + draw(st.integers(0, 64))] = other[a:b]
        elif op == "crlf":
            out = bytearray(bytes(out).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        elif op == "cr":
            out = bytearray(bytes(out).replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
        elif op == "case":
            end = min(size, pos + draw(st.integers(1, 64)))
            out[pos:end] = bytes(out[pos:end]).swapcase()
    return bytes(out)


def mutated(seeds: Callable[[], Sequence[bytes]], *, max_ops: int = 4) -> st.SearchStrategy[bytes]:
    """A seed from ``seeds()`` (loaded lazily), mutated."""
    return st.deferred(
        lambda: st.sampled_from(seeds()).flatmap(lambda s: mutate(s, others=seeds(), max_ops=max_ops))
    )


def as_text(data: bytes) -> str:
    """Bytes as a ``str`` without surrogates, the way a lenient caller decodes them."""
    return data.decode("utf-8", "replace")


def documents(seeds: Callable[[], Sequence[bytes]]) -> st.SearchStrategy[str | bytes]:
    """Random bytes, random text, or a mutated seed as bytes or as text (decoded leniently, or
    with its undecodable bytes as surrogate escapes)."""
    mutants = mutated(seeds)
    return st.one_of(
        st.binary(max_size=2048),
        text,
        mutants,
        mutants.map(as_text),
        mutants.map(lambda b: b.decode("utf-8", "surrogateescape")),
    )


# --------------------------------------------------------------------------- reference matcher


def reference_tokens(pattern: str) -> tuple[list[str | None], bool, int]:
    """Pattern tokens (a character, or None for ``*``), whether anchored, and the specificity."""
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    tokens: list[str | None] = []
    pieces = body.split("*")
    for i, piece in enumerate(pieces):
        if i:
            tokens.append(None)
        # A lone '%' ending a piece that a '*' or the unanchored end follows begins an escape.
        if piece.endswith("%") and (i < len(pieces) - 1 or not anchored):
            tokens.extend(normalize_path(piece[:-1]) + "%")
        else:
            tokens.extend(normalize_path(piece))
    return tokens, anchored, len(tokens) + anchored


def reference_match(pattern: str, path: str) -> bool:
    """RFC 9309 matching of a normalised ``path`` by dynamic programming (O(tokens x path))."""
    tokens, anchored, _ = reference_tokens(pattern)
    if not anchored:
        tokens = [*tokens, None]  # a pattern matches any path that starts like it
    n = len(path)
    reach = [True] + [False] * n  # reach[j]: the tokens so far can consume exactly path[:j]
    for token in tokens:
        if token is None:
            seen = False
            for j in range(n + 1):
                seen = seen or reach[j]
                reach[j] = seen
        else:
            reach = [False] + [reach[j] and path[j] == token for j in range(n)]
    return reach[n]

"""Fuzzing core/paths.py: normalize_path, path_of and PathPattern, against a reference matcher.

The reference matcher (fuzzing.reference_match) is written from RFC 9309 §2.2.2-2.2.3 alone
(``*`` any run of octets, a final ``$`` anchors, otherwise a pattern matches a prefix), as dynamic
programming over pattern tokens x path positions, with no regex, no fnmatch and no backtracking.
PathPattern must give the same answer for patterns full of ``*`` (the issue's "bounded matching"
requirement: correctness here; cost is the benchmarks' business).
"""

from __future__ import annotations

import re

from fuzzing import (
    fuzz,
    lone_surrogates,
    path_text,
    reference_match,
    reference_tokens,
    surrogate_escapes,
    text,
    urls,
)
from hypothesis import assume, example
from hypothesis import strategies as st

from scrapy_policyguard.core.paths import PathPattern, normalize_path, normalize_piece, path_of

_ESCAPE = re.compile(r"%(?![0-9A-F]{2})")


# --------------------------------------------------------------------------- normalize_path


def _assert_normal_form(path: str) -> None:
    """ASCII, no pattern syntax or spaces, escapes well formed, and normalising changes nothing."""
    assert path.isascii()
    assert not any(c in path for c in "*$ ") and all(0x20 < ord(c) < 0x7F for c in path)
    assert not _ESCAPE.search(path), f"a bare '%' or a lower-case escape in {path!r}"
    assert normalize_path(path) == path


@fuzz(text)
@example("/%7efoo%3f%2A*$ é\udcff%")
@example("%%%41%4")
def test_normalize_path_is_idempotent_and_canonical(path):
    once = normalize_path(path)
    _assert_normal_form(once)


@fuzz(urls())
@example("http://a.example")
@example("//a.example/p?#f")
@example("a.example/%7E?q=%2f")
def test_path_of_never_raises_and_is_normalised(url):
    path = path_of(url)
    assert path.startswith("/")
    _assert_normal_form(path)


# Regression (found by this suite, fixed in 162f4cb): a lone surrogate outside U+DC80..U+DCFF
# made normalize_path raise UnicodeEncodeError (it encoded with "surrogateescape").
@fuzz(st.text(st.one_of(lone_surrogates, surrogate_escapes, st.sampled_from("/a%*$")), min_size=1))
@example("/\ud800")
@example("/\udcff")
def test_normalize_path_with_any_lone_surrogate(path):
    once = normalize_path(path)
    _assert_normal_form(once)
    # A surrogate escape stands for the byte that was not UTF-8: it comes back as that octet.
    for ch in path:
        if 0xDC80 <= ord(ch) <= 0xDCFF:
            assert f"%{ord(ch) - 0xDC00:02X}" in once


# --------------------------------------------------------------------------- PathPattern


@fuzz(text, text)
@example("*$", "")
@example("$", "/")
@example("/a*$*", "/a$")
@example("**", "")
def test_path_pattern_never_raises(pattern, path):
    compiled = PathPattern(pattern)
    assert isinstance(compiled.match(path), bool)
    assert isinstance(compiled.match(normalize_path(path)), bool)
    assert compiled.specificity >= 0


@fuzz(path_text.filter(lambda p: "*" not in p and "$" not in p), path_text)
@example("/a%2fb", "/a%2Fbc")
@example("/~", "/%7E")
@example("", "")
def test_plain_pattern_is_startswith_on_normalised_strings(pattern, path):
    assume("*" not in pattern and "$" not in pattern)
    path = normalize_path(path)
    assert PathPattern(pattern).match(path) == path.startswith(normalize_piece(pattern, open_end=True))
    # A pattern is a path prefix: every path matches itself.
    assert PathPattern(pattern).match(normalize_path(pattern))


# Bounded matching: many '*' against a long path, few letters so that pieces occur often.
_star_patterns = st.text(st.sampled_from("ab/**"), max_size=40).map(lambda p: p.replace("***", "**"))
_long_paths = st.text(st.sampled_from("ab/"), max_size=200)


@fuzz(st.one_of(_star_patterns, _star_patterns.map(lambda p: p + "$")), _long_paths)
@example("*a*a*a*a*a*a*a*a*b$", "a" * 150)
@example("/*a*b*$", "/ab" * 60 + "a")
@example("a**b", "ab")
@example("*$", "")
def test_many_wildcards_agree_with_the_reference(pattern, path):
    compiled = PathPattern(pattern)
    assert compiled.match(path) == reference_match(pattern, path)
    assert compiled.specificity == reference_tokens(pattern)[2]


@fuzz(text.map(lambda s: s[:30]), path_text.map(lambda s: s[:60]))
@example("/%41*%2a$", "/A%2A")
@example("/a$b$", "/a%24b")
@example("/é*é", "/%C3%A9x%C3%A9")
@example("%", "%25")
@example("/a%*b%$", "/a%3Fb%")
def test_any_pattern_agrees_with_the_reference(pattern, path):
    path = normalize_path(path)
    assert PathPattern(pattern).match(path) == reference_match(pattern, path)

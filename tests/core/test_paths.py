"""Unit tests for scrapy_policyguard.core.paths: normalize_path, path_of and PathPattern.

The first two tables restate Google's integrity tests TestGetPathParamsQuery and
TestMaybeEscapePattern (github.com/google/robotstxt robots_test.cc, commit c8ac4b1d) in our own data.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrapy_policyguard.core.paths import PathPattern, normalize_path, origin_of, path_of
from scrapy_policyguard.core.robots import RobotsTxt

# --------------------------------------------------------------------------- path_of

# Google's GetPathParamsQuery examples: path, params and query; no scheme, authority or fragment.
GOOGLE_PATHS = [
    ("", "/"),
    ("http://www.example.com", "/"),
    ("http://www.example.com/", "/"),
    ("http://www.example.com/a", "/a"),
    ("http://www.example.com/a/", "/a/"),
    ("http://www.example.com/a/b?c=http://d.e/", "/a/b?c=http://d.e/"),
    ("http://www.example.com/a/b?c=d&e=f#fragment", "/a/b?c=d&e=f"),
    ("example.com", "/"),
    ("example.com/", "/"),
    ("example.com/a", "/a"),
    ("example.com/a/", "/a/"),
    ("example.com/a/b?c=d&e=f#fragment", "/a/b?c=d&e=f"),
    ("a", "/"),
    ("a/", "/"),
    ("/a", "/a"),
    ("a/b", "/b"),
    ("example.com?a", "/?a"),
    ("example.com/a;b#c", "/a;b"),
    ("//a/b/c", "/b/c"),
]


@pytest.mark.parametrize(("url", "expected"), GOOGLE_PATHS)
def test_path_of_google_examples(url, expected):
    assert path_of(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.EXAMPLE.COM/A/B", "/A/B"),  # the path keeps its case
        ("https://user:secret@www.example.com:8443/p", "/p"),
        ("https://www.example.com?q=1", "/?q=1"),
        ("https://www.example.com#top", "/"),
        ("https://www.example.com/a?", "/a?"),  # an empty query still differs from none
        ("https://www.example.com/a;p?q#f", "/a;p?q"),
        ("https://www.example.com/caf%C3%A9", "/caf%C3%A9"),
        ("https://www.example.com/café", "/caf%C3%A9"),  # non-ASCII is UTF-8 percent-encoded
        ("https://www.example.com/foo/bar/ツ", "/foo/bar/%E3%83%84"),
        ("https://www.example.com/%7Euser", "/~user"),  # escapes of unreserved characters decoded
        ("https://www.example.com/%7euser", "/~user"),
        ("https://www.example.com/foo/bar/%62%61%7A", "/foo/bar/baz"),
        ("https://www.example.com/a%3Fb?c", "/a%3Fb?c"),  # %3F stays an escape, never '?'
        ("https://www.example.com/a%3fb", "/a%3Fb"),
        ("https://www.example.com/a%2fb", "/a%2Fb"),  # %2F is not '/'
        ("https://www.example.com/a b", "/a%20b"),
        ("https://www.example.com/a*b$", "/a%2Ab%24"),  # literal '*' and '$' never become syntax
        ("https://www.example.com/100%", "/100%25"),
        ("https://www.example.com/%zz", "/%25zz"),
        ("https://www.example.com/a?x=http://b.c/?d#e", "/a?x=http://b.c/?d"),
    ],
)
def test_path_of_normalises(url, expected):
    assert path_of(url) == expected


def test_path_of_empty_query_before_fragment():
    assert path_of("https://www.example.com/a?#top") == path_of("https://www.example.com/a?") == "/a?"


def test_path_of_schemeless_url_with_url_in_query():
    assert path_of("example.com/a?u=http://x.y/") == "/a?u=http://x.y/"


# --------------------------------------------------------------------------- normalize_path

# Google's MaybeEscapePattern examples.
GOOGLE_ESCAPES = [
    ("http://www.example.com", "http://www.example.com"),
    ("/a/b/c", "/a/b/c"),
    ("á", "%C3%A1"),
    ("%aa", "%AA"),
]


@pytest.mark.parametrize(("raw", "expected"), GOOGLE_ESCAPES)
def test_normalize_path_google_examples(raw, expected):
    assert normalize_path(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/", "/"),
        ("/%7Efoo", "/~foo"),
        ("/%41%2D%5f%2e%7E", "/A-_.~"),  # every unreserved escape is decoded
        ("/%3f", "/%3F"),  # reserved escapes are kept, hex upper-cased
        ("/%2F", "/%2F"),
        ("/%25", "/%25"),
        ("/%2541", "/%2541"),  # decoded once only: %25 then "41"
        ("/%20", "/%20"),
        ("/%E3%83%84", "/%E3%83%84"),
        ("/%e3%83%84", "/%E3%83%84"),
        ("/ツ", "/%E3%83%84"),
        ("/%", "/%25"),
        ("/%4", "/%254"),
        ("/%g1", "/%25g1"),
        ("/$", "/%24"),
        ("/*", "/%2A"),
        ("/ a\t", "/%20a%09"),
        ("/\x7f", "/%7F"),
        ("/caf\udce9", "/caf%E9"),  # an invalid UTF-8 octet (surrogate escape) is encoded as itself
        ("/a#b", "/a#b"),
        # Reserved characters stay; those a URL may not hold literally are escaped.
        ("/!\"#&'()+,-./:;<=>?@[\\]^_`{|}~", "/!%22#&%27()+,-./:;%3C=%3E?@%5B%5C%5D%5E_%60%7B%7C%7D~"),
    ],
)
def test_normalize_path(raw, expected):
    assert normalize_path(raw) == expected


_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_normalize_path_is_idempotent(raw):
    once = normalize_path(raw)
    assert normalize_path(once) == once
    assert once.isascii()


_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_UNRESERVED_OR_NON_ASCII = st.text(
    st.characters(exclude_categories=("Cs",)).filter(lambda c: c in _UNRESERVED or not c.isascii()),
    max_size=20,
)


@settings(max_examples=300, deadline=None)
@given(_UNRESERVED_OR_NON_ASCII)
def test_encoded_and_raw_forms_normalise_alike(raw):
    # RFC 9309 §2.2.2: non-ASCII is compared percent-encoded and unreserved characters decoded, so
    # percent-encoding every octet of such text changes nothing after normalisation.
    encoded = "".join(f"%{b:02X}" for b in raw.encode("utf-8"))
    assert normalize_path(encoded) == normalize_path(raw)


# --------------------------------------------------------------------------- PathPattern


@pytest.mark.parametrize(
    ("pattern", "specificity"),
    [
        ("/", 1),
        ("*", 1),
        ("/fish", 5),
        ("/fish*", 6),
        ("/*.php", 6),
        ("/*.php$", 7),
        ("*.gif$", 6),
        ("/a**b", 5),
        ("/ツ", 10),  # counted in octets of the encoded form
        ("/%7Ejoe", 5),  # counted after decoding the unreserved escape: /~joe
        ("/a$b", 6),  # a '$' before the end is a literal, encoded as %24
        ("/a%", 3),  # an open '%' is the start of an escape, one octet
        ("/a%$", 6),  # an anchored one is a percent sign, %25
    ],
)
def test_specificity_counts_encoded_octets(pattern, specificity):
    assert PathPattern(pattern).specificity == specificity


@pytest.mark.parametrize(
    ("pattern", "url", "matches"),
    [
        ("/fish", "/fish", True),
        ("/fish", "/fish.html", True),
        ("/fish", "/Fish", False),
        ("/fish", "/catfish", False),
        ("/fish*", "/fishheads", True),
        ("/fish/", "/fish", False),
        ("/*.php", "/folder/filename.php?x", True),
        ("/*.php", "/index?php", False),
        ("/*.php$", "/filename.php", True),
        ("/*.php$", "/filename.php5", False),
        ("/*.php$", "/filename.php?x", False),
        ("/fish*.php", "/fishheads/catfish.php?x", True),
        ("/fish*.php", "/Fish.PHP", False),
        ("/fish*$", "/fish/anything", True),  # "*$" is "anything to the end"
        ("*.gif$", "/a/b.gif", True),  # a pattern may start with '*'
        ("*.gif$", "/a/b.gif?x", False),
        ("/", "/", True),
        ("/$", "/", True),
        ("/$", "/a", False),
        ("$", "/", False),
        ("/foo/*/qux", "/foo/bar/qux", True),
        ("/foo/*/qux", "/foo/qux", False),
        ("/a*b*c", "/aXbYc", True),
        ("/a*b*c", "/aXcYb", False),
        ("/a*b$", "/ab/ab", True),  # the anchored piece is found at the end, not at its first place
        ("/a*b$", "/ab/ac", False),
        ("/a*aa$", "/aa", False),  # pieces may not overlap
        ("/a*aa$", "/aaa", True),
        ("/a$b", "/a$b", True),  # '$' inside a pattern is a literal
        ("/a$b", "/ab", False),
        ("/foo$", "/foo$", False),  # a final '$' is only an anchor
        ("/foo%24", "/foo$", True),  # a literal '$' is written %24
        ("/file-%2A.html", "/file-*.html", True),
        ("/file-%2A.html", "/file-x.html", False),  # %2A is not a wildcard
        ("/~joe", "/%7Ejoe", True),
        ("/%7ejoe", "/~joe", True),
        ("/a%3Fb", "/a?b", False),
        ("/a?b", "/a%3Fb", False),
        ("/a%3Fb", "/a%3fb", True),
        ("/caf\udce9", "/caf%E9", True),
        ("/caf\udce9", "/cafeteria", False),
        ("/ツ", "/%E3%83%84/x", True),
        # A lone '%' ending an open piece begins an escape (eBay: Disallow: /itm/*/%), as Google
        # and Protego read it; anywhere else it is a percent sign, %25.
        ("/itm/*/%", "/itm/1/%7B%7Bitem%7D%7D", True),
        ("/itm/*/%", "/itm/1/%25", True),
        ("/itm/*/%", "/itm/1/%", True),  # the URL's lone '%' is %25
        ("/itm/*/%", "/itm/1/x", False),
        ("/a%", "/a%3F", True),
        ("/a%*b", "/a%20xb", True),
        ("/a%$", "/a%3F", False),  # the anchored end is not open: '%' is %25 there
        ("/a%$", "/a%", True),
        ("/100%off", "/100%25off", True),
        ("/100%off", "/100%3Foff", False),
    ],
)
def test_pattern_match(pattern, url, matches):
    assert PathPattern(pattern).match(path_of(url)) is matches


def test_pattern_keeps_its_source():
    assert PathPattern("/*.php$").source == "/*.php$"
    assert repr(PathPattern("/a")) == "PathPattern('/a')"


def test_many_wildcards_against_a_long_path():
    pattern = PathPattern("/*a*a*a*a*a*a*a*a*b$")
    path = "/" + "a" * 4096
    assert pattern.match(path) is False
    assert pattern.match(path + "b") is True
    assert pattern.match("/" + "a" * 7 + "b") is False  # eight a's are needed
    assert pattern.match("/" + "a" * 8 + "b") is True
    assert PathPattern("/*a*a*a*a*a*a*a*a*b").match(path) is False
    assert PathPattern("/*a*a*a*a*a*a*a*a*b").match(path + "bc") is True


def _reference_match(pattern: str, path: str) -> bool:
    """Plain dynamic-programming glob: '*' is any run, a final '$' is the end of the path."""
    anchored = pattern.endswith("$")
    if anchored:
        pattern = pattern[:-1]
    reachable = {0}
    for char in pattern:
        if char == "*":
            start = min(reachable)
            reachable = set(range(start, len(path) + 1))
        else:
            reachable = {i + 1 for i in reachable if i < len(path) and path[i] == char}
        if not reachable:
            return False
    return len(path) in reachable if anchored else True


@settings(max_examples=500, deadline=None)
@given(
    st.text("ab/*", min_size=1, max_size=10).map(lambda s: "/" + s),
    st.booleans(),
    st.text("ab/", max_size=14).map(lambda s: "/" + s),
)
def test_pattern_agrees_with_reference_matcher(body, anchored, path):
    pattern = body + "$" if anchored else body
    assert PathPattern(pattern).match(path) is _reference_match(pattern, path)


# --------------------------------------------------------------------------- origin_of


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Example.COM/a?b#c", "https://example.com"),
        ("http://example.com:80/", "http://example.com"),
        ("https://example.com:443/", "https://example.com"),
        ("http://example.com:8080/a", "http://example.com:8080"),
        ("https://user:pw@example.com./a", "https://example.com"),
        ("http://[2001:DB8::1]:81/a", "http://[2001:db8::1]:81"),
        # urlsplit refuses these; the authority as written is still an origin of its own.
        ("http://[::1/a", "http://[::1"),
        ("HTTP://User@Bad:port/a?q", "http://bad:port"),
    ],
)
def test_origin_of(url, origin):
    assert origin_of(url) == origin


# Characters a URL may not hold literally: Scrapy (w3lib's safe_url_string), browsers and curl send
# them escaped, robots.txt authors write them literally. Both spellings normalise alike.
UNSAFE = ' "<>\\^`{|}[]'


@pytest.mark.parametrize("char", list(UNSAFE))
def test_a_character_urls_cannot_hold_matches_its_escape_in_either_case(char):
    escape = f"%{ord(char):02X}"
    literal, upper, lower = (normalize_path(f"/a{c}b") for c in (char, escape, escape.lower()))
    assert literal == upper == lower == f"/a{escape}b"


@pytest.mark.parametrize("char", [*"-._~", "A", "z", "0"])
def test_an_unreserved_character_matches_its_escape(char):
    assert normalize_path(f"/a%{ord(char):02x}b") == normalize_path(f"/a%{ord(char):02X}b") == f"/a{char}b"


@pytest.mark.parametrize("char", list(":/?#@!&()+,;="))
def test_a_reserved_character_and_its_escape_stay_different(char):
    escape = f"%{ord(char):02X}"
    assert normalize_path(f"/a{char}b") == f"/a{char}b"
    assert normalize_path(f"/a{escape.lower()}b") == f"/a{escape}b"


@pytest.mark.parametrize(
    ("rule", "url"),
    [
        pytest.param("/*Ns=P_Topseller_Sort|style=List", "/c?Ns=P_Topseller_Sort%7Cstyle=List", id="pipe"),
        pytest.param("/collections*?f[0]=", "/collections/all?f%5B0%5D=red", id="brackets"),
        pytest.param("/{{product.url}}", "/%7B%7Bproduct.url%7D%7D", id="braces"),
        pytest.param("/a b", "/a%20b", id="space"),
        pytest.param('/q"x', "/q%22x", id="quote"),
        pytest.param("/d\\e", "/d%5ce", id="backslash-lower-hex"),
        pytest.param("/x^y", "/x%5Ey", id="caret"),
        pytest.param("/p<q>", "/p%3Cq%3E", id="angle-brackets"),
        pytest.param("/t`t", "/t%60t", id="backtick"),
        pytest.param("/%7Cpipe", "/|pipe", id="escaped-rule-literal-url"),
        pytest.param("/*?q='", "/s?q=%27x", id="apostrophe-in-query"),
        pytest.param("/it%27s", "/it's", id="escaped-apostrophe-rule-literal-url"),
        pytest.param("/Löschen", "/L%C3%B6schen", id="non-ascii"),
    ],
)
def test_rules_written_literally_match_urls_as_scrapy_sends_them(rule, url):
    robots = RobotsTxt.parse(f"User-agent: *\nDisallow: {rule}\n")
    matched = robots.group_for("ExampleBot").match(path_of("https://a.example" + url))
    assert matched is not None and not matched.allow


def test_escaped_reserved_characters_keep_their_distinction():
    robots = RobotsTxt.parse("User-agent: *\nDisallow: /a?b\nDisallow: /c/d\n")
    group = robots.group_for("ExampleBot")
    assert group.match(path_of("https://a.example/a%3Fb")) is None
    assert group.match(path_of("https://a.example/c%2Fd")) is None

"""RFC 9651 Dictionary parsing (scrapy_policyguard.core.sfv), the syntax of AIPREF ``Content-Usage``.

Cases come from RFC 9651 §4.2 (the parsing algorithms), from the examples of
draft-ietf-aipref-vocab-07 §6 and from the table in signals-research.md §4.3. Every expectation is
written from the RFC text, not from the parser's output.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from scrapy_policyguard.core.sfv import SFVError, Token, parse_dictionary


def tok(value: str) -> Token:
    return Token(value)


def _plain(members: dict) -> dict:
    """Members with each bare item tagged by type, so that Token "n" and String "n" differ."""

    def bare(value: object) -> object:
        if isinstance(value, Token):
            return ("token", str(value))
        if isinstance(value, bool):
            return ("bool", value)
        if isinstance(value, str):
            return ("string", value)
        return (type(value).__name__, value)

    def item(member: tuple) -> object:
        value, params = member
        params = {k: bare(v) for k, v in params.items()}
        if isinstance(value, list):
            return ("inner", [item(i) for i in value], params)
        return (bare(value), params)

    return {key: item(member) for key, member in members.items()}


# --------------------------------------------------------------------------- AIPREF examples

# (input, expected members) from signals-research.md §4.3 and draft-ietf-aipref-vocab-07 §6.
AIPREF_EXAMPLES = [
    pytest.param(
        "train-ai=y, search=n",
        {"train-ai": (("token", "y"), {}), "search": (("token", "n"), {})},
        id="vocab-6-basic",
    ),
    pytest.param(
        'train-ai=y, train-ai, search=n, search="n"',
        {"train-ai": (("bool", True), {}), "search": (("string", "n"), {})},
        id="vocab-6.4.1-duplicates-last-wins",
    ),
    pytest.param(
        "train-ai;allow=n, train-ai=y",
        {"train-ai": (("token", "y"), {})},
        id="vocab-6.4.2-params-go-with-the-replaced-value",
    ),
    pytest.param("train-ai=no", {"train-ai": (("token", "no"), {})}, id="token-no-is-not-n"),
    pytest.param(
        "train-ai=n;exceptions=cc-cr",
        {"train-ai": (("token", "n"), {"exceptions": ("token", "cc-cr")})},
        id="cc-signals-exceptions-param",
    ),
    pytest.param(
        'train-ai;has;parameters="?"',
        {"train-ai": (("bool", True), {"has": ("bool", True), "parameters": ("string", "?")})},
        id="vocab-6.4.2-params-on-bare-key",
    ),
]


@pytest.mark.parametrize(("text", "expected"), AIPREF_EXAMPLES)
def test_aipref_examples(text, expected):
    assert _plain(parse_dictionary(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Train-AI=n", id="vocab-6.4.1-uppercase-key"),
        pytest.param("train-AI=n", id="uppercase-inside-key"),
        # The vocab draft prints this example with a trailing ';', which RFC 9651 §4.2.3.2 rejects
        # (a parameter key must follow): the preference is unknown either way.
        pytest.param('train-ai;has;parameters="?";', id="vocab-6.4.2-trailing-semicolon"),
    ],
)
def test_aipref_examples_that_do_not_parse(text):
    with pytest.raises(SFVError):
        parse_dictionary(text)


# --------------------------------------------------------------------------- dictionaries


VALID = [
    pytest.param("", {}, id="empty"),
    pytest.param("   ", {}, id="only-spaces"),
    pytest.param("a=1", {"a": (("int", 1), {})}, id="single"),
    pytest.param("a=1,b=2", {"a": (("int", 1), {}), "b": (("int", 2), {})}, id="no-whitespace"),
    pytest.param("a=1 ,  b=2", {"a": (("int", 1), {}), "b": (("int", 2), {})}, id="whitespace-around-comma"),
    pytest.param("a=1\t,\tb=2", {"a": (("int", 1), {}), "b": (("int", 2), {})}, id="tab-is-ows"),
    pytest.param("     a=1,  b=2", {"a": (("int", 1), {}), "b": (("int", 2), {})}, id="leading-spaces"),
    pytest.param("a=1, b=2   ", {"a": (("int", 1), {}), "b": (("int", 2), {})}, id="trailing-spaces"),
    pytest.param(
        "a=1, b, c=3",
        {"a": (("int", 1), {}), "b": (("bool", True), {}), "c": (("int", 3), {})},
        id="missing-value-is-true",
    ),
    pytest.param(
        "a=1, b;foo=9, c=3",
        {"a": (("int", 1), {}), "b": (("bool", True), {"foo": ("int", 9)}), "c": (("int", 3), {})},
        id="missing-value-with-params",
    ),
    pytest.param(
        "a=?0, b=?1",
        {"a": (("bool", False), {}), "b": (("bool", True), {})},
        id="booleans",
    ),
    pytest.param("k*_-.0=1", {"k*_-.0": (("int", 1), {})}, id="key-charset"),
    pytest.param("*k=1", {"*k": (("int", 1), {})}, id="key-may-start-with-star"),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_dictionaries(text, expected):
    assert _plain(parse_dictionary(text)) == expected


INVALID = [
    pytest.param("a=1, b=2,", id="trailing-comma"),
    pytest.param("a=1, b=2, ", id="trailing-comma-space"),
    pytest.param("a=1,,b=2", id="empty-member"),
    pytest.param(",a=1", id="leading-comma"),
    pytest.param("a =1", id="space-before-equals"),
    pytest.param("a= 1", id="space-after-equals"),
    pytest.param("a=1 b=2", id="missing-comma"),
    pytest.param("a=1,B=2", id="uppercase-key"),
    pytest.param("a=1,1b=2", id="numeric-first-char"),
    pytest.param("a=1,b!=2", id="bad-key-char"),
    pytest.param("\ta=1", id="leading-tab"),
    pytest.param("a=", id="equals-without-value"),
    pytest.param("a=1 ;q=2", id="space-before-semicolon"),
    pytest.param("a=1;", id="semicolon-without-key"),
    pytest.param("a=1;Q=2", id="uppercase-param-key"),
]


@pytest.mark.parametrize("text", INVALID)
def test_invalid_dictionaries(text):
    with pytest.raises(SFVError):
        parse_dictionary(text)


def test_duplicate_keys_last_value_wins():
    members = parse_dictionary("a=1, b=2, a=3")
    assert _plain(members)["a"] == (("int", 3), {})
    assert _plain(members)["b"] == (("int", 2), {})


def test_duplicate_key_parameters_are_replaced_with_the_value():
    members = parse_dictionary("a=1;x=1, a=2")
    assert members["a"] == (2, {})


def test_duplicate_key_keeps_its_first_position():
    assert list(parse_dictionary("a=1,b=2,a=3")) == ["a", "b"]


# --------------------------------------------------------------------------- bare items


ITEMS = [
    pytest.param("a=foo", ("token", "foo"), id="token"),
    pytest.param("a=*foo", ("token", "*foo"), id="token-star"),
    pytest.param("a=foo/bar:baz", ("token", "foo/bar:baz"), id="token-slash-colon"),
    pytest.param("a=Foo", ("token", "Foo"), id="token-uppercase-allowed"),
    pytest.param('a="x y"', ("string", "x y"), id="string"),
    pytest.param(r'a="x\"y\\z"', ("string", 'x"y\\z'), id="string-escapes"),
    pytest.param('a=""', ("string", ""), id="empty-string"),
    pytest.param("a=-15", ("int", -15), id="negative-integer"),
    pytest.param("a=123456789012345", ("int", 123456789012345), id="15-digit-integer"),
    pytest.param("a=1.5", ("Decimal", Decimal("1.5")), id="decimal"),
    pytest.param("a=-123456789012.123", ("Decimal", Decimal("-123456789012.123")), id="longest-decimal"),
    pytest.param("a=:aGVsbG8=:", ("bytes", b"hello"), id="byte-sequence"),
    pytest.param("a=::", ("bytes", b""), id="empty-byte-sequence"),
    pytest.param("a=@1659578233", ("int", 1659578233), id="date"),
    pytest.param('a=%"f%c3%bc%c3%bc"', ("string", "füü"), id="display-string"),
]


@pytest.mark.parametrize(("text", "expected"), ITEMS)
def test_bare_items(text, expected):
    assert _plain(parse_dictionary(text))["a"] == (expected, {})


BAD_ITEMS = [
    pytest.param('a="abc', id="unterminated-string"),
    pytest.param(r'a="\a"', id="bad-escape"),
    pytest.param('a="\x01"', id="control-char-in-string"),
    pytest.param('a="\x7f"', id="del-in-string"),
    pytest.param('a="é"', id="non-ascii-in-string"),
    pytest.param("é=1", id="non-ascii-key"),
    pytest.param("train-ai=n, é=y", id="non-ascii-anywhere-fails-everything"),
    pytest.param("a=1234567890123456", id="16-digit-integer"),
    pytest.param("a=1.2345", id="4-fraction-digits"),
    pytest.param("a=1.", id="decimal-without-fraction"),
    pytest.param("a=1234567890123.5", id="13-digit-decimal-integer-part"),
    pytest.param("a=-", id="lone-minus"),
    pytest.param("a=?2", id="bad-boolean"),
    pytest.param("a=:aGVsbG8=", id="unterminated-bytes"),
    pytest.param("a=:a$b=:", id="bad-base64-char"),
    pytest.param("a=@1.5", id="decimal-date"),
    pytest.param('a=%"%C3"', id="uppercase-percent-in-display-string"),
    pytest.param("a=1x", id="junk-after-number"),
]


@pytest.mark.parametrize("text", BAD_ITEMS)
def test_bad_items(text):
    with pytest.raises(SFVError):
        parse_dictionary(text)


def test_byte_sequence_without_padding_parses():
    members = parse_dictionary("train-ai=n, x=:aGVsbG8:")
    assert members["x"] == (b"hello", {})
    assert members["train-ai"] == ("n", {})


# --------------------------------------------------------------------------- parameters


PARAMS = [
    pytest.param("a=1;q=0.5;x", {"q": ("Decimal", Decimal("0.5")), "x": ("bool", True)}, id="params"),
    pytest.param("a=1; q=2", {"q": ("int", 2)}, id="space-after-semicolon"),
    pytest.param("a=1;x=1;x=2", {"x": ("int", 2)}, id="duplicate-param-last-wins"),
    pytest.param('a=1;s="v";t=tok', {"s": ("string", "v"), "t": ("token", "tok")}, id="param-types"),
]


@pytest.mark.parametrize(("text", "expected"), PARAMS)
def test_parameters(text, expected):
    assert _plain(parse_dictionary(text))["a"] == (("int", 1), expected)


# --------------------------------------------------------------------------- inner lists


INNER = [
    pytest.param("a=(1 2)", ("inner", [(("int", 1), {}), (("int", 2), {})], {}), id="inner-list"),
    pytest.param("a=()", ("inner", [], {}), id="empty-inner-list"),
    pytest.param("a=( 1  2 )", ("inner", [(("int", 1), {}), (("int", 2), {})], {}), id="extra-spaces"),
    pytest.param(
        "a=(x;y=1 z);p",
        ("inner", [(("token", "x"), {"y": ("int", 1)}), (("token", "z"), {})], {"p": ("bool", True)}),
        id="item-and-list-params",
    ),
]


@pytest.mark.parametrize(("text", "expected"), INNER)
def test_inner_lists(text, expected):
    assert _plain(parse_dictionary(text))["a"] == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a=(1 2", id="unterminated"),
        pytest.param("a=(1,2)", id="comma-inside"),
        pytest.param("a=((1))", id="nested"),
    ],
)
def test_bad_inner_lists(text):
    with pytest.raises(SFVError):
        parse_dictionary(text)


def test_token_and_string_with_the_same_characters_differ():
    members = parse_dictionary('a=n, b="n"')
    assert isinstance(members["a"][0], Token)
    assert not isinstance(members["b"][0], Token)
    assert members["b"][0] == "n"


def test_sfv_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_dictionary("A=1")

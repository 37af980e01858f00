"""RFC 9651 Structured Field Dictionaries, the syntax of AIPREF's ``Content-Usage`` values.

Only parsing is needed. The AIPREF vocabulary's processing rules depend on the exact result: a
Token ``n`` disallows, but a String ``"n"``, a bare key (Boolean true) or Token ``no`` say nothing,
the last duplicate key wins, and any syntax error (an upper-case key, say) makes the whole value
say nothing. So this is a faithful parser of RFC 9651 §4.2, not a split on commas.
"""

from __future__ import annotations

import base64
import binascii
import re
from decimal import Decimal

__all__ = ["SFVError", "Token", "parse_dictionary"]


class SFVError(ValueError):
    """The text is not a valid Structured Field of the requested type."""


class Token(str):
    """An RFC 9651 Token (distinct from a String with the same characters)."""


_KEY_FIRST = re.compile(r"[a-z*]")
_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]*)?")
_BYTES = re.compile(r":([A-Za-z0-9+/=]*):")

BareItem = int | Decimal | str | Token | bytes | bool
Params = dict[str, BareItem]
Item = tuple[BareItem, Params]
InnerList = tuple[list[Item], Params]


class _Parser:
    def __init__(self, text: str) -> None:
        if not text.isascii():
            raise SFVError("non-ASCII character")
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self, chars: str) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def key(self) -> str:
        m = _KEY.match(self.text, self.pos)
        if not m:
            raise SFVError(f"expected a key at {self.pos}")
        self.pos = m.end()
        return m.group()

    def bare_item(self) -> BareItem:
        ch = self.peek()
        if ch == "-" or ch.isdigit():
            return self.number()
        if ch == '"':
            return self.string()
        if ch == ":":
            m = _BYTES.match(self.text, self.pos)
            if not m:
                raise SFVError("bad byte sequence")
            self.pos = m.end()
            try:
                data = m.group(1)
                # RFC 9651 §4.2.7: parsers SHOULD NOT fail when "=" padding is missing.
                return base64.b64decode(data + "=" * (-len(data) % 4), validate=True)
            except binascii.Error as exc:
                raise SFVError("bad base64") from exc
        if ch == "?":
            value = self.text[self.pos + 1 : self.pos + 2]
            if value not in ("0", "1"):
                raise SFVError("bad boolean")
            self.pos += 2
            return value == "1"
        if ch == "@":
            self.pos += 1
            number = self.number()
            if not isinstance(number, int):
                raise SFVError("bad date")
            return number
        if ch == "%":
            return self.display_string()
        m = _TOKEN.match(self.text, self.pos)
        if m:
            self.pos = m.end()
            return Token(m.group())
        raise SFVError(f"unexpected {ch!r} at {self.pos}")

    def number(self) -> int | Decimal:
        m = _NUMBER.match(self.text, self.pos)
        if not m:
            raise SFVError("bad number")
        text = m.group()
        digits = text.lstrip("-")
        if "." in digits:
            whole, frac = digits.split(".")
            if len(whole) > 12 or not 1 <= len(frac) <= 3:
                raise SFVError("bad decimal")
            self.pos = m.end()
            return Decimal(text)
        if len(digits) > 15:
            raise SFVError("integer too long")
        self.pos = m.end()
        return int(text)

    def string(self) -> str:
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            self.pos += 1
            if ch == "\\":
                nxt = self.peek()
                if nxt not in ('"', "\\"):
                    raise SFVError("bad escape")
                out.append(nxt)
                self.pos += 1
            elif ch == '"':
                return "".join(out)
            elif not " " <= ch <= "~":
                raise SFVError("control character in string")
            else:
                out.append(ch)
        raise SFVError("unterminated string")

    def display_string(self) -> str:
        if self.text[self.pos : self.pos + 2] != '%"':
            raise SFVError("bad display string")
        self.pos += 2
        raw = bytearray()
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            self.pos += 1
            if ch == "%":
                hexpair = self.text[self.pos : self.pos + 2]
                if not re.fullmatch(r"[0-9a-f]{2}", hexpair):
                    raise SFVError("bad percent escape")
                raw.append(int(hexpair, 16))
                self.pos += 2
            elif ch == '"':
                try:
                    return raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise SFVError("bad UTF-8 in display string") from exc
            elif not " " <= ch <= "~":
                raise SFVError("control character in display string")
            else:
                raw.append(ord(ch))
        raise SFVError("unterminated display string")

    def params(self) -> Params:
        params: Params = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            name = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            params[name] = value
        return params

    def item_or_inner_list(self) -> Item | InnerList:
        if self.peek() != "(":
            value = self.bare_item()
            return value, self.params()
        self.pos += 1
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return items, self.params()
            value = self.bare_item()
            items.append((value, self.params()))
            if self.peek() not in (" ", ")"):
                raise SFVError("bad or unterminated inner list")


def parse_dictionary(text: str) -> dict[str, Item | InnerList]:
    """Parse an RFC 9651 Dictionary; raise :class:`SFVError` on any syntax error."""
    parser = _Parser(text)
    parser.skip(" ")
    members: dict[str, Item | InnerList] = {}
    if parser.pos >= len(text):
        return members
    while True:
        name = parser.key()
        if parser.peek() == "=":
            parser.pos += 1
            member = parser.item_or_inner_list()
        else:
            member = (True, parser.params())
        members[name] = member  # a later duplicate overwrites the value in place (§4.2.2)
        parser.skip(" \t")
        if parser.pos >= len(text):
            return members
        if parser.peek() != ",":
            raise SFVError(f"expected ',' at {parser.pos}")
        parser.pos += 1
        parser.skip(" \t")
        if parser.pos >= len(text):
            raise SFVError("trailing comma")
        if not _KEY_FIRST.match(parser.peek()):
            raise SFVError(f"expected a key at {parser.pos}")

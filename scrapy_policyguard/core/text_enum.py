"""The base of every fixed vocabulary here: enum members that are also their text."""

from __future__ import annotations

from enum import Enum

__all__ = ["TextEnum"]


class TextEnum(str, Enum):
    """A member equals, hashes and prints as its value, so it can key stats, JSON and dicts that
    are also looked up with plain text (``Purpose.SEARCH == "search"``)."""

    # Enum hashes the member name; hashing the value keeps hash and str equality consistent.
    __hash__ = str.__hash__

    def __str__(self) -> str:
        return str(self.value)

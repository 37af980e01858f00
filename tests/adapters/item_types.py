"""Item classes of every kind itemadapter handles, shared by the item tests."""

from __future__ import annotations

import dataclasses
from typing import Any

import attrs
import scrapy


class ArticleItem(scrapy.Item):
    url = scrapy.Field()
    title = scrapy.Field()
    policyguard = scrapy.Field()


class BareItem(scrapy.Item):  # cannot take the tag field
    url = scrapy.Field()
    title = scrapy.Field()


@dataclasses.dataclass
class DataItem:
    url: str
    title: str
    policyguard: dict[str, Any] | None = None


@dataclasses.dataclass(frozen=True)
class FrozenItem:
    url: str
    title: str


@attrs.define
class AttrsItem:
    url: str
    title: str
    policyguard: dict[str, Any] | None = None

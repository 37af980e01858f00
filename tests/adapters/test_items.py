"""The item fingerprint: the same fields give the same hash, whatever the item class."""

from __future__ import annotations

import dataclasses
import datetime

import attrs
import scrapy
from itemadapter import ItemAdapter

from scrapy_policyguard.adapters.items import item_fingerprint


class Page(scrapy.Item):
    url = scrapy.Field()
    title = scrapy.Field()
    policyguard = scrapy.Field()


@dataclasses.dataclass
class PageData:
    url: str
    title: str


@attrs.define
class PageAttrs:
    url: str
    title: str


FIELDS = {"url": "https://example.com/a", "title": "Ä title"}


def fingerprint(item: object) -> str:
    return item_fingerprint(ItemAdapter(item), exclude="policyguard")


def test_the_same_fields_give_the_same_fingerprint_in_every_item_class():
    prints = {
        fingerprint(item) for item in (dict(FIELDS), Page(**FIELDS), PageData(**FIELDS), PageAttrs(**FIELDS))
    }
    assert len(prints) == 1
    assert len(prints.pop()) == 32


def test_field_order_and_the_tag_field_do_not_change_it():
    reordered = {"title": FIELDS["title"], "url": FIELDS["url"], "policyguard": {"allowed": True}}
    assert fingerprint(reordered) == fingerprint(dict(FIELDS))


def test_a_changed_value_changes_it():
    assert fingerprint({**FIELDS, "title": "other"}) != fingerprint(dict(FIELDS))


def test_nested_items_count_as_their_fields():
    as_dicts = {"pages": [dict(FIELDS)], "main": dict(FIELDS)}
    as_items = {"pages": [Page(**FIELDS)], "main": PageData(**FIELDS)}
    assert fingerprint(as_items) == fingerprint(as_dicts)


def test_values_json_cannot_write_are_hashed_as_their_text():
    when = datetime.datetime(2026, 11, 25, 12, 0)
    assert fingerprint({"at": when}) == fingerprint({"at": str(when)})

"""The item fingerprint: the same fields give the same hash, whatever the item class."""

from __future__ import annotations

import datetime

from item_types import ArticleItem, AttrsItem, DataItem, FrozenItem
from itemadapter import ItemAdapter

from scrapy_policyguard.adapters.items import item_fingerprint

FIELDS = {"url": "https://example.com/a", "title": "Ä title"}


def fingerprint(item: object) -> str:
    return item_fingerprint(ItemAdapter(item), exclude="policyguard")


def test_the_same_fields_give_the_same_fingerprint_in_every_item_class():
    prints = {
        fingerprint(item)
        for item in (dict(FIELDS), ArticleItem(**FIELDS), DataItem(**FIELDS), AttrsItem(**FIELDS))
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
    as_items = {"pages": [ArticleItem(**FIELDS)], "main": FrozenItem(**FIELDS)}
    assert fingerprint(as_items) == fingerprint(as_dicts)


def test_values_json_cannot_write_are_hashed_as_their_text():
    when = datetime.datetime(2026, 11, 25, 12, 0)
    assert fingerprint({"at": when}) == fingerprint({"at": str(when)})

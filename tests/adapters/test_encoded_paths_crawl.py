"""Rules written with characters a URL cannot hold literally still block the URLs Scrapy sends.

Scrapy passes every URL through w3lib's ``safe_url_string``, which percent-encodes ``| [ ] { }``
and the like (and a query's ``'``); robots.txt authors write them literally. The first three rules
come from real files (a home improvement shop, a retail shop, a dictionary site: see
tests/core/test_paths.py). The server's request log shows what was fetched, so a page that was not
requested was not fetched.
"""

from __future__ import annotations

import pytest
import scrapy
from crawling import coroutine_test

ROBOTS = """\
User-agent: *
Disallow: /*Ns=P_Topseller_Sort|style=List
Disallow: /collections*?f[0]=
Disallow: /{{product.url}}
Disallow: /search?q=a b
Disallow: /*?name='
"""

#: URL as a spider writes it -> the path Scrapy sends (what the server sees), and whether robots.txt
#: lets it be fetched.
PAGES = {
    "/c/lighting?Ns=P_Topseller_Sort|style=List": ("/c/lighting?Ns=P_Topseller_Sort%7Cstyle=List", False),
    "/c/lighting?Ns=P_Topseller_Sort%7cstyle=List": ("/c/lighting?Ns=P_Topseller_Sort%7cstyle=List", False),
    "/collections/all?f[0]=red": ("/collections/all?f%5B0%5D=red", False),
    "/collections/sale?f%5b0%5d=blue": ("/collections/sale?f%5b0%5d=blue", False),
    "/{{product.url}}": ("/%7B%7Bproduct.url%7D%7D", False),
    "/search?q=a b": ("/search?q=a%20b", False),
    "/people?name='t": ("/people?name=%27t", False),
    "/it's": ("/it's", True),
    "/c/lighting?Ns=P_Price_Sort|style=List": ("/c/lighting?Ns=P_Price_Sort%7Cstyle=List", True),
    "/collections/all?f[1]=red": ("/collections/all?f%5B1%5D=red", True),
    "/product/1": ("/product/1", True),
}

BACKENDS = [
    pytest.param({}, id="add-on"),
    pytest.param(
        {
            "ADDONS": {},
            "ROBOTSTXT_OBEY": True,
            "ROBOTSTXT_PARSER": "scrapy_policyguard.RobotParser",
            "ROBOTSTXT_USER_AGENT": "TestBot",
            # One at a time: Scrapy 2.19's middleware lets requests through while robots.txt downloads.
            "CONCURRENT_REQUESTS": 1,
        },
        id="scrapy-middleware-with-our-parser",
    ),
]


def test_the_paths_are_what_scrapy_sends() -> None:
    for written, (sent, _) in PAGES.items():
        assert scrapy.Request("http://shop.test" + written).url == "http://shop.test" + sent


@pytest.mark.parametrize("settings", BACKENDS)
@coroutine_test
async def test_encoded_pages_that_robots_txt_forbids_are_not_fetched(web, crawl, settings) -> None:
    web.add("shop.test", "/robots.txt", ROBOTS)
    for sent, _ in PAGES.values():
        web.add("shop.test", sent, "<html><body>page</body></html>")
    urls = ["http://shop.test" + written for written in PAGES]
    await crawl(settings={"POLICYGUARD_PURPOSE": "search", **settings}, urls=urls)
    requested = {seen.path for seen in web.seen if seen.host == "shop.test"} - {"/robots.txt"}
    assert requested == {sent for sent, allowed in PAGES.values() if allowed}

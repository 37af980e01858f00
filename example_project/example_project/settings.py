# Scrapy settings for example_project: an ordinary project with scrapy-policyguard enabled.
#
#     https://docs.scrapy.org/en/latest/topics/settings.html
#
# Paths below (out/...) are relative to the directory you run `scrapy crawl` from.

from pathlib import Path

BOT_NAME = "example_project"

SPIDER_MODULES = ["example_project.spiders"]
NEWSPIDER_MODULE = "example_project.spiders"

# scrapy-policyguard: this is THE one line that enables the plugin. The add-on installs its
# downloader middleware (robots.txt per RFC 9309, AI-usage signals, platform terms, decided before
# each request), its spider middleware and item pipeline, and retires Scrapy's RobotsTxtMiddleware.
ADDONS = {"scrapy_policyguard.Addon": 0}

# Crawl responsibly by identifying yourself (and your website) on the user-agent.
USER_AGENT = "ExampleDataBot/1.0 (+https://example.org/bot)"
# The robots.txt product token of this crawler: the groups named ExampleDataBot (else "*") apply.
# Without it the token is read from USER_AGENT; Scrapy's default "Scrapy" is refused by many sites.
POLICYGUARD_USER_AGENT = "ExampleDataBot"

# Obey robots.txt rules (as startproject sets it). With the add-on, scrapy-policyguard does the
# obeying: a robots.txt answering 5xx means "disallow everything", not "allow everything".
ROBOTSTXT_OBEY = True

# Every denied request or item, the robots.txt and other documents fetched, and the crawl's
# settings and totals, as JSON Lines (appended; each record carries the crawl id).
POLICYGUARD_AUDIT_LOG = "out/audit.jsonl"

# Websites never to contact (lists of copyright-infringing sites; Code of Practice Measure 1.2), and
# where site owners reach the crawl's operator (shown by `policyguard disclose`).
POLICYGUARD_BLOCKLISTS = [str(Path(__file__).parent / "blocklists" / "infringing-sites.txt")]
POLICYGUARD_CONTACT = "crawler@example.org"

# The declared purpose (POLICYGUARD_PURPOSE: ai-train, ai-input or search) and what happens to
# denied items (POLICYGUARD_ITEM_ACTION: drop or tag) are set per spider, in custom_settings.

# Concurrency and throttling: one request at a time per site, half a second apart.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 0.5
DEPTH_LIMIT = 3

# Download the images each item lists in file_urls. The policyguard pipeline runs after this one
# and lists in the item's tag the files whose own response denies the purpose (noimageai ...).
ITEM_PIPELINES = {"scrapy.pipelines.files.FilesPipeline": 1}
FILES_STORE = "out/files"

# One crawl, two feeds: items whose declared purpose is allowed, and the quarantine with reasons.
FEEDS = {
    "out/train.jsonl": {
        "format": "jsonlines",
        "overwrite": True,
        "item_filter": "scrapy_policyguard.AllowedItemFilter",
    },
    "out/quarantine.jsonl": {
        "format": "jsonlines",
        "overwrite": True,
        "item_filter": "scrapy_policyguard.DeniedItemFilter",
    },
}

# Set settings whose default value is deprecated to a future-proof value
FEED_EXPORT_ENCODING = "utf-8"

"""What the EU texts ask a crawl to show, as data: each measure and section our outputs answer.

Sources (read 2026-12-06; the Code's wording and numbering as quoted from the chapter's PDF):

- General-Purpose AI Code of Practice, Copyright chapter (published 10 July 2025),
  https://static1.squarespace.com/static/57718ce22e69cfd869e2f4b4/t/6895aba7e6f10e301fdd606b/1754639271718/Code_of_Practice_for_GeneralPurpose_AI_Models_Copyright_Chapter.pdf
  Measure 1.2 (a): do not circumvent effective technological measures, "in particular by respecting
  any technological denial or restriction of access imposed by subscription models or paywalls";
  Measure 1.2 (b): exclude from web crawling the websites that courts or public authorities in the
  EU/EEA recognise as persistently and repeatedly infringing copyright on a commercial scale;
  Measure 1.3 (1)(a): crawlers that read and follow robots.txt as RFC 9309 specifies;
  Measure 1.3 (1)(b): identify and comply with other appropriate machine-readable protocols that
  express rights reservations; Measure 1.3 (4): make public information about the web crawlers
  employed, their robots.txt features and the other measures taken to comply with reservations.
- Explanatory Notice and Template for the Public Summary of Training Content for general-purpose
  AI models, Article 53(1)(d) AI Act, C(2025) 5235 final, 24 July 2025,
  https://digital-strategy.ec.europa.eu/en/library/explanatory-notice-and-template-public-summary-training-content-general-purpose-ai-models
  Section 2.3 "Data crawled and scraped from online sources": (i) crawler names/identifiers, (ii)
  purposes, (iii) crawler behaviour, (iv) period of data collection, (vii) summary of the most
  relevant domain names: the top 10% of all domain names (top and second-level domain, e.g.
  ``example.com``) determined by the size of the content scraped; for SMEs the top 5% or the top
  1,000 domains, whichever is lower. Section 3.1: measures to respect reservations of rights from
  the text and data mining exception.

These texts address providers of general-purpose AI models. What our outputs show is evidence
from one crawl for such a provider's documentation, never a statement that anyone complies.
"""

from __future__ import annotations

from dataclasses import dataclass

from .text_enum import TextEnum

__all__ = [
    "CODE_OF_PRACTICE",
    "SUMMARY_TEMPLATE",
    "TOP_DOMAINS_SHARE",
    "TOP_DOMAINS_SHARE_SME",
    "TOP_DOMAINS_SME_MAX",
    "Measure",
    "Reference",
]


@dataclass(frozen=True)
class Reference:
    title: str
    url: str


CODE_OF_PRACTICE = Reference(
    "General-Purpose AI Code of Practice, Copyright chapter (10 July 2025)",
    "https://static1.squarespace.com/static/57718ce22e69cfd869e2f4b4/t/6895aba7e6f10e301fdd606b/"
    "1754639271718/Code_of_Practice_for_GeneralPurpose_AI_Models_Copyright_Chapter.pdf",
)
SUMMARY_TEMPLATE = Reference(
    "Template for the Public Summary of Training Content, Article 53(1)(d) AI Act (24 July 2025)",
    "https://digital-strategy.ec.europa.eu/en/library/"
    "explanatory-notice-and-template-public-summary-training-content-general-purpose-ai-models",
)

#: Template section 2.3 (vii): the top 10% of domain names by size of content scraped ...
TOP_DOMAINS_SHARE = 0.10
#: ... and for SMEs the top 5% or the top 1,000, whichever is lower.
TOP_DOMAINS_SHARE_SME = 0.05
TOP_DOMAINS_SME_MAX = 1000


class Measure(TextEnum):
    """The Code of Practice measures a crawl produces evidence for; the value is the measure's
    number as the Code writes it."""

    PAYWALLS = "1.2 (a)"
    INFRINGING_SITES = "1.2 (b)"
    ROBOTS_TXT = "1.3 (1)(a)"
    OTHER_PROTOCOLS = "1.3 (1)(b)"
    CRAWLER_INFORMATION = "1.3 (4)"

    @property
    def cite(self) -> str:
        """``Code of Practice (copyright) Measure 1.2 (a)``: how outputs name the measure."""
        return f"Code of Practice (copyright) Measure {self.value}"

    @property
    def heading(self) -> str:
        return _HEADINGS[self]


_HEADINGS = {
    Measure.PAYWALLS: "Paywalls and subscription models respected",
    Measure.INFRINGING_SITES: "Websites listed as infringing copyright excluded",
    Measure.ROBOTS_TXT: "robots.txt read and followed as RFC 9309 says",
    Measure.OTHER_PROTOCOLS: "Other machine-readable rights reservations honoured",
    Measure.CRAWLER_INFORMATION: "Information about the crawler published",
}

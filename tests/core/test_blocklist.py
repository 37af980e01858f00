"""Blocklists of infringing websites (scrapy_policyguard.core.blocklist): file format, matching,
evidence, and the offline check() deciding a listed URL on its listing alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrapy_policyguard import check
from scrapy_policyguard.core.blocklist import BlocklistError, load_blocklists, normalize_domain
from scrapy_policyguard.core.decision import EvidenceKind, Outcome, Source
from scrapy_policyguard.core.purposes import PURPOSES, Purpose


def write(tmp_path: Path, text: str, name: str = "list.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_a_domain_covers_itself_and_its_subdomains_only(tmp_path: Path) -> None:
    blocklist = load_blocklists(
        [write(tmp_path, "# court order 2026-114\npirate.example\n\nmirror.test  # ruling\n")]
    )
    assert len(blocklist) == 2
    assert blocklist.match("pirate.example").line == 2  # type: ignore[union-attr]
    assert blocklist.match("www.pirate.example").domain == "pirate.example"  # type: ignore[union-attr]
    assert blocklist.match("a.b.PIRATE.example.").domain == "pirate.example"  # type: ignore[union-attr]
    assert blocklist.match("notpirate.example") is None
    assert blocklist.match("example") is None
    assert blocklist.match("mirror.test").line == 4  # type: ignore[union-attr]


def test_evidence_names_file_and_line_and_denies_fetching_for_every_purpose(tmp_path: Path) -> None:
    path = write(tmp_path, "# list\n\nPirate.Example.\n")
    evidence = load_blocklists([path]).evidence("http://www.pirate.example:8080/books?id=1")
    assert evidence is not None
    assert evidence.source is Source.BLOCKLIST and evidence.kind is EvidenceKind.CRAWL
    assert evidence.rule == "Pirate.Example."
    assert evidence.location == f"{path} line 3"
    assert evidence.effects == dict.fromkeys(PURPOSES, Outcome.DENY)
    assert "Measure 1.2 (b)" in evidence.detail
    assert load_blocklists([path]).evidence("http://example.org/") is None


def test_the_first_listing_of_a_domain_is_cited_and_files_are_described(tmp_path: Path) -> None:
    first = write(tmp_path, "a.example\n", "one.txt")
    second = write(tmp_path, "b.example\na.example\n", "two.txt")
    blocklist = load_blocklists([first, second])
    assert blocklist.match("a.example").file == str(first)  # type: ignore[union-attr]
    assert [(f.file, f.entries) for f in blocklist.files] == [(str(first), 1), (str(second), 2)]
    assert len(blocklist.files[0].sha256) == 64


def test_internationalised_names_match_in_either_form(tmp_path: Path) -> None:
    blocklist = load_blocklists([write(tmp_path, "bücher.example\n")])
    assert blocklist.match("xn--bcher-kva.example") is not None
    assert normalize_domain("BÜCHER.example") == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("https://pirate.example/", "not a bare domain name"),
        ("pirate.example/books", "not a bare domain name"),
        ("pirate.example:8080", "not a bare domain name"),
        ("*.pirate.example", "not a bare domain name"),
        ("pirate example", "not a bare domain name"),
        ("-pirate.example", "not a valid domain name"),
        ("pirate..example", "not a valid domain name"),
        ("a" * 64 + ".example", "not a valid domain name"),
    ],
)
def test_a_line_that_is_not_a_domain_stops_with_file_and_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    path = write(tmp_path, f"ok.example\n# fine\n{line}\n")
    with pytest.raises(BlocklistError, match=problem) as raised:
        load_blocklists([path])
    assert raised.value.line == 3 and raised.value.file == str(path)
    assert str(raised.value).startswith(f"{path}:3: ")


def test_unreadable_files_stop_with_the_file_named(tmp_path: Path) -> None:
    with pytest.raises(BlocklistError, match="cannot be read"):
        load_blocklists([tmp_path / "missing.txt"])
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"pirate.example\n\xff\xfe\n")
    with pytest.raises(BlocklistError, match="not UTF-8"):
        load_blocklists([binary])


def test_check_decides_a_listed_url_on_its_listing_alone(tmp_path: Path) -> None:
    path = write(tmp_path, "pirate.example\n")
    decision = check(
        "http://www.pirate.example/book",
        purpose="search",
        user_agent="ExampleBot",
        robots_txt="User-agent: *\nAllow: /\n",
        blocklists=[path],
    )
    assert not decision.allowed and decision.crawl_denied
    assert decision.denied_by == (Source.BLOCKLIST,)
    assert [e.source for e in decision.evidence] == [Source.BLOCKLIST]
    allowed = check(
        "http://other.example/", purpose=Purpose.SEARCH, user_agent="ExampleBot", blocklists=[path]
    )
    assert allowed.allowed and Source.BLOCKLIST not in {e.source for e in allowed.evidence}

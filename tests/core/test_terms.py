"""Tests for scrapy_policyguard.core.terms: the platform-terms rule packs.

Schema errors are produced by mutating one line of ``data/minimal-pack.yaml``; host matching,
path scopes and agreements use the small packs in ``data/terms/`` and the bundled packs in
``rules/terms/``; the last part goes through :func:`scrapy_policyguard.check`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from scrapy_policyguard import check
from scrapy_policyguard.core.bundled import bundled_packs, bundled_rules_dir
from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.rulefiles import RuleFileError
from scrapy_policyguard.core.terms import (
    TermsIndex,
    TermsPack,
    assemble_packs,
    load_packs,
    normalize_host,
)

DATA = Path(__file__).parent / "data"
MINIMAL = DATA / "minimal-pack.yaml"
FIXTURES = DATA / "terms"
OVERRIDE = DATA / "terms-override" / "reddit.yaml"
BUNDLED_DIR = bundled_rules_dir() / "terms"
UA = "ExampleBot"


def pack_text(*changes: tuple[str, str]) -> str:
    """The minimal pack with each ``old`` text replaced by ``new`` (each must occur exactly once)."""
    text = MINIMAL.read_text(encoding="utf-8")
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} must occur once in {MINIMAL.name}"
        text = text.replace(old, new)
    return text


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, marker: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in the pack")


def refused(*paths: Path) -> RuleFileError:
    with pytest.raises(RuleFileError) as info:
        load_packs(paths)
    return info.value


@pytest.fixture(scope="module")
def fixtures() -> dict[str, TermsPack]:
    return {pack.id: pack for pack in load_packs([FIXTURES])}


@pytest.fixture(scope="module")
def fixture_index(fixtures) -> TermsIndex:
    return TermsIndex(list(fixtures.values()))


@pytest.fixture(scope="module")
def bundled_index() -> TermsIndex:
    return TermsIndex(bundled_packs())


# --------------------------------------------------------------------------- the minimal pack


def test_the_minimal_pack_loads(tmp_path):
    (pack,) = load_packs([write(tmp_path, "minimal.yaml", pack_text())])
    assert (pack.id, pack.name, pack.reviewed, pack.domains, pack.names) == (
        "minimal",
        "Minimal",
        "2026-01-15",
        ("minimal.example",),
        (),
    )
    (rule,) = pack.rules
    assert rule.purposes == {Purpose.AI_TRAIN}
    assert (rule.outcome, rule.effective, rule.confidence, rule.line) == (
        "deny",
        "2025-01-01",
        "confirmed",
        9,
    )
    assert rule.lifted_by_agreement is True
    assert [(s.url, s.title, s.date) for s in rule.sources] == [
        ("https://minimal.example/terms", "Terms", "2025-01-01")
    ]
    path = tmp_path / "minimal.yaml"
    assert pack.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert pack.version == f"2026-01-15 (sha256 {pack.sha256[:12]})"


# --------------------------------------------------------------------------- schema errors

# (changes to the minimal pack, field, words of the problem, text of the line the error names)
SCHEMA_ERRORS = [
    pytest.param(
        [("    clause: A minimal rule.", "\tclause: A minimal rule.")],
        "",
        "character '\\t'",
        "\tclause",
        id="bad-yaml",
    ),
    pytest.param([("schema: 1", "schema: 2")], "schema", "must be 1", "schema: 2", id="schema-version"),
    pytest.param([("id: minimal", "id: Minimal_Pack")], "id", "lower-case", "id: Minimal", id="bad-id"),
    pytest.param(
        [("  - purposes: [ai-train]", "  - purposes: ai-train")],
        "rules[0].purposes",
        "must be a list, not str",
        "purposes: ai-train",
        id="purposes-not-a-list",
    ),
    pytest.param(
        [("  - purposes: [ai-train]", "  - purposes: []")],
        "rules[0].purposes",
        "at least one purpose",
        "purposes: []",
        id="no-purposes",
    ),
    pytest.param(
        [("  domains: [minimal.example]", "  domains: minimal.example")],
        "hosts.domains",
        "must be a list, not str",
        "domains: minimal.example",
        id="domains-a-string",
    ),
    pytest.param(
        [("  domains: [minimal.example]", "  domains: []")],
        "hosts",
        "names no host",
        "hosts:",  # a field's line is its key's, also for a block value
        id="no-hosts",
    ),
    pytest.param(
        [("[ai-train]", "[ai-train, ai-training]")],
        "rules[0].purposes[1]",
        "unknown purpose 'ai-training'",
        "ai-training",
        id="unknown-purpose",
    ),
    pytest.param(
        [("outcome: deny", "outcome: forbid")],
        "rules[0].outcome",
        "must be one of deny, allow, allow-with-conditions",
        "outcome: forbid",
        id="unknown-outcome",
    ),
    pytest.param(
        [("outcome: deny", "outcome: allow-with-conditions")],
        "rules[0].conditions",
        "needs at least one condition",
        "conditions: []",
        id="conditions-missing",
    ),
    pytest.param(
        [("outcome: deny", "outcome: allow-with-conditions"), ("    conditions: []\n", "")],
        "rules[0].conditions",
        "needs at least one condition",
        "- purposes:",
        id="conditions-key-absent",
    ),
    pytest.param(
        [
            (
                "    sources:\n      - url: https://minimal.example/terms\n"
                "        title: Terms\n        date: 2025-01-01\n",
                "",
            )
        ],
        "rules[0].sources",
        "must be a list",
        "- purposes:",
        id="sources-missing",
    ),
    pytest.param(
        [
            (
                "    sources:\n      - url: https://minimal.example/terms\n"
                "        title: Terms\n        date: 2025-01-01\n",
                "    sources: []\n",
            )
        ],
        "rules[0].sources",
        "at least one source",
        "sources: []",
        id="sources-empty",
    ),
    pytest.param(
        [("url: https://minimal.example/terms", "url: ftp://minimal.example/terms")],
        "rules[0].sources[0].url",
        "http(s) URL",
        "url: ftp:",
        id="source-ftp",
    ),
    pytest.param(
        [("url: https://minimal.example/terms", "url: minimal.example/terms")],
        "rules[0].sources[0].url",
        "http(s) URL",
        "url: minimal.example",
        id="source-no-scheme",
    ),
    pytest.param(
        [("effective: 2025-01-01", "effective: June 2025")],
        "rules[0].effective",
        "YYYY-MM-DD",
        "effective: June",
        id="effective-not-a-date",
    ),
    pytest.param(
        [("effective: 2025-01-01", "effective: 20250101")],
        "rules[0].effective",
        "YYYY-MM-DD",
        "effective: 2025",
        id="effective-an-integer",
    ),
    pytest.param(
        [("reviewed: 2026-01-15", "reviewed: 15/01/2026")],
        "reviewed",
        "YYYY-MM-DD",
        "reviewed:",
        id="reviewed-not-a-date",
    ),
    pytest.param(
        [("        date: 2025-01-01", "        date: soon")],
        "rules[0].sources[0].date",
        "YYYY-MM-DD",
        "date: soon",
        id="source-date",
    ),
    pytest.param(
        [("confidence: confirmed", "confidence: likely")],
        "rules[0].confidence",
        "confirmed, unconfirmed",
        "confidence: likely",
        id="confidence",
    ),
    pytest.param(
        [("    paths: []", "    paths: [private/]")],
        "rules[0].paths[0]",
        "starts with '/'",
        "paths: [private/]",
        id="path-without-slash",
    ),
    pytest.param(
        [("    clause: A minimal rule.\n", "    lifted_by_agreement: 'no'\n    clause: A minimal rule.\n")],
        "rules[0].lifted_by_agreement",
        "true or false",
        "lifted_by_agreement",
        id="lifted-not-a-bool",
    ),
    pytest.param(
        [("    clause: A minimal rule.\n", "")],
        "rules[0].clause",
        "non-empty string",
        "- purposes:",
        id="clause-missing",
    ),
    pytest.param(
        [("rules:\n", "rules: []\nold_rules:\n")],
        "old_rules",
        "unknown field (did you mean 'rules'?)",
        "old_rules:",
        id="misspelt-field",
    ),
]


@pytest.mark.parametrize(("changes", "field", "problem", "marker"), SCHEMA_ERRORS)
def test_schema_errors_name_file_line_and_field(tmp_path, changes, field, problem, marker):
    text = pack_text(*changes)
    path = write(tmp_path, "pack.yaml", text)
    error = refused(path)
    line = line_of(text, marker)
    assert (error.file, error.line, error.field) == (str(path), line, field)
    assert problem in error.problem
    assert str(error).startswith(f"{path}:{line}: {field + ': ' if field else ''}")


@pytest.mark.parametrize("value", ["2025-13-01", "2025-02-30"])
def test_an_impossible_date_names_its_field_and_line(tmp_path, value):
    text = pack_text(("effective: 2025-01-01", f"effective: {value}"))
    path = write(tmp_path, "pack.yaml", text)
    error = refused(path)
    assert (error.file, error.line, error.field) == (
        str(path),
        line_of(text, "effective:"),
        "rules[0].effective",
    )


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("https://minimal.example", id="scheme"),
        pytest.param("minimal.example:443", id="port"),
        pytest.param("minimal.example/terms", id="path"),
        pytest.param("'*.minimal.example'", id="wildcard"),
        pytest.param("minimal", id="single-label"),
        pytest.param("localhost", id="localhost"),
        pytest.param("bad_label.example", id="underscore"),
        pytest.param("-minimal.example", id="leading-hyphen"),
        pytest.param("a..example", id="empty-label"),
        pytest.param("'[::1]'", id="ipv6"),
        pytest.param(f"{'a' * 64}.example", id="label-too-long"),
    ],
)
@pytest.mark.parametrize("table", ["domains", "names"])
def test_a_bad_host_names_its_entry(tmp_path, host, table):
    if table == "domains":
        text = pack_text(("  domains: [minimal.example]", f"  domains: [good.example, {host}]"))
        marker = "domains: [good.example, "
    else:
        text = pack_text(("  names: []", f"  names:\n    - good.example\n    - {host}"))
        marker = f"    - {host}"
    path = write(tmp_path, "pack.yaml", text)
    error = refused(path)
    assert (error.file, error.line, error.field) == (str(path), line_of(text, marker), f"hosts.{table}[1]")
    assert "is not a host name" in error.problem


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("Minimal.EXAMPLE", "minimal.example"),
        ("minimal.example.", "minimal.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)
def test_pack_hosts_are_stored_normalised(tmp_path, written, stored):
    text = pack_text(("  domains: [minimal.example]", f"  domains: [{written}]"))
    (pack,) = load_packs([write(tmp_path, "pack.yaml", text)])
    assert pack.domains == (stored,)


def test_a_duplicate_id_within_one_set_names_the_second_file(tmp_path):
    first = write(tmp_path, "a.yaml", pack_text())
    second = write(tmp_path, "b.yaml", pack_text(("[minimal.example]", "[other.example]")))
    error = refused(tmp_path)
    assert (error.file, error.line, error.field) == (str(second), 2, "id")
    assert "duplicate id 'minimal'" in error.problem
    assert str(first) in error.problem


def test_the_same_id_in_two_separate_sets_is_not_an_error(tmp_path):
    one = write(tmp_path, "a.yaml", pack_text())
    assert [p.id for p in load_packs([one])] == [p.id for p in load_packs([one])] == ["minimal"]


def test_a_missing_pack_path_is_an_error(tmp_path):
    error = refused(tmp_path / "nope")
    assert error.file == str(tmp_path / "nope")
    assert "no such file or folder" in error.problem


def test_a_folder_loads_its_yaml_files_sorted_and_skips_others(tmp_path):
    write(tmp_path, "b.yml", pack_text(("id: minimal", "id: bee"), ("[minimal.example]", "[bee.example]")))
    write(tmp_path, "a.yaml", pack_text(("id: minimal", "id: ant")))
    write(tmp_path, "notes.txt", "not a pack")
    write(tmp_path, "c.yaml.orig", "not: [a pack")
    assert [p.id for p in load_packs([tmp_path])] == ["ant", "bee"]


def test_display_root_makes_files_relative(tmp_path):
    folder = tmp_path / "packs"
    folder.mkdir()
    write(folder, "pack.yaml", pack_text())
    (pack,) = load_packs([folder], display_root=tmp_path)
    assert pack.file == str(Path("packs") / "pack.yaml")
    assert pack.evidence("/")[0].location == f"{Path('packs') / 'pack.yaml'}:9"


# --------------------------------------------------------------------------- a host claimed twice


def conflicting(tmp_path: Path, first_hosts: str, second_hosts: str) -> tuple[Path, Path]:
    first = write(
        tmp_path,
        "first.yaml",
        pack_text(("id: minimal", "id: first"), ("  domains: [minimal.example]\n  names: []", first_hosts)),
    )
    second = write(
        tmp_path,
        "second.yaml",
        pack_text(("id: minimal", "id: second"), ("  domains: [minimal.example]\n  names: []", second_hosts)),
    )
    return first, second


@pytest.mark.parametrize(
    ("first_hosts", "second_hosts"),
    [
        pytest.param(
            "  domains: [shared.example]", "  domains: [own.example, Shared.Example.]", id="domains"
        ),
        pytest.param("  names: [api.shared.example]", "  names: [api.shared.example]", id="names"),
    ],
)
def test_a_host_claimed_by_two_packs_is_an_error(tmp_path, first_hosts, second_hosts):
    _, second = conflicting(tmp_path, first_hosts, second_hosts)
    with pytest.raises(RuleFileError) as info:
        TermsIndex(load_packs([tmp_path]))
    error = info.value
    assert error.file == str(second)
    assert error.field.startswith("hosts.") and error.line is not None
    assert "shared.example is also claimed by pack 'first'" in error.problem


def test_a_host_claimed_by_two_packs_names_the_line_of_the_entry(tmp_path):
    _, second = conflicting(
        tmp_path, "  domains: [shared.example]", "  domains:\n    - own.example\n    - shared.example"
    )
    with pytest.raises(RuleFileError) as info:
        TermsIndex(load_packs([tmp_path]))
    assert info.value.line == line_of(second.read_text(encoding="utf-8"), "- shared.example")
    assert info.value.field == "hosts.domains[1]"


def test_a_name_in_one_pack_and_a_domain_in_another_do_not_conflict(tmp_path):
    conflicting(tmp_path, "  domains: [shared.example]", "  names: [shared.example]")
    index = TermsIndex(load_packs([tmp_path]))
    assert index.pack_for("shared.example").id == "second"
    assert index.pack_for("www.shared.example").id == "first"


def test_one_pack_may_list_a_host_twice(tmp_path):
    text = pack_text(
        ("  domains: [minimal.example]\n  names: []", "  domains: [a.example]\n  names: [a.example]")
    )
    index = TermsIndex(load_packs([write(tmp_path, "pack.yaml", text)]))
    assert index.pack_for("a.example").id == "minimal"


# --------------------------------------------------------------------------- host matching


@pytest.mark.parametrize(
    ("host", "normalised"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("example.com:8443", "example.com"),
        ("EXAMPLE.com.:443", "example.com"),
        ("  example.com  ", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.Example.", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
        ("ｘ.com", "x.com"),  # full-width letters fold as in browsers (IDNA mapping)
        ("[::1]", "[::1]"),
        ("", ""),
    ],
)
def test_normalize_host(host, normalised):
    assert normalize_host(host) == normalised


@pytest.mark.parametrize(
    ("host", "pack_id"),
    [
        ("x.com", "x"),
        ("X.COM", "x"),
        ("x.com.", "x"),
        ("www.x.com:443", "x"),
        ("api.X.com.:8443", "x"),
        ("mobile.twitter.com", "x"),
        ("t.co", "x"),
        ("www.reddit.com", "reddit"),
        ("old.reddit.com.", "reddit"),
        ("redd.it", "reddit"),
        ("en.wikipedia.org", "wikipedia"),
        ("www.wikidata.org", "wikidata"),
        ("mastodon.social", "mastodon"),
        ("mastodon.online", "mastodon-online"),
        ("www.youtube.com", "youtube"),
        ("x.com.evil.example", None),
        ("notx.com", None),
        ("evil-x.com", None),
        ("xx.com", None),
        ("x.co", None),
        ("com", None),
        ("reddit.com.evil.example", None),
        ("notreddit.com", None),
        ("social.mastodon.social", None),  # listed under names: the exact host only
        ("", None),
        ("[::1]", None),
    ],
)
def test_bundled_host_matching(bundled_index, host, pack_id):
    pack = bundled_index.pack_for(host)
    assert (pack.id if pack else None) == pack_id


@pytest.mark.parametrize(
    ("host", "pack_id"),
    [
        ("example.com", "example"),
        ("www.example.com", "example"),
        ("example.net", "example"),  # written Example.NET. in the pack
        ("api.example.com", "example-api"),  # a names entry beats another pack's domains entry
        ("API.Example.COM.:8443", "example-api"),
        ("v2.api.example.com", "example"),  # names match exactly, not subdomains
        ("bücher.example", "books"),
        ("shop.bücher.example", "books"),
        ("xn--bcher-kva.example", "books"),  # pack in Unicode, host in punycode
        ("www.XN--BCHER-KVA.example.", "books"),
        ("münchen.example", "munich"),  # pack in punycode, host in Unicode
        ("MÜNCHEN.example:443", "munich"),
        ("xn--mnchen-3ya.example", "munich"),
        ("bucher.example", None),
        ("munchen.example", None),
        ("example.com.evil.test", None),
        ("notexample.com", None),
        ("example", None),
    ],
)
def test_fixture_host_matching(fixture_index, host, pack_id):
    pack = fixture_index.pack_for(host)
    assert (pack.id if pack else None) == pack_id


def test_the_most_specific_domain_wins_across_packs(tmp_path):
    write(
        tmp_path,
        "outer.yaml",
        pack_text(("id: minimal", "id: outer"), ("[minimal.example]", "[example.org]")),
    )
    write(
        tmp_path,
        "inner.yaml",
        pack_text(("id: minimal", "id: inner"), ("[minimal.example]", "[blog.example.org]")),
    )
    index = TermsIndex(load_packs([tmp_path]))
    assert index.pack_for("www.blog.example.org").id == "inner"
    assert index.pack_for("blog.example.org").id == "inner"
    assert index.pack_for("shop.example.org").id == "outer"
    assert index.pack_for("example.org").id == "outer"


def test_index_by_id(fixture_index):
    assert sorted(fixture_index.by_id) == ["books", "example", "example-api", "munich"]


# --------------------------------------------------------------------------- evidence and path scopes


def test_whole_host_rules_apply_everywhere_and_scoped_rules_only_on_their_paths(fixtures):
    example = fixtures["example"]
    lines = {
        path: [e.location for e in example.evidence(path)]
        for path in ("/", "/articles/1", "/members/a/b.json")
    }
    file = example.file
    assert lines["/"] == [f"{file}:12"]
    assert lines["/articles/1"] == [f"{file}:12", f"{file}:21"]
    assert lines["/members/a/b.json"] == [f"{file}:12", f"{file}:30"]
    # '$' anchors the end: a query string or a longer name is outside the pattern.
    assert [e.location for e in example.evidence("/members/a.json?x=1")] == [f"{file}:12"]
    assert [e.location for e in example.evidence("/members/a.jsonl")] == [f"{file}:12"]
    assert [e.location for e in example.evidence("/article")] == [f"{file}:12"]


def test_evidence_content(fixtures):
    deny, conditional = fixtures["example"].evidence("/articles/1")
    assert deny.source == "terms"
    assert deny.rule == "Example Platform terms: deny ai-input, ai-train"
    assert deny.detail == "Example's terms forbid scraping for AI."
    assert deny.effects == {Purpose.AI_TRAIN: Outcome.DENY, Purpose.AI_INPUT: Outcome.DENY}
    assert deny.conditions == ()
    assert deny.refs == {
        "pack": "example",
        "version": "2026-01-15",
        "sha256": fixtures["example"].sha256,
        "confidence": "confirmed",
        "effective": "2025-01-01",
        "sources": "https://example.com/terms",
    }
    assert conditional.effects == {Purpose.SEARCH: Outcome.ALLOW}
    assert conditional.conditions == ("link back to the article",)
    assert conditional.detail == "UNCONFIRMED: Search engines may index articles if they link back."
    assert conditional.refs["confidence"] == "unconfirmed"


# --------------------------------------------------------------------------- agreements


def test_an_agreement_lifts_a_deny(fixtures):
    (lifted,) = fixtures["example"].evidence("/", "LIC-7")
    assert lifted.effects == {Purpose.AI_TRAIN: Outcome.ALLOW, Purpose.AI_INPUT: Outcome.ALLOW}
    assert lifted.refs["agreement"] == "LIC-7"
    assert lifted.conditions == ("under agreement 'LIC-7' with Example Platform",)
    assert lifted.detail.startswith("lifted by agreement 'LIC-7': ")
    assert lifted.rule.endswith("deny ai-input, ai-train")  # the rule as written


def test_without_an_agreement_nothing_is_lifted(fixtures):
    (deny,) = fixtures["example"].evidence("/")
    assert set(deny.effects.values()) == {Outcome.DENY}
    assert "agreement" not in deny.refs


def test_a_denial_not_lifted_by_agreement_stays_with_the_agreement_noted(fixtures):
    lifted, kept = fixtures["example"].evidence("/members/a/b.json", "LIC-7")
    assert lifted.effects[Purpose.AI_TRAIN] is Outcome.ALLOW
    assert kept.effects == {Purpose.AI_TRAIN: Outcome.DENY}
    assert kept.refs["agreement"] == "LIC-7"
    assert "not lifted by agreement 'LIC-7'" in kept.detail
    assert kept.conditions == ()


def test_an_agreement_leaves_allow_statements_as_they_are(fixtures):
    deny, conditional = fixtures["example"].evidence("/articles/1", "LIC-7")
    assert conditional.effects == {Purpose.SEARCH: Outcome.ALLOW}
    assert conditional.conditions == ("link back to the article",)
    assert "agreement" not in conditional.refs
    assert deny.effects[Purpose.AI_INPUT] is Outcome.ALLOW


def test_check_applies_an_agreement_only_to_the_pack_it_names():
    rules = [FIXTURES]
    url = "https://www.example.com/page"
    assert check(url, user_agent=UA, rules=rules).outcome is Outcome.DENY
    for agreements in ({"example-api": "LIC-7"}, {"reddit": "LIC-7"}, {"Example": "LIC-7"}):
        assert check(url, user_agent=UA, rules=rules, agreements=agreements).outcome is Outcome.DENY
    decision = check(url, user_agent=UA, rules=rules, agreements={"example": "LIC-7"})
    assert decision.outcome is Outcome.ALLOW
    assert decision.conditions == ("under agreement 'LIC-7' with Example Platform",)
    assert [e.refs.get("agreement") for e in decision.evidence] == ["LIC-7"]


def test_check_keeps_an_unliftable_denial_under_an_agreement():
    url = "https://example.com/members/7/profile.json"
    kwargs = {"user_agent": UA, "rules": [FIXTURES], "agreements": {"example": "LIC-7"}}
    train = check(url, purpose="ai-train", **kwargs)
    assert train.outcome is Outcome.DENY
    (denial,) = train.denials
    assert denial.location.endswith("example.yaml:30")
    assert denial.refs["agreement"] == "LIC-7"
    assert check(url, purpose="ai-input", **kwargs).outcome is Outcome.ALLOW


def test_x_training_ban_is_not_lifted_by_an_agreement_but_its_crawl_ban_is():
    agreements = {"x": "ENT-2026-1"}
    train = check("https://x.com/someone/status/1", user_agent=UA, purpose="ai-train", agreements=agreements)
    assert train.outcome is Outcome.DENY
    (denial,) = train.denials
    assert denial.refs["agreement"] == "ENT-2026-1"
    assert "not lifted by agreement 'ENT-2026-1'" in denial.detail
    for purpose in ("ai-input", "search"):
        decision = check("https://x.com/someone", user_agent=UA, purpose=purpose, agreements=agreements)
        assert decision.outcome is Outcome.ALLOW, purpose
        assert "under agreement 'ENT-2026-1' with X (formerly Twitter)" in decision.conditions


# --------------------------------------------------------------------------- assemble_packs


def test_a_user_pack_with_a_bundled_id_replaces_it_with_a_warning():
    bundled = bundled_packs()
    packs, warnings = assemble_packs(bundled, [OVERRIDE])
    by_id = {p.id: p for p in packs}
    assert len(packs) == len(bundled)
    assert by_id["reddit"].file == str(OVERRIDE)
    assert by_id["reddit"].name == "Reddit (our own reading)"
    (warning,) = warnings
    assert "'reddit'" in warning
    assert str(OVERRIDE) in warning
    assert str(Path("rules") / "terms" / "reddit.yaml") in warning
    assert next(p for p in bundled if p.id == "reddit").file != str(OVERRIDE)  # bundled left alone
    decision = check("https://www.reddit.com/r/x", user_agent=UA, rules=packs)
    assert decision.outcome is Outcome.ALLOW


def test_a_user_pack_with_a_new_id_joins_without_a_warning():
    packs, warnings = assemble_packs(bundled_packs(), [FIXTURES / "books.yaml"])
    assert warnings == []
    assert {p.id for p in packs} == {p.id for p in bundled_packs()} | {"books"}


def test_disabled_ids_are_removed():
    packs, _ = assemble_packs(bundled_packs(), disabled=["x", "reddit"])
    assert {p.id for p in packs} == {p.id for p in bundled_packs()} - {"x", "reddit"}
    index = TermsIndex(packs)
    assert index.pack_for("x.com") is None
    assert index.pack_for("www.reddit.com") is None
    assert check("https://x.com/", user_agent=UA, rules=index).outcome is Outcome.UNKNOWN


def test_a_user_pack_can_be_disabled_too():
    packs, _ = assemble_packs(bundled_packs(), [FIXTURES], disabled=["books", "example-api"])
    assert {"example", "munich"} <= {p.id for p in packs}
    assert not {"books", "example-api"} & {p.id for p in packs}


def test_an_unknown_disabled_id_is_an_error():
    with pytest.raises(ValueError, match=r"no rule pack has id 'twiter'"):
        assemble_packs(bundled_packs(), disabled=["x", "twiter"])


def test_a_broken_user_pack_is_an_error(tmp_path):
    path = write(tmp_path, "bad.yaml", pack_text(("outcome: deny", "outcome: nope")))
    with pytest.raises(RuleFileError, match=r"bad\.yaml:10: rules\[0\]\.outcome"):
        assemble_packs(bundled_packs(), [path])


# --------------------------------------------------------------------------- the bundled packs


def _bundled_or_none() -> tuple[TermsPack, ...]:
    """The bundled packs for parametrizing; if they do not load, the test below says why."""
    try:
        return bundled_packs()
    except (RuleFileError, ValueError):
        return ()


BUNDLED_FILES = sorted(BUNDLED_DIR.glob("*.yaml"))
BUNDLED_RULES = [
    pytest.param(pack, index, id=f"{pack.id}[{index}]")
    for pack in _bundled_or_none()
    for index in range(len(pack.rules))
]


def test_every_bundled_pack_file_loads_into_one_index():
    packs = bundled_packs()
    assert len(BUNDLED_FILES) >= 20
    assert sorted(Path(p.file).name for p in packs) == [f.name for f in BUNDLED_FILES]
    assert len({p.id for p in packs}) == len(packs)
    TermsIndex(packs)  # no host claimed twice
    for pack in packs:
        assert pack.file == str(Path("rules") / "terms" / Path(pack.file).name)


@pytest.mark.parametrize(("pack", "index"), BUNDLED_RULES)
def test_every_bundled_rule_cites_https_sources(pack, index):
    rule = pack.rules[index]
    assert rule.sources
    for source in rule.sources:
        assert source.url.startswith("https://"), source.url
        assert source.title


@pytest.mark.parametrize(("pack", "index"), BUNDLED_RULES)
def test_bundled_evidence_marks_unconfirmed_statements(pack, index):
    rule = pack.rules[index]
    path = rule.paths[0].source if rule.paths else "/"
    location = f"{pack.file}:{rule.line}"
    (item,) = [e for e in pack.evidence(path) if e.location == location]
    assert item.detail.startswith("UNCONFIRMED") is (rule.confidence == "unconfirmed")
    assert item.refs["confidence"] == rule.confidence


@pytest.mark.parametrize(("pack", "index"), BUNDLED_RULES)
def test_bundled_rule_lines_point_at_the_rule(pack, index):
    rule = pack.rules[index]
    lines = (bundled_rules_dir().parent / pack.file).read_text(encoding="utf-8").splitlines()
    assert lines[rule.line - 1].lstrip().startswith("- purposes:")


# --------------------------------------------------------------------------- check() with the bundled packs


@pytest.mark.parametrize(
    "url",
    [
        "https://x.com/someone/status/1",
        "https://twitter.com/someone",
        "https://www.reddit.com/r/python/comments/1/",
        "https://old.reddit.com/r/python",
    ],
)
def test_ai_training_is_denied_by_terms(url):
    decision = check(url, user_agent=UA, purpose="ai-train")
    assert decision.outcome is Outcome.DENY
    assert not decision.allowed
    assert decision.denied_by == ("terms",)
    assert all(e.location.startswith(str(Path("rules") / "terms")) for e in decision.denials)


def test_an_agreement_with_reddit_lifts_its_terms():
    decision = check(
        "https://www.reddit.com/r/python", user_agent=UA, purpose="ai-train", agreements={"reddit": "DL-9"}
    )
    assert "terms" not in decision.denied_by
    assert decision.outcome is Outcome.ALLOW
    assert "under agreement 'DL-9' with Reddit" in decision.conditions
    terms = [e for e in decision.evidence if e.source == "terms" and Purpose.AI_TRAIN in e.effects]
    assert terms
    assert all(e.refs["agreement"] == "DL-9" for e in terms)


def test_an_agreement_with_another_platform_does_not_lift_reddit():
    decision = check(
        "https://www.reddit.com/r/python", user_agent=UA, purpose="ai-train", agreements={"x": "ENT-1"}
    )
    assert decision.denied_by == ("terms",)


@pytest.mark.parametrize(
    ("url", "denied"),
    [
        ("https://www.reddit.com/r/python", False),
        ("https://www.youtube.com/watch?v=1", False),
        ("https://mastodon.social/@someone", False),
        ("https://x.com/someone", True),
        ("https://www.linkedin.com/in/someone", True),
    ],
)
def test_search_follows_each_packs_search_statement(url, denied):
    decision = check(url, user_agent=UA, purpose="search")
    assert ("terms" in decision.denied_by) is denied


def _host_of(pack: TermsPack) -> str:
    return pack.names[0] if pack.names else f"www.{pack.domains[0]}"


@pytest.mark.parametrize("pack", _bundled_or_none(), ids=lambda p: p.id)
@pytest.mark.parametrize("purpose", list(Purpose), ids=str)
def test_check_agrees_with_every_bundled_pack(pack, purpose):
    outcomes = {r.outcome for r in pack.rules if purpose in r.purposes and not r.paths}
    decision = check(f"https://{_host_of(pack)}/", user_agent=UA, purpose=purpose)
    if "deny" in outcomes:
        assert decision.outcome is Outcome.DENY
        assert decision.denied_by == ("terms",)
    elif outcomes:
        assert decision.outcome is Outcome.ALLOW
    else:
        assert decision.outcome is Outcome.UNKNOWN


def test_wikipedia_conditions_reach_the_decision():
    decision = check("https://en.wikipedia.org/wiki/Python", user_agent=UA, purpose="ai-train")
    assert decision.outcome is Outcome.ALLOW
    assert set(decision.conditions) >= {"attribution", "share-alike (CC BY-SA 4.0)"}
    search = check("https://en.wikipedia.org/wiki/Python", user_agent=UA, purpose="search")
    assert "attribution" not in search.conditions


def test_wikidata_statement_is_scoped_to_its_paths():
    assert check("https://www.wikidata.org/wiki/Q42", user_agent=UA).outcome is Outcome.ALLOW
    talk = check("https://www.wikidata.org/wiki/Talk:Q42", user_agent=UA)
    assert talk.outcome is Outcome.UNKNOWN
    assert not [e for e in talk.evidence if e.source == "terms"]


def test_check_matches_hosts_of_urls_like_the_index():
    for url in ("https://X.COM.:8443/home", "http://WWW.x.com/", "https://bücher.example/"):
        rules = [FIXTURES] if "bücher" in url else None
        assert check(url, user_agent=UA, rules=rules).outcome is Outcome.DENY, url
    assert check("https://x.com.evil.example/", user_agent=UA).outcome is Outcome.UNKNOWN
    assert check("https://api.example.com/", user_agent=UA, rules=[FIXTURES]).outcome is Outcome.ALLOW


def test_check_accepts_packs_index_and_paths():
    fixture_packs = load_packs([FIXTURES])
    url = "https://example.com/"
    for rules in ([FIXTURES], [str(FIXTURES)], fixture_packs, TermsIndex(fixture_packs)):
        assert check(url, user_agent=UA, rules=rules).outcome is Outcome.DENY
    # Only the packs given: the bundled X pack is not among them.
    assert check("https://x.com/", user_agent=UA, rules=[FIXTURES]).outcome is Outcome.UNKNOWN
    assert check("https://x.com/", user_agent=UA, rules=[]).outcome is Outcome.UNKNOWN


def test_check_accepts_a_one_shot_iterable_of_pack_paths():
    decision = check("https://example.com/", user_agent=UA, rules=(p for p in [FIXTURES]))
    assert decision.outcome is Outcome.DENY


def test_a_pack_without_rules_is_refused(tmp_path):
    text = (
        "schema: 1\nid: empty\nname: Empty\nreviewed: 2026-01-15\n"
        "hosts:\n  domains: [empty.example]\nrules: []\n"
    )
    error = refused(write(tmp_path, "pack.yaml", text))
    assert (error.line, error.field) == (7, "rules")
    assert "at least one rule" in error.problem

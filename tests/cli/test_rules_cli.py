"""Tests for ``policyguard rules list | show ID | validate [PATHS]`` (scrapy_policyguard.cli.rules).

The commands run in-process. ``cli/main.py`` imports the ``report`` and ``demo`` commands too; while
those modules do not exist the tests build the same ``rules`` sub-command on a small parser of their
own (``rules.register``), and use the real ``main()`` as soon as it imports.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from scrapy_policyguard.cli import rules as rules_cli
from scrapy_policyguard.core.bundled import bundled_packs, bundled_rules_dir

try:
    from scrapy_policyguard.cli.main import main as policyguard_main
except ImportError:  # cli/main.py needs cli/report.py and cli/demo.py
    policyguard_main = None

TESTS = Path(__file__).resolve().parent.parent
BROKEN = Path(__file__).parent / "data" / "broken-pack.yaml"
FIXTURES = TESTS / "core" / "data" / "terms"
OVERRIDE = TESTS / "core" / "data" / "terms-override" / "reddit.yaml"
BUNDLED_DIR = bundled_rules_dir() / "terms"


def policyguard(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``policyguard ARGV``; the exit code, stdout and stderr."""
    if policyguard_main is not None:
        code = policyguard_main(list(argv))
    else:
        parser = argparse.ArgumentParser(prog="policyguard")
        rules_cli.register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
        args = parser.parse_args(list(argv))
        code = int(args.run(args) or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def listed(out: str) -> dict[str, str]:
    """The first line of each pack in ``rules list`` output, by id."""
    rows = {}
    for line in out.splitlines():
        match = re.match(r"([a-z0-9][a-z0-9-]*)\s+\d{4}-\d{2}-\d{2}\s+(.*)", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


# --------------------------------------------------------------------------- rules list


def test_list_shows_every_bundled_pack(capsys):
    code, out, err = policyguard(["rules", "list"], capsys)
    assert (code, err) == (0, "")
    packs = bundled_packs()
    assert sorted(listed(out)) == sorted(p.id for p in packs)
    assert out.rstrip().endswith(f"{len(packs)} packs ('?' marks unconfirmed statements)")
    assert "X (formerly Twitter): x.com, twitter.com, t.co, twimg.com" in out


def test_list_marks_unconfirmed_statements_with_a_question_mark(capsys):
    _, out, _ = policyguard(["rules", "list"], capsys)
    rows = listed(out)
    assert "ai-train=deny?" in rows["amazon"]
    assert "?" not in rows["x"]
    assert "ai-train=deny," in rows["x"]
    assert "search=deny" in rows["x"]
    assert "search=allow" in rows["reddit"]
    for pack in bundled_packs():
        unconfirmed = any(r.confidence == "unconfirmed" for r in pack.rules)
        assert ("?" in rows[pack.id]) is unconfirmed, pack.id


def test_list_with_user_packs(capsys):
    code, out, err = policyguard(["rules", "list", "--rules", str(FIXTURES)], capsys)
    assert (code, err) == (0, "")
    rows = listed(out)
    assert {"example", "example-api", "books", "munich", "x"} <= set(rows)
    assert rows["example"] == "ai-train=deny, ai-input=deny, search=allow-with-conditions?"
    assert rows["example-api"] == "ai-train=allow, ai-input=allow, search=-"
    assert "Example Platform: example.com, example.net" in out
    assert f"{len(bundled_packs()) + 4} packs" in out


def test_list_warns_when_a_user_pack_replaces_a_bundled_one(capsys):
    code, out, err = policyguard(["rules", "list", "--rules", str(OVERRIDE)], capsys)
    assert code == 0
    assert err.startswith("warning: rule pack 'reddit' from ")
    assert str(OVERRIDE) in err
    assert "Reddit (our own reading): reddit.com, redd.it" in out
    assert listed(out)["reddit"] == "ai-train=allow, ai-input=-, search=-"


def test_list_without_disabled_packs(capsys):
    code, out, _ = policyguard(["rules", "list", "--disable", "x", "--disable", "reddit"], capsys)
    assert code == 0
    assert not {"x", "reddit"} & set(listed(out))
    assert f"{len(bundled_packs()) - 2} packs" in out


def test_list_with_an_unknown_disabled_id_fails(capsys):
    code, out, err = policyguard(["rules", "list", "--disable", "twiter"], capsys)
    assert (code, out) == (1, "")
    assert err.startswith("error: no rule pack has id 'twiter'")


def test_list_with_a_broken_user_pack_fails(capsys):
    code, out, err = policyguard(["rules", "list", "--rules", str(BROKEN)], capsys)
    assert (code, out) == (1, "")
    assert f"{BROKEN}:10: rules[0].outcome: " in err


# --------------------------------------------------------------------------- rules show


def rule_lines(file: Path) -> list[int]:
    lines = file.read_text(encoding="utf-8").splitlines()
    return [n for n, line in enumerate(lines, 1) if line.startswith("  - purposes:")]


def test_show_x_prints_clauses_sources_and_line_numbers(capsys):
    code, out, err = policyguard(["rules", "show", "x"], capsys)
    assert (code, err) == (0, "")
    pack = next(p for p in bundled_packs() if p.id == "x")
    assert out.startswith(f"X (formerly Twitter) (x), reviewed {pack.reviewed}\n")
    assert f"  file: {Path('rules') / 'terms' / 'x.yaml'}  sha256: {pack.sha256}" in out
    assert "domains (and their subdomains): x.com, twitter.com, t.co, twimg.com" in out
    assert "Prior written consent from X to crawl or scrape the services" in out
    lines = rule_lines(BUNDLED_DIR / "x.yaml")
    assert len(lines) == len(pack.rules) >= 2
    for line, rule in zip(lines, pack.rules, strict=True):
        assert f"(line {line}; effective {rule.effective}; {rule.confidence})" in out
        assert rule.clause in out
        for source in rule.sources:
            assert f"source: {source.url} ({source.date}) {source.title}" in out
    assert "[deny] ai-input, ai-train, search" in out
    assert "[deny] ai-train  (line" in out
    assert out.count("an agreement does not lift this denial") == 1


def test_show_a_user_pack_with_paths_and_conditions(capsys):
    code, out, _ = policyguard(["rules", "show", "example", "--rules", str(FIXTURES)], capsys)
    assert code == 0
    assert f"file: {FIXTURES / 'example.yaml'}" in out
    assert "domains (and their subdomains): example.com, example.net" in out
    assert "host names: -" in out
    assert "licence route: Example data licence" in out
    assert "[allow-with-conditions] search  (line 21; effective 2025-01-01; unconfirmed)" in out
    assert "paths: /articles/" in out
    assert "conditions: link back to the article" in out
    assert "paths: /members/*.json$" in out
    assert "source: http://example.com/members-policy (2025-02-01) " in out


def test_show_names_an_exact_host_pack(capsys):
    code, out, _ = policyguard(["rules", "show", "example-api", "--rules", str(FIXTURES)], capsys)
    assert code == 0
    assert "domains (and their subdomains): -" in out
    assert "host names: api.example.com" in out


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["rules", "show", "nope"], id="unknown"),
        pytest.param(["rules", "show", "X"], id="ids-are-lower-case"),
        pytest.param(["rules", "show", "x", "--disable", "x"], id="disabled"),
    ],
)
def test_show_an_unknown_pack_fails(capsys, argv):
    code, out, err = policyguard(argv, capsys)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: no pack {argv[2]!r}; known: ")
    assert "reddit" in err


def test_show_fails_when_a_user_pack_claims_a_bundled_host(capsys, tmp_path):
    text = BROKEN.read_text(encoding="utf-8")
    pack = tmp_path / "mine.yaml"
    pack.write_text(
        text.replace("id: broken", "id: mine")
        .replace("outcome: forbid", "outcome: deny")
        .replace("[broken.example]", "[x.com]"),
        encoding="utf-8",
    )
    code, out, err = policyguard(["rules", "show", "mine", "--rules", str(pack)], capsys)
    assert (code, out) == (1, "")
    assert "x.com is also claimed by pack 'x'" in err


# --------------------------------------------------------------------------- rules validate


def test_validate_the_bundled_packs(capsys):
    code, out, err = policyguard(["rules", "validate"], capsys)
    assert (code, err) == (0, "")
    files = sorted(BUNDLED_DIR.glob("*.yaml"))
    ok = [line for line in out.splitlines() if line.startswith("ok  ")]
    assert [Path(line.split()[1]).name for line in ok] == [f.name for f in files]
    x_rules = len(rule_lines(BUNDLED_DIR / "x.yaml"))
    assert f"ok  rules/terms/x.yaml  (x, {x_rules} rules)" in ok
    assert out.rstrip().endswith(f"{len(files)} packs valid")


def shown(path: Path) -> str:
    """How `rules validate` prints a file: relative to the working directory when inside it."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def test_validate_named_files_and_folders(capsys):
    code, out, _ = policyguard(["rules", "validate", str(FIXTURES), str(OVERRIDE)], capsys)
    assert code == 0
    # Files under the working directory are shown relative to it.
    assert f"ok  {shown(FIXTURES / 'example.yaml')}  (example, 3 rules)" in out
    assert f"ok  {shown(OVERRIDE)}  (reddit, 1 rules)" in out
    assert out.rstrip().endswith("5 packs valid")


def test_validate_a_broken_pack_names_file_line_and_field(capsys):
    code, out, err = policyguard(["rules", "validate", str(BROKEN)], capsys)
    assert (code, out) == (1, "")
    assert (
        err
        == f"error: {shown(BROKEN)}:10: rules[0].outcome: must be one of deny, allow, allow-with-conditions\n"
    )


def test_validate_stops_at_a_broken_pack_among_good_ones(capsys, tmp_path):
    for source in (FIXTURES / "books.yaml", BROKEN):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    code, out, err = policyguard(["rules", "validate", str(tmp_path)], capsys)
    assert (code, out) == (1, "")
    assert f"{tmp_path / 'broken-pack.yaml'}:10: rules[0].outcome" in err


def test_validate_reports_a_duplicate_id(capsys):
    code, out, err = policyguard(["rules", "validate", str(BUNDLED_DIR), str(OVERRIDE)], capsys)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {shown(OVERRIDE)}:3: id: duplicate id 'reddit' (also in ")


def test_validate_reports_a_host_claimed_twice(capsys, tmp_path):
    pack = tmp_path / "mine.yaml"
    pack.write_text(OVERRIDE.read_text(encoding="utf-8").replace("id: reddit", "id: mine"), encoding="utf-8")
    code, out, err = policyguard(["rules", "validate", str(BUNDLED_DIR), str(pack)], capsys)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {pack}")
    assert "reddit.com is also claimed by pack 'reddit'" in err


def test_validate_reports_a_missing_path(capsys, tmp_path):
    code, _, err = policyguard(["rules", "validate", str(tmp_path / "nope.yaml")], capsys)
    assert code == 1
    assert err == f"error: {tmp_path / 'nope.yaml'}: no such file or folder\n"


def test_validate_an_impossible_date_exits_1_with_file_and_line(capsys, tmp_path):
    pack = tmp_path / "date.yaml"
    text = BROKEN.read_text(encoding="utf-8").replace("outcome: forbid", "outcome: deny")
    pack.write_text(text.replace("effective: 2025-01-01", "effective: 2025-13-01"), encoding="utf-8")
    code, _, err = policyguard(["rules", "validate", str(pack)], capsys)
    assert code == 1
    assert f"{pack}:12: " in err


def test_rules_needs_an_action(capsys):
    with pytest.raises(SystemExit) as info:
        policyguard(["rules"], capsys)
    assert info.value.code == 2
    assert "ACTION" in capsys.readouterr().err

"""Unit tests for scrapy_policyguard.core.rulefiles: safe YAML loading with the line of every value.

Rule files are data written by hand and by users, so loading must never construct Python objects,
must refuse YAML features that can expand or hide data (aliases, merge keys, duplicate keys), and
every problem must come back as a RuleFileError naming file, line and field.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from scrapy_policyguard.core.rulefiles import (
    Located,
    RuleFileError,
    expect_list,
    expect_mapping,
    expect_str,
    load_rule_file,
)


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path, display: str | None = None) -> RuleFileError:
    with pytest.raises(RuleFileError) as info:
        load_rule_file(path, display)
    return info.value


def assert_located(error: RuleFileError, path: Path, line: int) -> None:
    """The error names the file and the line, and its message starts with ``file:line:``."""
    assert error.file == str(path)
    assert error.line == line
    assert str(error).startswith(f"{path}:{line}: ")


# --------------------------------------------------------------------------- loading and lines

NESTED = """\
schema: 1
id: sample
hosts:
  domains: [a.example, b.example]
rules:
  - purposes: [ai-train]
    outcome: deny
  - purposes:
      - search
    outcome: allow
"""


def test_loads_data_and_the_line_of_every_value(tmp_path):
    doc = load_rule_file(write(tmp_path, NESTED))
    assert doc.data == {
        "schema": 1,
        "id": "sample",
        "hosts": {"domains": ["a.example", "b.example"]},
        "rules": [
            {"purposes": ["ai-train"], "outcome": "deny"},
            {"purposes": ["search"], "outcome": "allow"},
        ],
    }
    assert doc.line(()) == 1
    assert doc.line(("id",)) == 2
    assert doc.line(("hosts", "domains", 1)) == 4
    assert doc.line(("rules", 0)) == 6
    assert doc.line(("rules", 0, "outcome")) == 7
    assert doc.line(("rules", 1)) == 8
    assert doc.line(("rules", 1, "purposes", 0)) == 9
    assert doc.line(("rules", 1, "outcome")) == 10


def test_a_missing_field_takes_the_line_of_its_nearest_parent(tmp_path):
    doc = load_rule_file(write(tmp_path, NESTED))
    assert doc.line(("rules", 1, "sources", 0, "url")) == 8
    assert doc.line(("licence_routes",)) == 1


def test_sha256_is_of_the_raw_bytes(tmp_path):
    path = write(tmp_path, NESTED)
    assert load_rule_file(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_display_name_replaces_the_path_in_the_document_and_its_errors(tmp_path):
    path = write(tmp_path, "a: 1\na: 2\n")
    assert load_rule_file(write(tmp_path, "a: 1\n", "ok.yaml"), "rules/terms/ok.yaml").file == (
        "rules/terms/ok.yaml"
    )
    error = refused(path, "rules/terms/dup.yaml")
    assert error.file == "rules/terms/dup.yaml"
    assert str(error).startswith("rules/terms/dup.yaml:2: ")


def test_an_empty_file_loads_as_none(tmp_path):
    assert load_rule_file(write(tmp_path, "# nothing here\n")).data is None


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffname: Bücher\n".encode())
    assert load_rule_file(path).data == {"name": "Bücher"}


# --------------------------------------------------------------------------- errors: file, line, field


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("rules", 0, "outcome"), "rules[0].outcome"),
        (("hosts", "domains", 2), "hosts.domains[2]"),
        (("rules", 1, "sources", 0, "url"), "rules[1].sources[0].url"),
        (("id",), "id"),
        ((), ""),
    ],
)
def test_located_error_names_file_line_and_field(tmp_path, path, field):
    file = write(tmp_path, NESTED)
    doc = load_rule_file(file)
    error = doc.error(path, "is wrong")
    assert (error.file, error.field, error.problem) == (str(file), field, "is wrong")
    assert error.line == doc.line(path)
    prefix = f"{file}:{doc.line(path)}: "
    assert str(error) == (prefix + f"{field}: is wrong" if field else prefix + "is wrong")


def test_rule_file_error_without_a_line_names_the_file():
    error = RuleFileError("packs/x.yaml", None, "", "cannot read: gone")
    assert str(error) == "packs/x.yaml: cannot read: gone"
    assert isinstance(error, ValueError)


def test_expect_helpers_report_the_field_and_the_type_found(tmp_path):
    doc = load_rule_file(write(tmp_path, NESTED))
    rule = doc.data["rules"][0]
    with pytest.raises(RuleFileError) as info:
        expect_list(doc, rule["outcome"], ("rules", 0, "outcome"))
    assert str(info.value) == f"{doc.file}:7: rules[0].outcome: must be a list, not str"
    with pytest.raises(RuleFileError, match=r":2: id: must be a mapping, not str$"):
        expect_mapping(doc, doc.data["id"], ("id",))
    with pytest.raises(RuleFileError, match=r":1: name: must be a non-empty string$"):
        expect_str(doc, None, ("name",))
    with pytest.raises(RuleFileError, match=r"rules\[0\]\.clause: must be a non-empty string$"):
        expect_str(doc, "   ", ("rules", 0, "clause"))
    assert expect_str(doc, "  padded  ", ("id",)) == "padded"
    assert expect_str(doc, "", ("id",), allow_empty=True) == ""


def test_invalid_yaml_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, "id: sample\nrules:\n  - outcome: deny\n\tclause: tab\n")
    error = refused(path)
    assert_located(error, path, 4)
    assert error.field == ""


# --------------------------------------------------------------------------- no Python objects

PYTHON_TAGS_REFUSED_NOW = [
    pytest.param("id: x\nrun: !!python/object/apply:os.system 'echo hi'\n", id="apply-scalar"),
    pytest.param("id: x\nrun: !!python/name:os.system ''\n", id="name"),
    pytest.param("id: x\nrun: !!python/module:os ''\n", id="module"),
]

PYTHON_TAGS_ON_COLLECTIONS = [
    pytest.param("id: x\nrun: !!python/object:collections.OrderedDict {a: 1}\n", id="object-mapping"),
    pytest.param("id: x\nrun: !!python/object/apply:os.system [echo hi]\n", id="apply-sequence"),
    pytest.param("id: x\nrun: !!python/object/new:builtins.dict {a: 1}\n", id="new-mapping"),
]


@pytest.mark.parametrize("text", PYTHON_TAGS_REFUSED_NOW)
def test_python_tags_on_scalars_are_refused_with_file_and_line(tmp_path, text):
    path = write(tmp_path, text)
    error = refused(path)
    assert_located(error, path, 2)
    assert "python/" in error.problem


@pytest.mark.parametrize("text", PYTHON_TAGS_ON_COLLECTIONS)
def test_python_tags_on_collections_are_refused_with_file_and_line(tmp_path, text):
    path = write(tmp_path, text)
    error = refused(path)
    assert_located(error, path, 2)
    assert "python/" in error.problem


@pytest.mark.parametrize(
    "template",
    [
        "id: x\nrun: !!python/object/apply:pathlib.Path.touch [{sentinel}]\n",
        "id: x\nrun: !!python/object/apply:pathlib.Path.touch\n  args: [{sentinel}]\n",
        "id: x\nrun: !!python/object/new:pathlib.Path.touch [{sentinel}]\n",
    ],
)
def test_python_tags_never_run_code(tmp_path, template):
    sentinel = tmp_path / "pwned"
    path = write(tmp_path, template.format(sentinel=f"'{sentinel}'"))
    try:
        doc = load_rule_file(path)
    except RuleFileError:
        pass
    else:
        # If it loads at all, it loads as plain data.
        assert isinstance(doc.data["run"], (list, dict))
    assert not sentinel.exists()


# --------------------------------------------------------------------------- anchors and aliases


def test_an_alias_as_a_mapping_value_is_refused_at_its_line(tmp_path):
    path = write(tmp_path, "base: &b deny\nid: x\noutcome: *b\n")
    error = refused(path)
    assert_located(error, path, 3)
    assert "alias" in error.problem


def test_an_aliased_mapping_is_refused(tmp_path):
    path = write(tmp_path, "base: &b {outcome: deny}\nrules:\n  first: *b\n")
    error = refused(path)
    assert error.file == str(path)
    assert error.line is not None
    assert "alias" in error.problem


def test_an_alias_in_a_sequence_is_refused(tmp_path):
    path = write(tmp_path, "base: &b [deny]\nrules:\n  - *b\n")
    error = refused(path)
    assert error.file == str(path)
    assert error.line is not None
    assert "alias" in error.problem


def test_an_alias_in_a_sequence_is_refused_at_its_own_line(tmp_path):
    path = write(tmp_path, "base: &b [deny]\nrules:\n  - *b\n")
    assert_located(refused(path), path, 3)


def test_billion_laughs_is_refused_before_expanding(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefghij"):
        previous = "abcdefghij"[i]
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    error = refused(path)
    assert error.file == str(path)
    assert error.line is not None
    assert "alias" in error.problem


# --------------------------------------------------------------------------- duplicate and merge keys


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("id: a\nname: A\nid: b\n", 3, id="top-level"),
        pytest.param("rules:\n  - outcome: deny\n    clause: c\n    outcome: allow\n", 4, id="nested"),
        pytest.param("id: a\n'id': b\n", 2, id="quoted-and-plain"),
        pytest.param("hosts: {domains: [a.example], domains: [b.example]}\n", 1, id="flow-mapping"),
    ],
)
def test_duplicate_keys_are_refused_at_the_second_key(tmp_path, text, line):
    path = write(tmp_path, text)
    error = refused(path)
    assert_located(error, path, line)
    assert "duplicate key" in error.problem


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("rule:\n  outcome: deny\n  <<: {outcome: allow}\n", 3, id="inline"),
        pytest.param("base: &b {outcome: allow}\nrule:\n  <<: *b\n", 3, id="with-alias"),
    ],
)
def test_merge_keys_are_refused_with_file_and_line(tmp_path, text, line):
    path = write(tmp_path, text)
    assert_located(refused(path), path, line)


def test_merge_keys_are_refused_with_a_message_that_says_so(tmp_path):
    path = write(tmp_path, "rule:\n  outcome: deny\n  <<: {outcome: allow}\n")
    assert "merge keys are not allowed" in refused(path).problem


@pytest.mark.parametrize(
    ("text", "data"),
    [("note: <<\n", {"note": "<<"}), ("notes: [<<]\n", {"notes": ["<<"]}), ("<<\n", "<<")],
)
def test_a_lone_merge_sign_as_a_value_is_text(tmp_path, text, data):
    assert load_rule_file(write(tmp_path, text)).data == data


@pytest.mark.parametrize("brk", ["\x85", "\u2028", "\u2029"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_lines_are_counted_as_editors_count_them(tmp_path, brk, newline):
    """YAML also breaks lines at NEL, LS and PS; an editor (and grep -n) does not."""
    text = newline.join(["id: sample", f'note: "one{brk}two"', "outcome: deny", "bad: [", ""])
    path = tmp_path / "rules.yaml"
    path.write_bytes(text.encode())
    assert_located(refused(path), path, 5)
    path.write_bytes(newline.join(["id: sample", f'note: "one{brk}two"', "outcome: deny", ""]).encode())
    doc = load_rule_file(path)
    assert doc.data["note"].startswith("one")  # (YAML folds a NEL inside quotes to a space)
    assert doc.line(("outcome",)) == 3


def test_complex_mapping_keys_are_refused(tmp_path):
    path = write(tmp_path, "id: x\n? [a, b]\n: 1\n")
    error = refused(path)
    assert_located(error, path, 2)
    assert "keys" in error.problem


# --------------------------------------------------------------------------- dates

BAD_TIMESTAMPS = [
    pytest.param("2023-13-01", id="month-13"),
    pytest.param("2023-02-30", id="february-30"),
]


@pytest.mark.parametrize("value", BAD_TIMESTAMPS)
def test_an_impossible_date_is_a_rule_file_error_not_a_crash(tmp_path, value):
    path = write(tmp_path, f"id: x\neffective: {value}\n")
    try:
        doc = load_rule_file(path)
    except RuleFileError as error:
        assert_located(error, path, 2)
    else:
        # Loading it as text, for the schema to refuse with its field, is fine too.
        assert doc.data["effective"] == value


def test_a_valid_date_loads_as_a_date(tmp_path):
    doc = load_rule_file(write(tmp_path, "effective: 2023-06-19\n"))
    assert str(doc.data["effective"]) == "2023-06-19"


# --------------------------------------------------------------------------- unreadable files


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"name: caf\xe9\n", id="latin-1"),
        pytest.param("name: café\n".encode("utf-16"), id="utf-16"),
        pytest.param(b"id: x\nname: \xff\xfe\n", id="stray-bytes"),
    ],
)
def test_a_file_that_is_not_utf8_is_refused_naming_the_file(tmp_path, raw):
    path = tmp_path / "pack.yaml"
    path.write_bytes(raw)
    error = refused(path)
    assert error.file == str(path)
    assert "not UTF-8" in error.problem
    assert str(error).startswith(f"{path}: not UTF-8")


def test_a_missing_file_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "missing.yaml"
    error = refused(path)
    assert error.file == str(path)
    assert error.line is None
    assert error.problem.startswith("cannot read")


def test_a_folder_is_refused_as_unreadable(tmp_path):
    error = refused(tmp_path)
    assert error.file == str(tmp_path)
    assert error.problem.startswith("cannot read")


def test_located_can_be_built_directly():
    doc = Located("mem.yaml", {"a": [1]}, {(): 1, ("a",): 2, ("a", 0): 3}, "0" * 64)
    assert doc.line(("a", 0)) == 3
    assert str(doc.error(("a", 0), "bad")) == "mem.yaml:3: a[0]: bad"


RULE_FILES = sorted((Path(__file__).parents[2] / "rules").rglob("*.yaml"))


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_libyaml_and_pyyaml_read_the_bundled_files_alike(path, monkeypatch):
    # libyaml is the fast path when PyYAML has it; PyYAML's own parser is the fallback and the
    # judge of errors. Both must give the same data and the same lines.
    from scrapy_policyguard.core import rulefiles

    if rulefiles._FAST_LOADER is None:
        pytest.skip("PyYAML was built without libyaml")
    fast = load_rule_file(path)
    monkeypatch.setattr(rulefiles, "_FAST_LOADER", None)
    pure = load_rule_file(path)
    assert (fast.data, fast.lines) == (pure.data, pure.lines)

"""TDM Reservation Protocol (scrapy_policyguard.core.signals.tdmrep).

W3C CG Final Report 2024-05-10: ``tdm-reservation`` is 1 (reserved) or 0 (not reserved); any other
value is a protocol error and counts as unset. tdmrep.json: the first rule in array order whose
``location`` matches decides (not the longest). Processing priority: header values supersede the
file, HTML meta supersedes the header, and "the absence of tdm-reservation and tdm-policy MUST
NOT reset current values" (property by property). Cases of the well-known file are in
data/tdmrep_cases.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scrapy_policyguard.core.decision import Outcome
from scrapy_policyguard.core.engine import parse_tdmrep
from scrapy_policyguard.core.paths import path_of
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.signals.tdmrep import (
    SOURCE,
    TdmRepError,
    TdmRepFile,
    TdmValues,
    parse_reservation,
    tdm_evidence,
)

DATA = yaml.safe_load((Path(__file__).parent / "data" / "tdmrep_cases.yaml").read_text(encoding="utf-8"))
FILE_URL = "https://a.example/.well-known/tdmrep.json"
TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH

# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        (0, 0),
        ("1", 1),
        (" 0 ", 0),
        (2, None),
        ("2", None),
        (-1, None),
        ("yes", None),
        ("no", None),
        ("", None),
        (None, None),
        (True, None),
        (False, None),
        (1.0, None),
        ("01", None),
        ("+1", None),
        ("1.0", None),
        ([1], None),
    ],
)
def test_parse_reservation_only_1_or_0(value, expected):
    assert parse_reservation(value) == expected


# --------------------------------------------------------------------------- the well-known file


CHECKS = [
    pytest.param(case["file"], case["warnings"], check, id=f"{case['id']}:{check['path']}")
    for case in DATA["files"]
    for check in case["checks"]
]


@pytest.mark.parametrize(("text", "warnings", "check"), CHECKS)
def test_tdmrep_file(text, warnings, check):
    tdm = TdmRepFile.parse(text, FILE_URL)
    assert len(tdm.warnings) == warnings
    values = tdm.match(path_of("https://a.example" + check["path"]))
    if check["rule"] is None:
        assert values is None
        return
    assert values is not None
    assert values.reservation == check["reservation"]
    assert values.policy == check["policy"]
    assert values.location.startswith(f"{FILE_URL} rule {check['rule']} ")


def test_tdmrep_file_as_bytes_with_a_bom():
    tdm = TdmRepFile.parse(b'\xef\xbb\xbf[{"location": "/", "tdm-reservation": 1}]', FILE_URL)
    assert tdm.match("/x") == TdmValues(1, None, f"{FILE_URL} rule 0 (location /)")


BAD_FILES = [
    pytest.param("{bad", id="not-json"),
    pytest.param("", id="empty"),
    pytest.param('{"location": "/", "tdm-reservation": 1}', id="object-not-array"),
    pytest.param('"x"', id="string"),
    pytest.param("null", id="null"),
    pytest.param("[" * 100_000, id="deep-nesting"),
    pytest.param(b"\xff\xfe\x00garbage", id="binary"),
    pytest.param("<html><body>Not found</body></html>", id="html-error-page"),
]


@pytest.mark.parametrize("text", BAD_FILES)
def test_bad_file_is_a_tdmrep_error_at_the_reader(text):
    with pytest.raises(TdmRepError):
        TdmRepFile.parse(text, FILE_URL)


@pytest.mark.parametrize("text", BAD_FILES)
def test_bad_file_is_no_statement_with_a_note_at_the_engine(text):
    tdm, note = parse_tdmrep(text, FILE_URL)
    assert tdm is None
    assert note is not None
    assert FILE_URL in note
    assert "no TDMRep statement" in note


# --------------------------------------------------------------------------- processing priority

FILE1 = TdmValues(1, "https://a.example/file-policy.json", "file")
FILE0 = TdmValues(0, None, "file")
HEADER0 = TdmValues(0, None, "header")
HEADER1 = TdmValues(1, None, "header")
HEADER_POLICY_ONLY = TdmValues(None, "https://a.example/header-policy.json", "header")
META1 = TdmValues(1, None, "meta")
META0 = TdmValues(0, None, "meta")
META_NOTHING = TdmValues(None, None, "meta")

# (file, header, meta) -> (reservation, decided_by, policy)
PRIORITY = [
    pytest.param(None, HEADER0, META1, (1, "meta", None), id="A13-meta-over-header"),
    pytest.param(
        FILE1, HEADER0, None, (0, "header", "https://a.example/file-policy.json"), id="header-over-file"
    ),
    pytest.param(FILE0, None, META1, (1, "meta", None), id="meta-over-file"),
    pytest.param(FILE1, None, None, (1, "file", "https://a.example/file-policy.json"), id="file-alone"),
    pytest.param(
        FILE1,
        META_NOTHING,
        META_NOTHING,
        (1, "file", "https://a.example/file-policy.json"),
        id="absence-never-resets",
    ),
    pytest.param(
        FILE0,
        HEADER_POLICY_ONLY,
        None,
        (0, "file", "https://a.example/header-policy.json"),
        id="property-by-property",
    ),
    pytest.param(
        FILE1, HEADER1, META0, (0, "meta", "https://a.example/file-policy.json"), id="meta-zero-wins"
    ),
    pytest.param(None, None, None, None, id="no-carrier"),
    pytest.param(None, HEADER_POLICY_ONLY, None, None, id="policy-without-reservation"),
]


@pytest.mark.parametrize(("file", "header", "meta", "expected"), PRIORITY)
def test_processing_priority(file, header, meta, expected):
    evidence = tdm_evidence(file, header, meta)
    if expected is None:
        assert evidence is None
        return
    reservation, decided_by, policy = expected
    assert evidence is not None
    assert evidence.source == SOURCE == "tdmrep"
    assert evidence.rule == f"tdm-reservation: {reservation}"
    assert evidence.location == decided_by
    assert evidence.refs.get("tdm-policy") == policy
    outcome = Outcome.DENY if reservation == 1 else Outcome.ALLOW
    # A reservation covers text and data mining: training and AI input, not search.
    assert evidence.effects == {TRAIN: outcome, INPUT: outcome}
    assert SEARCH not in evidence.effects


def test_policy_with_a_reservation_is_a_condition():
    evidence = tdm_evidence(FILE1)
    assert evidence is not None
    assert evidence.conditions == ("TDM licence terms offered: https://a.example/file-policy.json",)
    assert evidence.refs["tdm-policy_from"] == "file"


def test_policy_with_zero_is_not_a_condition():
    evidence = tdm_evidence(TdmValues(0, "https://a.example/p.json", "file"))
    assert evidence is not None
    assert evidence.conditions == ()
    assert evidence.effects[TRAIN] is Outcome.ALLOW


def test_ai_input_reading_is_inferred():
    evidence = tdm_evidence(HEADER1)
    assert evidence is not None
    assert evidence.inferred == frozenset({INPUT})

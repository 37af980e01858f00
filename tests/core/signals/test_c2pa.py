"""signals/c2pa.py and signals/embedded.py: training-and-data-mining assertions of manifests signed
at test time, their validation, and what a media file says as a whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from mediafiles import VOCAB, image_with_xmp, plain_image, signer, tamper, xmp_packet

from scrapy_policyguard.core.decision import Decision, Outcome
from scrapy_policyguard.core.engine import check, check_file
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.signals import c2pa
from scrapy_policyguard.core.signals.embedded import C2paState, MediaReader, read_media

pytest.importorskip("c2pa")

TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH
A, D, U = Outcome.ALLOW, Outcome.DENY, Outcome.UNKNOWN
URL = "https://img.test/a.jpg"


def signed(entries, *, label: str = "cawg.training-mining", fmt: str = "JPEG") -> bytes:  # type: ignore[no-untyped-def]
    return signer().sign(plain_image(fmt), f"image/{fmt.lower()}", entries, label=label)


def decide(data: bytes, agreements: dict[str, str] | None = None) -> Decision:
    statements = read_media(data, location=URL, agreements=agreements or {})
    return Decision.build(URL, TRAIN, statements.evidence)


def outcomes(decision: Decision) -> tuple[Outcome, ...]:
    return tuple(decision.outcomes[p] for p in (TRAIN, INPUT, SEARCH))


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("data_mining", (D, D, U)),
        ("ai_inference", (U, D, U)),
        ("ai_generative_training", (D, U, U)),
        ("ai_training", (D, U, U)),
    ],
)
@pytest.mark.parametrize("prefix", ["cawg", "c2pa"])
def test_each_entry_not_allowed(entry: str, expected: tuple[Outcome, ...], prefix: str) -> None:
    label = f"{prefix}.training-mining"
    assert outcomes(decide(signed({f"{prefix}.{entry}": "notAllowed"}, label=label))) == expected


def test_allowed_entries_allow_and_evidence_quotes_the_assertion() -> None:
    decision = decide(signed({"cawg.ai_training": "allowed", "cawg.ai_generative_training": "allowed"}))
    assert outcomes(decision) == (A, U, U)
    evidence = sorted((e for e in decision.evidence if e.effects), key=lambda e: e.rule)
    assert [e.rule for e in evidence] == [
        "cawg.training-mining: cawg.ai_generative_training = allowed",
        "cawg.training-mining: cawg.ai_training = allowed",
    ]
    first = evidence[1]
    assert first.source == "c2pa"
    assert first.refs["validation"] == "valid" and first.refs["signer"] == "policyguard test signer"
    assert "signature valid" in first.detail and "(C2PA manifest in JPEG APP11 (JUMBF))" in first.location
    assert first.inferred == frozenset({TRAIN})  # non-generative training is part of ai-train


def test_constrained_denies_unless_an_agreement_names_its_licence() -> None:
    licence = "https://licensing.example/cc/9"
    data = signed({"cawg.ai_generative_training": {"use": "constrained", "constraint_info": licence}})
    assert outcomes(decide(data)) == (D, U, U)
    decision = decide(data, {licence: "deal 9"})
    assert outcomes(decision) == (A, U, U)
    [evidence] = [e for e in decision.evidence if e.effects]
    assert evidence.refs["agreement"] == "deal 9"
    assert f"under agreement 'deal 9' ({licence})" in evidence.conditions


def test_an_invalid_manifest_still_reserves_but_does_not_permit() -> None:
    data = tamper(signed({"cawg.ai_training": "notAllowed", "cawg.ai_inference": "allowed"}))
    statements = read_media(data, location=URL, agreements={})
    assert statements.c2pa is C2paState.UNVERIFIED
    decision = Decision.build(URL, TRAIN, statements.evidence)
    assert outcomes(decision) == (D, U, U)
    [deny] = [e for e in decision.evidence if e.source == "c2pa" and e.effects]
    [permit] = [e for e in decision.evidence if e.source == "c2pa" and not e.effects]
    assert deny.refs["validation"] == "invalid" and "assertion.dataHash.mismatch" in deny.refs["failures"]
    assert "UNVERIFIED" in deny.detail
    assert permit.effects == {} and "not relied on" in permit.detail


def test_custom_entries_and_manifests_without_the_assertion() -> None:
    decision = decide(signed({"com.example.ai_style": "notAllowed", "cawg.ai_inference": "notAllowed"}))
    assert outcomes(decision) == (U, D, U)
    assert any("custom entries, not read: com.example.ai_style" in e.detail for e in decision.evidence)
    decision = decide(signed(None))
    assert decision.evidence == () and outcomes(decision) == (U, U, U)


def test_xmp_and_c2pa_in_one_file_both_count() -> None:
    data = signer().sign(
        image_with_xmp("JPEG", xmp_packet(VOCAB + "DMI-PROHIBITED-AIMLTRAINING")),
        "image/jpeg",
        {"cawg.ai_inference": "notAllowed"},
    )
    decision = decide(data)
    assert outcomes(decision) == (D, D, U)
    assert decision.denied_by == ("xmp",)
    assert decision.for_purpose(INPUT).denied_by == ("c2pa",)


def test_without_the_c2pa_reader_the_manifest_is_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    data = signed({"cawg.ai_training": "notAllowed"})
    statements = read_media(data, location=URL, agreements={}, readers=frozenset({MediaReader.XMP}))
    assert statements.c2pa is C2paState.UNREAD
    [note] = statements.evidence
    assert note.effects == {} and "switched off" in note.detail
    monkeypatch.setattr(c2pa, "available", lambda: False)
    [note] = read_media(data, location=URL, agreements={}).evidence
    assert "c2pa-python is not installed" in note.detail and c2pa.INSTALL_HINT in note.detail


def test_a_broken_manifest_store_naming_the_assertion_still_reserves() -> None:
    # c2pa-rs refuses the store (an assertion label renamed), so the entries cannot be read; the
    # store still names a training-and-data-mining assertion, and an unreadable reservation must
    # not turn into a permission.
    data = signed({"cawg.ai_training": "allowed"})
    broken = data.replace(b"c2pa.actions", b"c2pa.actionX", 1)
    statements = read_media(broken, location=URL, agreements={})
    assert statements.c2pa is C2paState.ERROR
    assert [e.rule for e in statements.evidence] == [
        "manifest could not be read",
        "cawg.training-mining: unreadable",
    ]
    decision = decide(broken)
    assert outcomes(decision) == (D, D, U) and decision.denied_by == ("c2pa",)
    assert decision.evidence[-1].inferred == frozenset({TRAIN, INPUT})


def test_a_broken_manifest_store_without_the_assertion_is_a_note_not_a_crash() -> None:
    data = signed({"note": "a caption"}, label="org.example.caption")
    broken = data.replace(b"c2pa.actions", b"c2pa.actionX", 1)
    statements = read_media(broken, location=URL, agreements={})
    assert statements.c2pa is C2paState.ERROR
    assert [e.rule for e in statements.evidence] == ["manifest could not be read"]
    assert outcomes(decide(broken)) == (U, U, U)


def test_check_reads_a_media_body_with_the_site_documents() -> None:
    data = image_with_xmp("PNG", xmp_packet(VOCAB + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"))
    decision = check(URL, user_agent="TestBot", robots_txt="User-agent: *\nAllow: /\n", media=data)
    assert decision.outcome is D and decision.denied_by == ("xmp",)
    assert check(
        URL, user_agent="TestBot", robots_txt="User-agent: *\nDisallow: /\n", media=data
    ).denied_by == (
        "robots.txt",
        "xmp",
    )


def test_check_file_reads_local_files(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(signed({"cawg.ai_generative_training": "notAllowed"}))
    decision = check_file(path)
    assert decision.url == path.resolve().as_uri() and decision.outcome is D and decision.stage == "response"
    assert str(path) in decision.evidence[0].location
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    decision = check_file(other, purpose="search")
    assert decision.allowed and decision.evidence[0].rule == "not a media file we read"
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert check_file(empty).allowed

"""``policyguard check FILE|FOLDER...``: media collected before, decided by what they embed; and
``--media`` for the body a checked URL serves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from commands import policyguard
from mediafiles import VOCAB, image_with_xmp, plain_image, signer, xmp_packet

pytest.importorskip("c2pa")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "dataset"
    (folder / "sub").mkdir(parents=True)
    (folder / "a-plain.jpg").write_bytes(plain_image("JPEG"))
    (folder / "b-genai.webp").write_bytes(
        image_with_xmp("WEBP", xmp_packet(VOCAB + "DMI-PROHIBITED-GENAIMLTRAINING"))
    )
    (folder / "sub" / "c-signed.png").write_bytes(
        signer().sign(plain_image("PNG"), "image/png", {"cawg.ai_inference": "notAllowed"})
    )
    (folder / "notes.txt").write_text("not media")
    return folder


def test_a_folder_is_walked_for_media_and_decided_file_by_file(dataset: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = policyguard(["check", dataset, "--json"], capsys)
    assert run.code == 1  # one file is denied for ai-train
    decisions = [json.loads(line) for line in run.out.splitlines()]
    assert [Path(d["url"]).name for d in decisions] == ["a-plain.jpg", "b-genai.webp", "c-signed.png"]
    assert [d["outcome"] for d in decisions] == ["unknown", "deny", "unknown"]
    assert decisions[1]["denied_by"] == ["xmp"]
    assert decisions[2]["outcomes"]["ai-input"] == "deny"


def test_text_output_shows_the_evidence_and_ai_input_is_denied(dataset: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    signed = dataset / "sub" / "c-signed.png"
    run = policyguard(["check", signed, "--purpose", "ai-input"], capsys)
    assert run.code == 1
    assert run.out.startswith(f"DENIED: {signed.resolve().as_uri()}")
    assert "[c2pa] cawg.training-mining: cawg.ai_inference = notAllowed" in run.out
    assert "validation: valid" in run.out and "signer: policyguard test signer" in run.out
    assert policyguard(["check", dataset / "a-plain.jpg", dataset / "notes.txt"], capsys).code == 0


def test_an_agreement_lifts_a_constraint(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.jpg"
    packet = xmp_packet(VOCAB + "DMI-PROHIBITED-SEECONSTRAINT", web_statement="https://lic.example/1")
    path.write_bytes(image_with_xmp("JPEG", packet))
    assert policyguard(["check", path], capsys).code == 1
    assert policyguard(["check", path, "--agreement", "https://lic.example/1=deal 1"], capsys).code == 0


def test_url_options_and_missing_files_are_usage_errors(dataset: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = policyguard(["check", dataset, "--robots", dataset / "notes.txt"], capsys)
    assert run.code == 2 and "--robots describe a URL" in run.err
    run = policyguard(["check", dataset, "--blocklist", dataset / "notes.txt", "--user-agent", "Bot"], capsys)
    assert run.code == 2 and "--user-agent, --blocklist describe a URL" in run.err
    run = policyguard(["check", dataset / "missing.jpg"], capsys)
    assert run.code == 2 and "no such file or folder" in run.err
    run = policyguard(["check", "https://a.example/", dataset], capsys)
    assert run.code == 2 and "give one URL" in run.err


def test_media_for_a_url_joins_the_site_documents(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: *\nAllow: /\n")
    image = tmp_path / "img.gif"
    image.write_bytes(image_with_xmp("GIF", xmp_packet(VOCAB + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING")))
    url = "https://a.example/img.gif"
    run = policyguard(["check", url, "--robots", robots, "--media", image, "--json"], capsys)
    assert run.code == 1 and run.json["denied_by"] == ["xmp"]
    run = policyguard(["check", url, "--robots", robots, "--media", image, "--purpose", "search"], capsys)
    assert run.code == 0

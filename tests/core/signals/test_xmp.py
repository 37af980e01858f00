"""signals/xmp.py: plus:DataMining values, in every RDF spelling, and what each reserves."""

from __future__ import annotations

import pytest
from mediafiles import DMI_TERMS, VOCAB, xmp_packet

from scrapy_policyguard.core.decision import Decision, Outcome
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.signals.xmp import XmpError, parse_xmp, xmp_evidence

TRAIN, INPUT, SEARCH = Purpose.AI_TRAIN, Purpose.AI_INPUT, Purpose.SEARCH
A, D, U = Outcome.ALLOW, Outcome.DENY, Outcome.UNKNOWN
WHERE = "https://img.test/a.jpg (XMP in JPEG APP1)"

#: term -> outcomes for (ai-train, ai-input, search); the table IPTC/PLUS terms imply.
EXPECTED = {
    "DMI-UNSPECIFIED": (U, U, U),
    "DMI-ALLOWED": (A, A, A),
    "DMI-PROHIBITED-AIMLTRAINING": (D, U, U),
    "DMI-PROHIBITED-GENAIMLTRAINING": (D, U, U),
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": (D, D, A),
    "DMI-PROHIBITED": (D, D, D),
    "DMI-PROHIBITED-SEECONSTRAINT": (D, D, D),
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR": (D, D, D),
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR": (D, D, D),
}


def outcomes(packet: bytes, agreements: dict[str, str] | None = None) -> tuple[Outcome, ...]:
    evidence = xmp_evidence(parse_xmp(packet), WHERE, agreements or {})
    decision = Decision.build("https://img.test/a.jpg", TRAIN, evidence)
    return tuple(decision.outcomes[p] for p in (TRAIN, INPUT, SEARCH))


def test_the_table_covers_the_whole_vocabulary() -> None:
    assert set(EXPECTED) == set(DMI_TERMS)


@pytest.mark.parametrize("term", DMI_TERMS)
@pytest.mark.parametrize("as_element", [False, True])
def test_each_term_as_uri(term: str, as_element: bool) -> None:
    assert outcomes(xmp_packet(VOCAB + term, as_element=as_element)) == EXPECTED[term]


def test_evidence_quotes_property_and_value() -> None:
    packet = xmp_packet(VOCAB + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", other_constraints="Call us")
    [evidence] = xmp_evidence(parse_xmp(packet), WHERE, {})
    assert evidence.source == "xmp"
    assert evidence.rule == f"plus:DataMining = {VOCAB}DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"
    assert evidence.location == WHERE
    assert "Prohibited except for search engine indexing" in evidence.detail
    assert evidence.refs["property"] == "plus:DataMining"
    assert evidence.conditions == ("plus:OtherConstraints: Call us",)
    assert evidence.inferred == frozenset({INPUT})  # data mining read as taking in AI input


def test_generative_only_is_our_reading_of_ai_train() -> None:
    [evidence] = xmp_evidence(parse_xmp(xmp_packet(VOCAB + "DMI-PROHIBITED-GENAIMLTRAINING")), WHERE, {})
    assert evidence.inferred == frozenset({TRAIN})
    [evidence] = xmp_evidence(parse_xmp(xmp_packet(VOCAB + "DMI-PROHIBITED-AIMLTRAINING")), WHERE, {})
    assert evidence.inferred == frozenset()


def test_a_bare_term_counts_and_says_how_it_was_written() -> None:
    [evidence] = xmp_evidence(parse_xmp(xmp_packet("dmi-prohibited")), WHERE, {})
    assert evidence.effects[TRAIN] is D and "bare term" in evidence.detail
    assert outcomes(xmp_packet("https://ns.useplus.org/ldf/vocab/DMI-ALLOWED")) == (A, A, A)


def test_a_value_outside_the_vocabulary_is_a_note() -> None:
    [evidence] = xmp_evidence(parse_xmp(xmp_packet("Prohibited for AI, please")), WHERE, {})
    assert evidence.effects == {} and "not a term" in evidence.detail


@pytest.mark.parametrize(
    "term",
    [
        "DMI-PROHIBITED-SEECONSTRAINT",
        "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
        "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR",
    ],
)
def test_see_constraint_denies_unless_an_agreement_names_the_licence(term: str) -> None:
    packet = xmp_packet(VOCAB + term, web_statement="https://lic.example/42", other_constraints="Ask first")
    assert outcomes(packet) == (D, D, D)
    assert outcomes(packet, {"https://other.example/": "x"}) == (D, D, D)
    assert outcomes(packet, {"https://lic.example/42": "deal 42"}) == (A, A, A)
    [evidence] = xmp_evidence(parse_xmp(packet), WHERE, {"https://lic.example/42": "deal 42"})
    assert evidence.refs["agreement"] == "deal 42" and evidence.refs["licence"] == "https://lic.example/42"
    assert "under agreement 'deal 42' (https://lic.example/42)" in evidence.conditions


def test_an_agreement_does_not_lift_a_plain_prohibition() -> None:
    packet = xmp_packet(VOCAB + "DMI-PROHIBITED", web_statement="https://lic.example/42")
    assert outcomes(packet, {"https://lic.example/42": "deal 42"}) == (D, D, D)


def test_licences_and_rights_expressions_in_their_rdf_structures() -> None:
    packet = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
        xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">
      <plus:DataMining>http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-SEELINKEDRIGHTSEXPR</plus:DataMining>
      <plus:Licensor><rdf:Seq><rdf:li rdf:parseType="Resource">
        <plus:LicensorURL>https://agency.example/licence</plus:LicensorURL>
      </rdf:li></rdf:Seq></plus:Licensor>
      <Iptc4xmpExt:LinkedEncRightsExpr><rdf:Bag><rdf:li rdf:parseType="Resource">
        <Iptc4xmpExt:LinkedRightsExpr>https://agency.example/odrl/7</Iptc4xmpExt:LinkedRightsExpr>
      </rdf:li></rdf:Bag></Iptc4xmpExt:LinkedEncRightsExpr>
      <plus:OtherConstraints><rdf:Alt><rdf:li xml:lang="de">Bitte fragen</rdf:li>
        <rdf:li xml:lang="x-default">Please ask</rdf:li></rdf:Alt></plus:OtherConstraints>
    </rdf:Description></rdf:RDF></x:xmpmeta>"""
    rights = parse_xmp(packet)
    assert rights.licences == ("https://agency.example/licence", "https://agency.example/odrl/7")
    assert rights.other_constraints == ("Please ask",)
    assert rights.rights_expressions == ("https://agency.example/odrl/7",)
    assert outcomes(packet, {"https://agency.example/odrl/7": "odrl deal"}) == (A, A, A)


def test_two_values_any_prohibition_wins() -> None:
    packet = xmp_packet(VOCAB + "DMI-ALLOWED").replace(
        b"</rdf:RDF>",
        b'<rdf:Description xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" '
        b'plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"/></rdf:RDF>',
    )
    assert outcomes(packet) == (D, A, A)


@pytest.mark.parametrize(
    "packet",
    [
        b"<x:xmpmeta DataMining",
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x DataMining="&a;"/>',
        b'<!DOCTYPE x SYSTEM "http://evil.example/x.dtd"><x DataMining=""/>',
    ],
)
def test_unusable_packets_raise_xmp_error(packet: bytes) -> None:
    with pytest.raises(XmpError):
        parse_xmp(packet)


def test_a_packet_that_cannot_state_data_mining_is_not_parsed() -> None:
    # A camera's packet, or even a broken one: no name DataMining in any encoding, nothing to read.
    assert parse_xmp(b"<x:xmpmeta broken") == parse_xmp(b"") == parse_xmp(xmp_packet(None))
    assert parse_xmp(xmp_packet(None, web_statement="https://l/")).licences == ()


def test_utf16_packets_and_trailing_padding() -> None:
    packet = xmp_packet(VOCAB + "DMI-PROHIBITED").decode().encode("utf-16")
    assert parse_xmp(packet).data_mining == (VOCAB + "DMI-PROHIBITED",)
    assert parse_xmp(xmp_packet(VOCAB + "DMI-ALLOWED") + b" " * 2048 + b"\x00\x00").data_mining

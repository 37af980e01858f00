"""Fuzzing engine.check(): garbage for every input kind at once.

check() may raise only ValueError for an invalid product token (``user_agent`` or an
``ai_tokens`` key) or an invalid ``ai_tokens`` class; for everything a site serves (robots.txt
body and status, headers, HTML, tdmrep.json, RSL documents) and for any URL it returns a Decision,
and that Decision's to_dict() is JSON.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from fuzzing import (
    HEADER_SEEDS,
    as_text,
    assert_json,
    attempt,
    documents,
    fuzz,
    html_seeds,
    mutate,
    mutated,
    robots_seeds,
    rsl_seeds,
    tdmrep_seeds,
    text,
    urls,
    valid_tokens,
)
from hypothesis import example
from hypothesis import strategies as st

from scrapy_policyguard.adapters.audit import AuditLog, Record
from scrapy_policyguard.core.decision import Decision, Outcome
from scrapy_policyguard.core.engine import check
from scrapy_policyguard.core.purposes import PURPOSES

LICENSES = ("https://a.example/license.xml", "https://b.example/l.xml", "/l.xml")

_headers_pairs = st.lists(
    st.one_of(
        st.sampled_from(HEADER_SEEDS),
        st.tuples(
            st.sampled_from([n for n, _ in HEADER_SEEDS]),
            st.sampled_from(HEADER_SEEDS)
            .flatmap(lambda nv: mutate(nv[1].encode("latin-1")))
            .map(lambda b: b.decode("latin-1")),
        ),
        st.tuples(text, text),
    ),
    max_size=6,
)
_headers = st.one_of(
    st.none(),
    _headers_pairs,
    _headers_pairs.map(lambda pairs: {name: [value.encode("latin-1", "replace")] for name, value in pairs}),
    _headers_pairs.map(dict),
    st.dictionaries(
        text,
        st.one_of(st.none(), st.integers(), text, st.lists(st.binary(max_size=20), max_size=2)),
        max_size=3,
    ),
    _headers_pairs.map(lambda pairs: pairs * 40),
)


_robots = st.one_of(st.none(), documents(robots_seeds))
_html = st.one_of(st.none(), documents(html_seeds))
_user_agents = st.one_of(
    valid_tokens,
    st.sampled_from(["Mozilla/5.0 (compatible; ExampleBot/1.0; +https://e.example)", "Scrapy/2.13 (+x)"]),
    text,
)
_statuses = st.one_of(st.just(200), st.none(), st.sampled_from([204, 301, 404, 429, 500, 0, -1, 999]))
_tdmrep = st.one_of(st.none(), documents(tdmrep_seeds))
_rsl = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from([*LICENSES, "x"]),
        st.one_of(mutated(rsl_seeds), mutated(rsl_seeds).map(as_text)),
        max_size=3,
    ),
)
_agreements = st.dictionaries(
    st.sampled_from(["reddit", "x", *LICENSES, "https://license.example/api"]), text, max_size=2
)
_ai_tokens = st.one_of(
    st.none(),
    st.dictionaries(
        st.one_of(valid_tokens, text),
        st.sampled_from(["training", "search", "user", "control", None, "bogus"]),
        max_size=2,
    ),
)


@st.composite
def check_kwargs(draw: st.DrawFn) -> dict:
    licence = draw(st.sampled_from(LICENSES))
    robots = draw(_robots)
    if robots is not None and draw(st.booleans()):
        line = f"\nLicense: {licence}\n"
        robots = robots + (line if isinstance(robots, str) else line.encode())
    html = draw(_html)
    if html is not None and draw(st.booleans()):
        link = f'<link rel="license" type="application/rsl+xml" href="{licence}">'
        html = (link if isinstance(html, str) else link.encode()) + html
    return {
        "url": draw(urls()),
        "user_agent": draw(_user_agents),
        "purpose": draw(st.sampled_from([*PURPOSES, "AI-TRAIN", " search "])),
        "robots_txt": robots,
        "robots_status": draw(_statuses),
        "headers": draw(_headers),
        "html": html,
        "tdmrep": draw(_tdmrep),
        "rsl": draw(_rsl),
        "unknown": draw(st.sampled_from(["allow", "deny"])),
        "legacy_content_usage": draw(st.booleans()),
        "is_image": draw(st.one_of(st.none(), st.booleans())),
        "agreements": draw(_agreements),
        "ai_tokens": draw(_ai_tokens),
        "robots_url": draw(st.one_of(st.none(), urls(garbage=False))),
    }


_DOCUMENTED = r"product token|class must be one of"


@fuzz(check_kwargs())
@example({"url": "https://www.reddit.com/r/x", "user_agent": "ExampleBot", "robots_txt": b"\xff\xfe\x00"})
@example({"url": "", "user_agent": "ExampleBot", "headers": {}, "html": ""})
@example(
    {"url": "https://a.example/", "user_agent": "ExampleBot", "robots_status": None, "tdmrep": "[" * 50_000}
)
@example({"url": "https://a.example/x", "user_agent": "2bot"})
def test_check_returns_a_decision_for_any_input(kwargs):
    result = attempt(lambda: check(**kwargs), (ValueError,), message=_DOCUMENTED)
    if not result.ok:
        return
    decision = result.value
    assert isinstance(decision, Decision)
    assert decision.outcome in (Outcome.ALLOW, Outcome.DENY, Outcome.UNKNOWN)
    assert set(decision.outcomes) == set(PURPOSES)
    assert isinstance(decision.reason, str)
    data = decision.to_dict()
    assert_json(data)
    assert len(data["evidence"]) == len(decision.evidence)


# --------------------------------------------------------------------------- regressions
# Found by this suite and fixed in 162f4cb.


# ValueError("Invalid IPv6 URL") from urllib for a URL with an unbalanced bracket, and for the same
# in a Link header, <base href> or an RSL content@url (engine.parse_license caught only RslError).
@fuzz(
    st.sampled_from(
        [
            {"url": "http://[::1/x"},
            {"url": "http://a]/x", "robots_txt": "User-agent: *\nDisallow: /x"},
            {
                "url": "https://a.example/",
                "headers": {"Link": "<http://[x>; rel=license; type=application/rsl+xml"},
            },
            {
                "url": "https://a.example/",
                "html": "<base href='http://[x'><link rel=license type=application/rsl+xml href=y>",
            },
            {
                "url": "https://a.example/",
                "html": '<script type="application/rsl+xml"><content url="http://[x/"><license/></content></script>',
            },
            {
                "url": "https://a.example/",
                "robots_txt": "License: https://a.example/l.xml",
                "rsl": {
                    "https://a.example/l.xml": '<rsl><content url="http://[x/"><license/></content></rsl>'
                },
            },
        ]
    )
)
@example(
    {"url": "https://a.example/", "headers": {"Link": "<http://[x>; rel=license; type=application/rsl+xml"}}
)
def test_check_with_an_unbalanced_bracket(kwargs):
    decision = check(user_agent="ExampleBot", **kwargs)
    assert_json(decision.to_dict())


# UnicodeEncodeError: a tdmrep.json location with a JSON escape such as \ud800.
@fuzz(st.sampled_from([b'[{"location": "/\\ud800", "tdm-reservation": 1}]', '[{"location": "/\\udcff*"}]']))
@example(b'[{"location": "/\\ud800", "tdm-reservation": 1}]')
def test_check_with_an_escaped_surrogate_in_tdmrep(body):
    decision = check("https://a.example/%ED%A0%80", user_agent="ExampleBot", tdmrep=body)
    assert_json(decision.to_dict())


def _invalid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return b"\n" not in data and b"\r" not in data and b"#" not in data
    return False


def _audit_round_trip(record: Record, **fields: object) -> dict:
    """What AuditLog.write puts on disk for ``fields``, read back."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.jsonl"
        log = AuditLog(path)
        try:
            log.write(record, **fields)
        finally:
            log.close()
        lines = path.read_bytes().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


# UnicodeEncodeError in AuditLog.write: evidence quotes robots.txt lines holding invalid UTF-8 as
# surrogate escapes (by design), and the log encoded json.dumps(..., ensure_ascii=False) strictly.
@fuzz(st.binary(min_size=1, max_size=4).filter(_invalid_utf8))
@example(b"\xff")
def test_decision_with_invalid_utf8_robots_goes_into_the_audit_log(octets):
    body = b"User-agent: *\nDisallow: /p" + octets + b"\n"
    url = "https://a.example/p" + "".join(f"%{b:02X}" for b in octets)
    decision = check(url, user_agent="ExampleBot", robots_txt=body)
    evidence = [e.to_dict() for e in decision.evidence]
    written = _audit_round_trip(Record.REQUEST, reason=decision.reason, evidence=evidence)
    assert written["evidence"] == evidence
    assert written["reason"] == decision.reason


@fuzz(st.dictionaries(st.sampled_from(["url", "reason", "detail", "note"]), text, max_size=4), text)
@example({"reason": "\\\udcff", "url": "\ud800"}, "\\")
def test_any_text_reads_back_from_the_audit_log(fields, extra):
    fields = {**fields, "evidence": [{"rule": extra, "refs": {extra: extra}}]}
    written = _audit_round_trip(Record.REQUEST, **fields)
    assert {k: written[k] for k in fields} == fields

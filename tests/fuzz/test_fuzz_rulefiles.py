"""Fuzzing core/rulefiles.py (load_rule_file), core/terms.py (parse_pack, TermsIndex) and
core/agents.py (AgentCatalogue).

A rule file that cannot be used must stop the crawl with RuleFileError (file, line, field), never
with a traceback. Inputs: random bytes, the bundled packs and agents.yaml mutated byte by byte and
value by value (a field replaced, removed or added, then dumped again), and YAML built from the
constructs a hostile file would use: tags (Python objects among them), anchors and aliases, merge
keys, complex keys, directives, several documents, nesting. Billion laughs must be refused at its
first alias, and no tag may ever run code.
"""

from __future__ import annotations

import atexit
import builtins
import copy
import datetime as dt
import shutil
import tempfile
from pathlib import Path

import yaml
from fuzzing import (
    agents_seed,
    assert_evidence_json,
    attempt,
    fuzz,
    mutate,
    path_text,
    terms_seeds,
    text,
    to_bytes,
)
from hypothesis import example
from hypothesis import strategies as st

from scrapy_policyguard.core.agents import AgentCatalogue
from scrapy_policyguard.core.bundled import bundled_agents
from scrapy_policyguard.core.paths import normalize_path
from scrapy_policyguard.core.rulefiles import Located, RuleFileError, load_rule_file
from scrapy_policyguard.core.terms import TermsIndex, parse_pack

_DIR = Path(tempfile.mkdtemp(prefix="policyguard-fuzz-"))
atexit.register(shutil.rmtree, _DIR, True)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_PWNED = "POLICYGUARD_FUZZ_PWNED"


def load(raw: bytes, name: str = "rules.yaml"):
    path = _DIR / name
    path.write_bytes(raw)
    return attempt(lambda: load_rule_file(path, name), (RuleFileError,))


# --------------------------------------------------------------------------- strategies

yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False),
    text,
    st.dates().map(dt.date.isoformat),
    st.dates(),
    st.binary(max_size=8),  # !!binary
    st.sampled_from(
        ["deny", "allow", "allow-with-conditions", "confirmed", "ai-train", "search", "training", "/"]
    ),
)
yaml_keys = st.one_of(
    text, st.integers(), st.booleans(), st.none(), st.sampled_from(["paths", "clause", "note", "class"])
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(yaml_keys, children, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


@st.composite
def restructured_data(draw: st.DrawFn, seed: bytes) -> object:
    """The seed's data with a few values replaced, removed, duplicated or added."""
    data = copy.deepcopy(_seed_data(seed))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(data))
        where = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "remove", "add", "duplicate"]))
        if not where:
            data = draw(yaml_values) if action == "replace" else data
            continue
        parent = data
        for key in where[:-1]:
            parent = parent[key]
        last = where[-1]
        if action == "replace":
            parent[last] = draw(yaml_values)
        elif action == "remove":
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(yaml_keys)] = draw(yaml_values)
        elif action in ("add", "duplicate") and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
    return data


def _dump(data: object) -> bytes:
    try:
        text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    except UnicodeEncodeError:  # libyaml cannot write a lone surrogate; PyYAML escapes it ("\ud800")
        text = yaml.dump(data, Dumper=yaml.SafeDumper, allow_unicode=True, sort_keys=False)
    return text.encode("utf-8")


def restructured(seed: bytes) -> st.SearchStrategy[bytes]:
    """:func:`restructured_data` written back as YAML."""
    return restructured_data(seed).map(_dump)


_SEED_DATA: dict[bytes, object] = {}


def _seed_data(seed: bytes) -> object:
    if seed not in _SEED_DATA:
        _SEED_DATA[seed] = yaml.load(seed, Loader=_Loader)
    return _SEED_DATA[seed]


def located(data: object, name: str = "rules.yaml") -> Located:
    """A document as load_rule_file returns it, without the YAML round trip (no line numbers)."""
    return Located(name, data, {}, "0" * 64)


_SNIPPETS = (
    "&anchor [1, 2]",
    "*anchor",
    "&m {a: 1}",
    "!!python/object/apply:builtins.exec ['import builtins; builtins." + _PWNED + " = 1']",
    "!!python/name:os.system",
    "!!binary aGVsbG8=",
    "!!binary '@@'",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!str 12",
    "!!int 0x1F",
    "!!timestamp 2001-12-14",
    "!!null ''",
    "!custom value",
    "!<tag:yaml.org,2002:str> x",
    "2026-02-30",
    "0o17",
    "1_000",
    ".inf",
    "~",
    "'single ''quoted'''",
    '"double \\x00 \\t \\u00e9"',
    "|\n  block\n  text",
    ">-\n  folded\n  text",
    "[a, [b, [c]]]",
    "{a: {b: {c: d}}}",
)
_LINES = st.one_of(
    st.tuples(
        st.sampled_from(["schema", "id", "agents", "rules", "hosts", "x", "<<", "? [k]"]),
        st.sampled_from(_SNIPPETS),
    ).map(lambda kv: f"{kv[0]}: {kv[1]}"),
    st.sampled_from(
        [
            "<<: *m",
            "- *anchor",
            "- &a x",
            "%YAML 1.1",
            "%TAG ! tag:x,2000:",
            "---",
            "...",
            "? complex",
            ": value",
        ]
    ),
    text.map(lambda t: t.replace("\n", " ")[:30]),
)
hostile_yaml = st.lists(st.tuples(st.integers(0, 4), _LINES), max_size=12).map(
    lambda lines: to_bytes("\n".join(" " * indent + line for indent, line in lines))
)


@st.composite
def nested(draw: st.DrawFn) -> bytes:
    # PyYAML's scanner is quadratic in flow nesting, so flow sequences stay shallower.
    kind = draw(st.sampled_from(["flow-seq", "flow-map", "block"]))
    depth = draw(st.integers(1, {"flow-seq": 200, "flow-map": 1200, "block": 400}[kind]))
    if kind == "flow-seq":
        return ("[" * depth + "]" * depth).encode()
    if kind == "flow-map":
        return ("{a: " * depth + "x" + "}" * depth).encode()
    return "".join(" " * i + "- \n" for i in range(depth)).encode()


rule_file_inputs = st.one_of(
    st.binary(max_size=512),
    hostile_yaml,
    nested(),
    st.sampled_from(terms_seeds()).flatmap(lambda s: mutate(s, others=terms_seeds())),
    st.just(agents_seed()).flatmap(mutate),
)
packs = st.one_of(
    st.sampled_from(terms_seeds()).flatmap(restructured),
    st.sampled_from(terms_seeds()).flatmap(lambda s: mutate(s, max_ops=2)),
)
agent_documents = st.one_of(
    st.just(agents_seed()).flatmap(restructured_data).map(located),
    st.just(agents_seed()).flatmap(restructured_data).map(located),
    st.just(agents_seed()).flatmap(restructured_data).map(located),
    st.just(agents_seed()).flatmap(mutate),  # bytes: through load_rule_file
)


# --------------------------------------------------------------------------- properties


@fuzz(rule_file_inputs)
@example(b"\xef\xbb\xbfschema: 1\n")
@example(b"\xc2\x85<<")  # YAML breaks lines at NEL; the error's line must be the editor's
@example(b"\xff\xfe")
@example(b"a: &x [1]\nb: *x\n")
@example(b"a: !!python/object/apply:os.system ['true']\n")
@example(b"a: 1\na: 2\n")
@example(b"--- a\n--- b\n")
def test_load_rule_file_raises_only_rule_file_error(raw):
    result = load(raw)
    assert not hasattr(builtins, _PWNED), "a YAML tag ran code"
    if not result.ok:
        error = result.error
        assert error.file == "rules.yaml" and str(error).startswith("rules.yaml")
        assert error.line is None or 1 <= error.line <= raw.count(b"\n") + raw.count(b"\r") + 1


@fuzz(st.integers(1, 12), st.sampled_from(["- ", "", "k: "]))
@example(9, "")
def test_billion_laughs_is_refused_at_its_first_alias(levels, style):
    lines = ['a0: &a0 "lol"']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    raw = "\n".join(lines).encode()
    result = load(raw)
    assert result.error is not None and "alias" in result.error.problem and result.error.line == 2


@fuzz(packs, st.lists(path_text.map(normalize_path), max_size=3), st.one_of(st.none(), text))
def test_parse_pack_raises_only_rule_file_error(raw, paths, agreement):
    doc = load(raw, "pack.yaml")
    if not doc.ok:
        return
    result = attempt(lambda: parse_pack(doc.value), (RuleFileError,))
    if result.ok:
        pack = result.value
        for path in paths:
            assert_evidence_json(pack.evidence(path, agreement))
        index = attempt(lambda: TermsIndex([pack]), (RuleFileError,)).value
        for host in (*pack.domains, *pack.names):
            assert index.pack_for(host) is pack


@fuzz(
    st.lists(st.sampled_from(terms_seeds()).flatmap(restructured_data), min_size=1, max_size=3),
    st.lists(path_text.map(normalize_path), max_size=3),
    st.lists(text, max_size=5),
)
def test_terms_index_raises_only_rule_file_error(datas, paths, hosts):
    parsed = [attempt(lambda d=d: parse_pack(located(d)), (RuleFileError,)) for d in datas]
    for pack in (p.value for p in parsed if p.ok):
        for path in paths:
            assert_evidence_json(pack.evidence(path, None))
            assert_evidence_json(pack.evidence(path, "agreement"))
    index = attempt(lambda: TermsIndex([p.value for p in parsed if p.ok]), (RuleFileError,))
    if index.ok:
        for host in hosts:
            index.value.pack_for(host)


@fuzz(agent_documents)
def test_agent_catalogue_raises_only_rule_file_error(document):
    doc = load(document, "agents.yaml") if isinstance(document, bytes) else attempt(lambda: document)
    if doc.ok:
        catalogue = attempt(lambda: AgentCatalogue.from_document(doc.value), (RuleFileError,))
        if catalogue.ok:
            for agent in catalogue.value:
                assert agent.key and agent.key != "*"


@fuzz(
    st.dictionaries(
        st.one_of(st.sampled_from(["GPTBot", "ExampleBot", "*", "", "AI2Bot", "Bot/1.0"]), text),
        st.one_of(st.sampled_from(["training", "control", "search", "user", None]), text),
        max_size=5,
    )
)
def test_catalogue_changes_raise_only_value_error(changes):
    result = attempt(lambda: bundled_agents().with_changes(changes), (ValueError,))
    if not result.ok:
        assert "product token" in str(result.error) or "class must be one of" in str(result.error)


# --------------------------------------------------------------------------- regressions
# Found by this suite and fixed in 162f4cb; each raised something other than RuleFileError.


# RecursionError: PyYAML composes recursively.
@fuzz(
    st.sampled_from(
        [b"{a: " * n + b"x" + b"}" * n for n in (600, 1000, 1500)]
        + ["".join(" " * i + "-\n" for i in range(700)).encode()]
    )
)
@example(b"{a: " * 1000 + b"x" + b"}" * 1000)
def test_deeply_nested_rule_file(raw):
    result = load(raw, "deep.yaml")  # loads, or RuleFileError: how deep is too deep depends on the stack
    if raw.count(b"{") >= 1500:  # beyond the interpreter's recursion limit whatever the stack
        assert result.error is not None and "deep" in result.error.problem


# ValueError from PyYAML's safe constructors (int() of 5000 digits, float("x")).
@fuzz(st.sampled_from([b"a: " + b"9" * 5000, b"a: !!float x", b"a: !!int x", b"\nschema: " + b"1" * 4301]))
@example(b"a: !!float x")
def test_scalar_the_constructor_cannot_build(raw):
    result = load(raw, "scalar.yaml")
    assert result.error is not None and result.error.line == raw.count(b"\n") + 1


_PACK = """schema: 1
id: x
name: X
reviewed: 2026-01-01
hosts: {domains: [x.example]}
rules:
  - purposes: [ai-train]
    outcome: deny
    paths: [%s]
    clause: c
    effective: 2026-01-01
    confidence: confirmed
    sources: [{url: "https://x.example/terms", date: 2026-01-01}]
"""


# UnicodeEncodeError: a YAML escape such as "/\ud800" in a pack's paths reached PathPattern.
@fuzz(st.sampled_from(['"/\\ud800"', '"/a\\udfff*"', '"/\\uDC00"', '"/\\udcff$"']))
@example('"/\\ud800"')
def test_pack_path_with_an_escaped_lone_surrogate(pattern):
    doc = load((_PACK % pattern).encode(), "surrogate.yaml")
    pack = attempt(lambda: parse_pack(doc.value), (RuleFileError,))
    if pack.ok:
        assert_evidence_json(pack.value.evidence("/", None))


# TypeError: a list or mapping as an agent's class was looked up in a dict.
@fuzz(st.sampled_from(["[training]", "{a: b}", "[]", "1", "null"]))
@example("[training]")
def test_agent_class_that_is_not_a_string(value):
    raw = f"schema: 1\nagents:\n  - {{token: GPTBot, class: {value}, vendor: v, source: s}}\n".encode()
    result = attempt(
        lambda: AgentCatalogue.from_document(load(raw, "agents-class.yaml").value), (RuleFileError,)
    )
    assert result.error is not None and result.error.field == "agents[0].class"

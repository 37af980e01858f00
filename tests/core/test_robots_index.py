"""The indexed matcher of MergedGroup answers exactly as a plain scan of the rules in order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scrapy_policyguard.core.paths import normalize_path
from scrapy_policyguard.core.robots import RobotsTxt, Rule

PIECES = st.sampled_from(
    ["/", "/a", "/ab", "/a/b", "b", "c", ".html", "?q=", "x", "*", "$", "%2A", "/a*b", "ä"]
)
PATTERN = (
    st.lists(PIECES, min_size=1, max_size=5)
    .map("".join)
    .map(lambda p: p if p.startswith(("/", "*")) else "/" + p)
)
RULE = st.tuples(st.booleans(), PATTERN)
PATH = st.lists(st.sampled_from(["/", "a", "b", "c", "/a", ".html", "?q=1", "x", "ä", "*"]), max_size=8).map(
    lambda parts: "/" + "".join(parts)
)


def reference(rules: tuple[Rule, ...], path: str) -> Rule | None:
    ordered = sorted(rules, key=lambda r: (-r.pattern.specificity, not r.allow, r.line.number))
    return next((r for r in ordered if r.pattern.match(path)), None)


@settings(max_examples=400, deadline=None)
@given(st.lists(RULE, min_size=0, max_size=12), st.lists(PATH, min_size=1, max_size=6))
def test_index_equals_a_scan_in_order(rules: list[tuple[bool, str]], paths: list[str]) -> None:
    text = "User-agent: *\n" + "".join(f"{'Allow' if a else 'Disallow'}: {p}\n" for a, p in rules)
    group = RobotsTxt.parse(text).group_for("bot")
    every_rule = tuple(rule for g in group.groups for rule in g.rules)
    for raw in paths:
        path = normalize_path(raw)
        found, expected = group.match(path), reference(every_rule, path)
        # Duplicate rules may resolve to another line with the same meaning.
        assert (found is None) == (expected is None)
        if found is not None and expected is not None:
            assert (found.allow, found.pattern.specificity) == (expected.allow, expected.pattern.specificity)
            assert found.pattern.match(path)


def test_wildcard_rules_matching_alike_cite_the_longer_one() -> None:
    """``*`` and ``**`` match the same paths; the longer one ranks first (found by the test above)."""
    for lines in (["Disallow: *", "Disallow: **"], ["Disallow: **", "Disallow: *"]):
        group = RobotsTxt.parse("User-agent: *\n" + "\n".join(lines) + "\n").group_for("bot")
        rule = group.match("/")
        assert rule is not None
        assert (rule.pattern.source, rule.pattern.specificity) == ("**", 2)


def test_a_segment_rule_and_a_rule_of_no_segment_rank_together() -> None:
    text = "User-agent: *\nDisallow: /*.pdf$\nAllow: /docs/*.pdf$\nDisallow: /docs/a*\n"
    group = RobotsTxt.parse(text).group_for("bot")
    assert group.match("/docs/x.pdf").allow  # the segment's own rule is longer
    assert not group.match("/other/x.pdf").allow  # only the rule of no segment applies
    assert not group.match("/docs/a").allow

"""Reading YAML rule files safely, keeping the line of every value for error messages.

Rule packs and the agent catalogue are data: they are loaded with PyYAML's safe loader (no
Python objects are ever constructed) and every value remembers where it was written, so a broken
file stops the crawl with ``file:line: field: problem`` rather than a traceback.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

__all__ = ["Located", "RuleFileError", "load_rule_file"]

PathKey = tuple[str | int, ...]


class RuleFileError(ValueError):
    """A rule file that cannot be used; the message names file, line and field."""

    def __init__(self, file: str, line: int | None, field: str, problem: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.problem = problem
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {field + ': ' if field else ''}{problem}")


class _Constructor(SafeConstructor):
    """Safe constructors, except that dates and a lone ``<<`` stay text for the schema to check."""


# (types-PyYAML types add_constructor for loader classes only, hence the type-var ignores.)
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)  # type: ignore[type-var]
# A plain "<<" resolves to YAML's merge tag wherever it stands; as a key it is refused below, as a
# value it is the text it looks like.
_Constructor.add_constructor("tag:yaml.org,2002:merge", SafeConstructor.construct_yaml_str)  # type: ignore[type-var]
# libyaml, when PyYAML was built with it (its wheels are), reads the bundled rules ten times faster.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)
_PLAIN_TAGS: dict[type[yaml.Node], str] = {
    yaml.MappingNode: "tag:yaml.org,2002:map",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
}
_YAML_ONLY_BREAKS = re.compile("[\x85\u2028\u2029]")
_BREAK = re.compile(r"\r\n|\r|\n")

LineOf = Callable[[yaml.Mark], int]


def _line_counter(text: str) -> LineOf:
    """The 1-based line of a mark as editors and ``grep -n`` count lines (CR, LF, CRLF).

    YAML also breaks lines at NEL, LS and PS, which would put every later line number of a file
    holding one of them off by one; marks carry the character index, so lines are recounted.
    """
    if _YAML_ONLY_BREAKS.search(text) is None:
        return lambda mark: mark.line + 1
    starts = [match.end() for match in _BREAK.finditer(text)]
    return lambda mark: bisect_right(starts, mark.index) + 1


class Located:
    """A loaded rule file: its data, and the line each value came from."""

    def __init__(self, file: str, data: Any, lines: dict[PathKey, int], sha256: str) -> None:
        self.file = file
        self.data = data
        self.lines = lines
        self.sha256 = sha256

    def line(self, path: PathKey) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def error(self, path: PathKey, problem: str) -> RuleFileError:
        field = ""
        for part in path:
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else part)
        return RuleFileError(self.file, self.line(path), field, problem)


def _convert(
    node: yaml.Node, path: PathKey, lines: dict[PathKey, int], constructor: _Constructor, line_of: LineOf
) -> Any:
    lines[path] = line_of(node.start_mark)
    plain = _PLAIN_TAGS.get(type(node))
    if plain is not None and node.tag != plain:
        raise yaml.MarkedYAMLError(problem=f"tags are not allowed ({node.tag})", problem_mark=node.start_mark)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.MarkedYAMLError(
                    problem="mapping keys must be plain values", problem_mark=key_node.start_mark
                )
            if key_node.value == "<<":
                raise yaml.MarkedYAMLError(
                    problem="merge keys are not allowed (<<)", problem_mark=key_node.start_mark
                )
            key = constructor.construct_object(key_node)
            if key in result:
                raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
            result[key] = _convert(value_node, (*path, str(key)), lines, constructor, line_of)
            # A field's line is its key's, also when its value is a block on the lines below.
            field_path: PathKey = (*path, str(key))
            lines[field_path] = line_of(key_node.start_mark)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), lines, constructor, line_of) for i, item in enumerate(node.value)]
    try:
        return constructor.construct_object(node)
    except ValueError as exc:  # e.g. an integer of 5000 digits, or !!float on a word
        raise yaml.MarkedYAMLError(
            problem=f"unreadable value ({exc})", problem_mark=node.start_mark
        ) from None


def _refuse_aliases(text: str, loader: type) -> None:
    # Aliases could expand exponentially ("billion laughs"); rule files need none. Checked on the
    # event stream, before anything is composed, so the error points at the alias itself.
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            mark: Any = event.start_mark  # yaml.Mark, or libyaml's own Mark under CSafeLoader
            raise yaml.MarkedYAMLError(problem="aliases (*name) are not allowed", problem_mark=mark)


def _compose(text: str) -> yaml.Node | None:
    if _FAST_LOADER is not None:
        try:
            _refuse_aliases(text, _FAST_LOADER)
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass  # PyYAML's own parser decides, and its messages name the problem better
    _refuse_aliases(text, yaml.SafeLoader)
    return yaml.compose(text, Loader=yaml.SafeLoader)


def load_rule_file(path: str | Path, display: str | None = None) -> Located:
    """Load one YAML rule file; YAML errors become :class:`RuleFileError` with the line."""
    file_path = Path(path)
    name = display or str(file_path)
    try:
        raw = file_path.read_bytes()
    except OSError as exc:
        raise RuleFileError(name, None, "", f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleFileError(name, None, "", f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    lines: dict[PathKey, int] = {}
    line_of = _line_counter(text)
    try:
        node = _compose(text)
        data = None if node is None else _convert(node, (), lines, _Constructor(), line_of)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = line_of(mark) if mark is not None else None
        raise RuleFileError(name, line, "", str(exc.problem or exc.context or "invalid YAML")) from None
    except yaml.YAMLError as exc:
        raise RuleFileError(name, None, "", f"invalid YAML: {exc}") from None
    except RecursionError:
        raise RuleFileError(name, None, "", "nested too deeply") from None
    return Located(name, data, lines, hashlib.sha256(raw).hexdigest())


def expect_mapping(
    doc: Located, value: Any, path: PathKey, known: Sequence[str] | None = None
) -> Mapping[str, Any]:
    """``value`` as a mapping; with ``known``, a key outside it is an error (a typo would
    otherwise silently drop a rule's meaning)."""
    if not isinstance(value, Mapping):
        raise doc.error(path, f"must be a mapping, not {type(value).__name__}")
    if known is not None:
        for key in value:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
                raise doc.error((*path, str(key)), f"unknown field{hint}")
    return value


def expect_schema(doc: Located, root: Mapping[str, Any], version: int = 1) -> None:
    value = root.get("schema")
    if type(value) is not int or value != version:
        raise doc.error(("schema",), f"must be {version}")


def expect_list(doc: Located, value: Any, path: PathKey) -> Sequence[Any]:
    if not isinstance(value, list):
        raise doc.error(path, f"must be a list, not {type(value).__name__}")
    return value


def expect_str(doc: Located, value: Any, path: PathKey, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise doc.error(path, "must be a non-empty string" if not allow_empty else "must be a string")
    return value.strip()

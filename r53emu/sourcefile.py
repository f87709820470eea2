"""Read YAML (and JSON) zone files into plain values that remember their line numbers.

Mappings come back as `LineDict` and sequences as `LineList`: ordinary dict/list subclasses that
also know the 1-based line of themselves, of each key and of each item, so that load errors can
name `file:line: field`. PyYAML's C parser is used when it is installed (the constructor that
builds these values is ours either way).

Scalars follow YAML 1.2 where YAML 1.1 would change what the user wrote: only true/false are
booleans (under YAML 1.1 a country code `NO` or a routing control state `On` would silently turn
into a bool), dates stay text, and a number remembers its source text, so a name or value written
`010`, `1.10` or `1_000` reads back as exactly that when a field wants text.

A key given twice is not an error of the parser: each mapping records it, and
`duplicate_keys` lists every one with its field path, so a file reports all of them at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key.

    `key_names` lets a mapping converted from another shape (a JSON record set turned into the
    YAML shape) report its fields under the names the user wrote (`TTL` rather than `ttl`).
    """

    line: int = 1
    key_lines: dict[Any, int]
    key_names: Mapping[Any, str] = MappingProxyType({})
    # (key, line of the repeat, line of the first) for each key given more than once
    duplicates: tuple[tuple[Any, int, int], ...] = ()

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def name_of(self, key: Any) -> str:
        return self.key_names.get(key, str(key))


class LineList(list[Any]):
    """A sequence that knows its own line and the line of each item."""

    line: int = 1
    item_lines: Sequence[int] = ()

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class SourceInt(int):
    """An integer scalar that remembers its source text (`010` is 8 under YAML 1.1)."""

    text: str


class SourceFloat(float):
    """A float scalar that remembers its source text (`1.10` would print as 1.1)."""

    text: str


def source_text(value: int | float) -> str:
    """A number as the user wrote it (its source text when it came from a file)."""
    text = getattr(value, "text", None)
    return text if isinstance(text, str) else str(value)


class SourceError(Exception):
    """A file that is not valid YAML/JSON; carries the 1-based line of the problem."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader (C parser when present) building LineDict/LineList with YAML 1.2 booleans."""


# YAML 1.1 tags that YAML 1.2 does not have (or reads differently); such scalars stay text.
_DROPPED_TAGS = frozenset(
    ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value")
)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    """A LineDict; YAML merge keys (`<<: *base`) work, a key the mapping itself repeats does not.

    `flatten_mapping` puts the merged pairs first: the mapping's own keys override them and the
    first of several merged values wins, as the YAML merge-key spec says.
    """
    own_pairs = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)
    merged_pairs = len(node.value) - own_pairs
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    from_merge: set[Any] = set()
    duplicates: list[tuple[Any, int, int]] = []
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        key_line = key_node.start_mark.line + 1
        if isinstance(key, list | dict):
            raise SourceError(key_line, "a mapping key must be a plain value")
        merged = index < merged_pairs
        if key in mapping and (merged or key not in from_merge):
            if not merged:
                # The first value stays; the file is rejected by whoever reads `duplicate_keys`.
                duplicates.append((key, key_line, mapping.key_lines[key]))
            continue
        if merged:
            from_merge.add(key)
        else:
            from_merge.discard(key)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_line
    if duplicates:
        mapping.duplicates = tuple(duplicates)
    return mapping


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
    sequence = LineList(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> SourceInt:
    number = SourceInt(loader.construct_yaml_int(node))
    number.text = node.value
    return number


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> SourceFloat:
    number = SourceFloat(loader.construct_yaml_float(node))
    number.text = node.value
    return number


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def duplicate_keys(document: Any, path: str = "") -> list[tuple[str, int, int]]:
    """Every key given twice in one mapping: (field path, line of the repeat, first line)."""
    found: list[tuple[str, int, int]] = []
    if isinstance(document, LineDict):
        for key, line, first in document.duplicates:
            found.append((_joined(path, key), line, first))
        for key, value in document.items():
            found.extend(duplicate_keys(value, _joined(path, key)))
    elif isinstance(document, LineList):
        for index, value in enumerate(document):
            found.extend(duplicate_keys(value, f"{path}[{index}]"))
    return found


def _joined(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def load(path: Path) -> Any:
    """Parse one zone file (YAML, or JSON for `*.json`) into line-aware values.

    Raises `SourceError` for text that is not valid YAML/JSON.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(1, f"not UTF-8 text: {exc}") from None
    if path.suffix == ".json":
        return _load_json(text)
    return _load_yaml(text)


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise SourceError(line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise SourceError(1, f"invalid YAML: {exc}") from None


def _load_json(text: str) -> Any:
    """JSON is checked by the json module, then read by the YAML loader for its line numbers."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(exc.lineno, f"invalid JSON: {exc.msg}") from None
    # Tabs are legal JSON whitespace but not YAML indentation; in JSON they only separate tokens.
    return _load_yaml(text.replace("\t", " "))

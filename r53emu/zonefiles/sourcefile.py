"""Read YAML (and JSON) zone files into plain values that remember their line numbers.

Mappings come back as `LineDict` and sequences as `LineList`: ordinary dict/list subclasses that
also know the 1-based line of themselves, of each key and of each item, so that load errors can
name `file:line: field`. PyYAML's C parser is used when it is installed.

Values are built straight from the parser's events (`_EventReader`), which covers what zone files
are made of. A file it does not cover (a merge key, an explicit tag, a YAML error, ...) is read
again by PyYAML's composer with the constructors below: they define the values, and give every
error message. Both give equal values for every file the reader covers.

Scalars follow YAML 1.2 where YAML 1.1 would change what the user wrote: only true/false are
booleans (under YAML 1.1 a country code `NO` or a routing control state `On` would silently turn
into a bool), dates stay text, and a number remembers its source text, so a name or value written
`010`, `1.10` or `1_000` reads back as exactly that when a field wants text.

A key given twice is not an error of the parser: each mapping records it, and
`duplicate_keys` lists every one with its field path, so a file reports all of them at once.

Hostile files are refused with a line rather than read without end: a file over
`MAX_FILE_BYTES` is not read, nesting deeper than `MAX_DEPTH` is refused before anything
recursive (PyYAML's composer and constructors, Python's json) sees it, aliases that expand a
document past `MAX_EXPANDED_ITEMS` are refused, and every walk of a document visits each value
once however many aliases reach it.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from r53emu.zonefiles.quoting import QUOTE_CHARS, quoted

# The largest zone file read, checked before reading it. Reading takes about 40 times the
# file's size in memory (a 200 MB file peaked at 7.6 GB); the benchmark's 100,000 record sets
# (Route 53's quota is 10,000 a zone) are 12.5 MB. r53emu's bound: Route 53 reads no files.
MAX_FILE_BYTES = 64 * 1024 * 1024
# The deepest nesting of mappings and lists read (the top-level mapping is level 1). A zone file
# needs 5 (top, record_sets, a record set, a routing policy, its coordinates); readers that
# recurse (PyYAML's composer, Python's json) must never see thousands. r53emu's bound.
MAX_DEPTH = 100
# The most items (mapping entries and list items, counted again each time an alias repeats
# them) a document may expand to: about what a file of MAX_FILE_BYTES holds written out, and
# far below the billions that nine levels of nested aliases give. r53emu's bound.
MAX_EXPANDED_ITEMS = 10_000_000

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key.

    `key_names` lets a mapping converted from another shape (a JSON record set turned into the
    YAML shape) report its fields under the names the user wrote (`TTL` rather than `ttl`).
    """

    # Slots rather than an attribute dict: 100 bytes a mapping instead of 430, and a zone file
    # of 100,000 record sets holds 170,000 mappings while it is read.
    __slots__ = ("duplicates", "key_lines", "key_names", "line")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = 1
        self.key_lines: dict[Any, int] = {}
        self.key_names: Mapping[Any, str] = _NO_KEY_NAMES
        # (key, line of the repeat, line of the first) for each key given more than once
        self.duplicates: tuple[tuple[Any, int, int], ...] = ()

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def name_of(self, key: Any) -> str:
        return self.key_names.get(key, str(key))


_NO_KEY_NAMES: Mapping[Any, str] = MappingProxyType({})


class LineList(list[Any]):
    """A sequence that knows its own line and the line of each item."""

    __slots__ = ("item_lines", "line")  # as LineDict's: 80 bytes a list instead of 420

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self.line = 1
        self.item_lines: Sequence[int] = ()

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


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader (C parser when present) building LineDict/LineList with YAML 1.2 booleans."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        # Mappings and lists being constructed around the node being constructed: the
        # constructors recurse once per level (libyaml stops at 1,000, Python's stack would not).
        self.depth = 0
        # id of each mapping and list constructed -> the items it expands to (`expanded_size`)
        self.sizes: dict[int, int] = {}


def _entered(loader: Any, node: yaml.Node) -> None:
    """Count one more level of nesting; past MAX_DEPTH the file is refused at `node`'s line."""
    loader.depth += 1
    if loader.depth > MAX_DEPTH:
        raise SourceError(node.start_mark.line + 1, _TOO_DEEP)


def _left(
    loader: Any, node: yaml.Node, value: LineDict | LineList, children: Iterable[Any]
) -> None:
    """Leave a level; refuse a value whose items, counted again each time an alias (or merge)
    repeats them, pass MAX_EXPANDED_ITEMS (as `expanded_beyond_bound` does for the reader)."""
    loader.depth -= 1
    sizes = loader.sizes
    total = len(value)
    for child in children:
        total += sizes.get(id(child), 0)  # 0 for scalars: only containers are in `sizes`
    if total > MAX_EXPANDED_ITEMS:
        raise SourceError(node.start_mark.line + 1, _TOO_EXPANDED)
    sizes[id(value)] = total


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
# The resolvers PyYAML's `resolve` tries for a plain scalar, by first character ('' if empty).
_ANY_FIRST_RESOLVERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    _Loader.yaml_implicit_resolvers.get(None, ())
)
_PLAIN_RESOLVERS: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    first: (*resolvers, *_ANY_FIRST_RESOLVERS)
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
    if first is not None
}


def _plain_tag(value: str) -> str:
    """The tag `_Loader` resolves a plain scalar to (its resolver has no path resolvers)."""
    for tag, regexp in _PLAIN_RESOLVERS.get(value[:1], _ANY_FIRST_RESOLVERS):
        if regexp.match(value):
            return tag
    return _STR


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    """A LineDict; YAML merge keys (`<<: *base`) work, a key the mapping itself repeats does not.

    `flatten_mapping` puts the merged pairs first: the mapping's own keys override them and the
    first of several merged values wins, as the YAML merge-key spec says.
    """
    _expect_node(node, yaml.MappingNode, "a mapping")
    _entered(loader, node)
    own_pairs = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)
    merged_pairs = len(node.value) - own_pairs
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    from_merge: set[Any] = set()
    duplicates: list[tuple[Any, int, int]] = []
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        key_line = key_node.start_mark.line + 1
        if not _hashable(key):  # a list, a mapping, or a set (`? !!set {a, b}`)
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
    _left(loader, node, mapping, mapping.values())
    return mapping


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
    _expect_node(node, yaml.SequenceNode, "a list")
    _entered(loader, node)
    sequence = LineList(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
    _left(loader, node, sequence, sequence)
    return sequence


def _expect_node(node: yaml.Node, kind: type[yaml.Node], what: str) -> None:
    """Refuse a tag given to a node of another kind (`!!seq a`, `!!map [a]`), whose value
    PyYAML's constructors would otherwise take apart as if it were of that kind."""
    if not isinstance(node, kind):
        found = _NODE_KINDS.get(getattr(node, "id", ""), "another node")
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"the tag {_shown_tag(node.tag)} needs {what}, found {found}",
            node.start_mark,
        )


_NODE_KINDS = {"scalar": "a scalar", "sequence": "a list", "mapping": "a mapping"}
_STANDARD_TAGS = "tag:yaml.org,2002:"


def _shown_tag(tag: str) -> str:
    """A tag as it is written, quoted by its first characters: `!!seq`, `!local`."""
    if tag.startswith(_STANDARD_TAGS):
        tag = "!!" + tag[len(_STANDARD_TAGS) :]
    return quoted(tag)


def _hashable(key: Any) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> SourceInt:
    number = SourceInt(_unreadable_as(loader.construct_yaml_int, node, "an integer"))
    number.text = node.value
    return number


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> SourceFloat:
    number = SourceFloat(_unreadable_as(loader.construct_yaml_float, node, "a number"))
    number.text = node.value
    return number


def _construct_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return bool(_unreadable_as(loader.construct_yaml_bool, node, "true or false"))


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """`!!timestamp`: a date or time (its field then says it wants text), or the YAML error of
    text that is not one (`!!timestamp abc`, `!!timestamp 2001-13-45`)."""
    return _unreadable_as(loader.construct_yaml_timestamp, node, "a timestamp")


def _construct_undefined(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A tag no constructor knows, quoted by its first characters (a tag may be any length)."""
    raise yaml.constructor.ConstructorError(
        None,
        None,
        f"could not determine a constructor for the tag {_shown_tag(node.tag)}",
        node.start_mark,
    )


def _unreadable_as(construct: Any, node: yaml.ScalarNode, what: str) -> Any:
    """`construct(node)`, or the YAML error a scalar PyYAML cannot read gets (such as `0x_`,
    which its resolver takes for an integer, or `!!int abc`): with the line, never a crash."""
    try:
        return construct(node)
    except (ValueError, IndexError, KeyError, AttributeError, OverflowError):
        # AttributeError: `!!timestamp abc` (PyYAML takes its regular expression's match for
        # granted); ValueError: `!!timestamp 2001-13-45` as well as `0x_`
        raise yaml.constructor.ConstructorError(
            None, None, f"cannot read {quoted(node.value)} as {what}", node.start_mark
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor(None, _construct_undefined)


class _Unusual(Exception):
    """Something `_EventReader` leaves to PyYAML's composer and the constructors above."""


_BUILDING = object()  # the value of an anchor whose node is still being read
_UNREAD = object()  # a plain scalar not seen before in the file
_PLAIN_DECIMAL = re.compile(r"0|[1-9][0-9]*")  # an int whose value int() reads as YAML does
_BOOLEANS = {"true": True, "True": True, "TRUE": True}
_BOOLEANS |= {"false": False, "False": False, "FALSE": False}
_ScalarEvent, _AliasEvent = yaml.ScalarEvent, yaml.AliasEvent
_MappingStart, _MappingEnd = yaml.MappingStartEvent, yaml.MappingEndEvent
_SequenceStart, _SequenceEnd = yaml.SequenceStartEvent, yaml.SequenceEndEvent


class _EventReader:
    """The parser's events -> the values that composing and constructing would give.

    PyYAML's composer builds a node (with two marks) for every scalar, and its constructor
    walks them all again: for 100,000 record sets that took 6 s and 850 MB. This reads each
    event once instead and builds the LineDict/LineList/scalars the constructors above would.

    It covers what zone files are made of: untagged mappings, sequences and scalars (text,
    numbers, booleans, null) with anchors and aliases, in one document. Anything else (an
    explicit tag, a merge key `<<`, a key that is not a scalar, an alias to a node that is not
    finished or not defined, a reused anchor, a second document, a syntax error) raises
    `_Unusual` or a YAML error, and the file is then read the generic way, which gives the same
    values or the error it has always given.
    """

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.next_event = loader.get_event
        # Plain scalar text -> its value, so that a file's repeated keys and values resolve once
        # and share one object (the 100,000 record sets of the benchmark take 80 MB less).
        self.plain_values: dict[str, Any] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, line of its node)
        self.saw_duplicates = False
        self.saw_alias = False
        self.depth = 0  # mappings and lists open around the event being read

    def document(self) -> Any:
        """The value of the stream's only document (None for an empty stream)."""
        next_event = self.next_event
        next_event()  # StreamStartEvent
        if next_event().__class__ is yaml.StreamEndEvent:
            return None
        value = self.node(next_event())[0]  # after the DocumentStartEvent
        next_event()  # DocumentEndEvent
        if next_event().__class__ is not yaml.StreamEndEvent:
            raise _Unusual  # another document
        return value

    def node(self, event: Any) -> tuple[Any, int]:
        """The value of the node that `event` starts, and the node's line."""
        cls = event.__class__
        if cls is _AliasEvent:
            found = self.anchors.get(event.anchor)
            if found is None or found[0] is _BUILDING:
                raise _Unusual
            self.saw_alias = True
            return found
        if event.tag is not None:
            raise _Unusual
        line = event.start_mark.line + 1
        anchor = event.anchor
        if anchor is not None:
            if anchor in self.anchors:
                raise _Unusual
            self.anchors[anchor] = (_BUILDING, line)
        if cls is _ScalarEvent:
            value = self.scalar(event.value, event.implicit[0])
        elif cls is _MappingStart or cls is _SequenceStart:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise SourceError(line, _TOO_DEEP)
            value = self.mapping(line) if cls is _MappingStart else self.sequence(line)
            self.depth -= 1
        else:
            raise _Unusual
        if anchor is not None:
            self.anchors[anchor] = (value, line)
        return value, line

    def scalar(self, text: str, plain: bool) -> Any:
        if not plain:
            return text
        value = self.plain_values.get(text, _UNREAD)
        if value is _UNREAD:
            value = self.plain_value(text)
            # Floats stay apart: one `.nan` object would equal itself, two as keys do not.
            if not isinstance(value, float):
                self.plain_values[text] = value
        return value

    def plain_value(self, text: str) -> Any:
        tag = _plain_tag(text)
        if tag == _STR:
            return text
        if tag == _INT:
            if len(text) > 4_000:  # past Python's int() limit: the constructors give the error
                raise _Unusual
            number = SourceInt(int(text) if _PLAIN_DECIMAL.fullmatch(text) else self.read(text))
            number.text = text
            return number
        if tag == _FLOAT:
            real = SourceFloat(self.read(text, as_float=True))
            real.text = text
            return real
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return _BOOLEANS[text]
        raise _Unusual  # a merge key `<<`

    def read(self, text: str, as_float: bool = False) -> Any:
        """A number as PyYAML reads it (`0x1f`, `0o17`, `1_000`, `1:20`, `.inf`)."""
        node = yaml.ScalarNode(_FLOAT if as_float else _INT, text)
        try:
            if as_float:
                return self.loader.construct_yaml_float(node)
            return self.loader.construct_yaml_int(node)
        except (ValueError, IndexError):  # text such as `0x_` that PyYAML resolves but cannot read
            raise _Unusual from None

    def mapping(self, line: int) -> LineDict:
        """As `_construct_mapping` builds a mapping without merge keys."""
        mapping = LineDict()
        mapping.line = line
        key_lines = mapping.key_lines
        duplicates: list[tuple[Any, int, int]] = []
        next_event = self.next_event
        while True:
            event = next_event()
            cls = event.__class__
            # Scalars without anchor or tag, the bulk of every file, skip `node`'s dispatch.
            if cls is _ScalarEvent and event.anchor is None and event.tag is None:
                key = self.scalar(event.value, event.implicit[0])
                key_line = event.start_mark.line + 1
                if key_line == line:
                    key_line = line  # one int object for a flow mapping's lines, not one a key
            elif cls is _MappingEnd:
                break
            else:
                key, key_line = self.node(event)
                if isinstance(key, list | dict):
                    raise _Unusual
            event = next_event()
            if event.__class__ is _ScalarEvent and event.anchor is None and event.tag is None:
                value = self.scalar(event.value, event.implicit[0])
            else:
                value = self.node(event)[0]
            if key in mapping:
                duplicates.append((key, key_line, key_lines[key]))
                continue
            mapping[key] = value
            key_lines[key] = key_line
        if duplicates:
            mapping.duplicates = tuple(duplicates)
            self.saw_duplicates = True
        return mapping

    def sequence(self, line: int) -> LineList:
        items: list[Any] = []
        item_lines: list[int] = []
        next_event = self.next_event
        while True:
            event = next_event()
            cls = event.__class__
            if cls is _ScalarEvent and event.anchor is None and event.tag is None:
                items.append(self.scalar(event.value, event.implicit[0]))
                item_line = event.start_mark.line + 1
                item_lines.append(line if item_line == line else item_line)
            elif cls is _SequenceEnd:
                break
            else:
                value, item_line = self.node(event)
                items.append(value)
                item_lines.append(item_line)
        sequence = LineList(items)
        sequence.line = line
        sequence.item_lines = item_lines
        return sequence


def duplicate_keys(document: Any, path: str = "") -> list[tuple[str, int, int]]:
    """Every key given twice in one mapping: (field path, line of the repeat, first line).

    Each mapping and list is visited once, in file order, without recursion: one that aliases
    reach again is not walked again (its repeats are listed at the first path that reaches it),
    so nested aliases cannot make the walk exponential.
    """
    found: list[tuple[str, int, int]] = []
    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(document, path)]
    containers = (LineDict, LineList)
    while stack:
        value, at = stack.pop()
        if not isinstance(value, containers) or id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, LineDict):
            for key, line, first in value.duplicates:
                found.append((_joined(at, key), line, first))
            children = [
                (item, _joined(at, key))
                for key, item in value.items()
                if isinstance(item, containers)
            ]
        else:
            children = [
                (item, f"{at}[{index}]")
                for index, item in enumerate(value)
                if isinstance(item, containers)
            ]
        stack.extend(reversed(children))
    return found


def expanded_beyond_bound(document: Any) -> int | None:
    """The line of a value that aliases expand past `MAX_EXPANDED_ITEMS` items; None if none.

    Counts each mapping's entries and list's items, a shared value once per place that reaches
    it, while visiting each value once (its count is remembered). The line named is that of the
    innermost value over the bound.
    """
    counts: dict[int, int] = {}
    stack: list[tuple[Any, list[Any] | None]] = [(document, None)]
    while stack:
        value, inside = stack.pop()
        if inside is not None:  # its containers are counted
            total = len(value)
            for child in inside:
                total += counts[id(child)]
            counts[id(value)] = total
            if total > MAX_EXPANDED_ITEMS:
                line: int = getattr(value, "line", 1)
                return line
        elif id(value) not in counts and isinstance(value, LineDict | LineList):
            counts[id(value)] = 0  # being counted (a constructed document has no cycles)
            children = value.values() if isinstance(value, LineDict) else value
            inside = [child for child in children if isinstance(child, LineDict | LineList)]
            stack.append((value, inside))
            stack.extend((child, None) for child in inside if id(child) not in counts)
    return None


_TOO_DEEP = (
    f"mappings and lists nested more than {MAX_DEPTH} deep (r53emu's bound; a zone file needs "
    "fewer than 10)"
)
_TOO_EXPANDED = (
    f"aliases expand the file to more than {MAX_EXPANDED_ITEMS:,} values (r53emu's bound; "
    "nested anchors and aliases repeat values exponentially)"
)


def _joined(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def load_document(
    path: Path, max_bytes: int = MAX_FILE_BYTES
) -> tuple[Any, list[tuple[str, int, int]]]:
    """Parse one zone file (YAML, or JSON for `*.json`) into line-aware values, and list the
    file's `duplicate_keys` (found without walking a file that has none).

    Raises `SourceError` for text that is not valid YAML/JSON, and for a file over `max_bytes`
    (before reading it; `--max-zone-file-mb`), nested past `MAX_DEPTH` or that aliases expand
    past `MAX_EXPANDED_ITEMS`.
    """
    with path.open("rb") as file:
        size = _size_of(file.fileno())
        if size is not None and size > max_bytes:
            raise SourceError(1, _too_large(size, max_bytes))
        data = file.read(max_bytes + 1)  # the file may have grown since
    if len(data) > max_bytes:
        raise SourceError(1, _too_large(len(data), max_bytes))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(1, f"not UTF-8 text: {exc}") from None
    del data
    if path.suffix == ".json":
        return _load_json(text)
    return _load_yaml(text)


def _size_of(descriptor: int) -> int | None:
    """The size of an open regular file (None for anything else)."""
    status = os.fstat(descriptor)
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _too_large(size: int, max_bytes: int) -> str:
    return (
        f"the file is {size:,} bytes; r53emu reads zone files of at most {max_bytes:,} "
        f"bytes ({max_bytes / 2**20:g} MiB, r53emu's bound: --max-zone-file-mb)"
    )


def _load_yaml(text: str) -> tuple[Any, list[tuple[str, int, int]]]:
    loader = _Loader(text)
    try:
        reader = _EventReader(loader)
        document = reader.document()
    except (_Unusual, yaml.YAMLError):
        return _load_yaml_generic(text)
    finally:
        loader.dispose()
    if reader.saw_alias:
        _check_expansion(document)
    return document, duplicate_keys(document) if reader.saw_duplicates else []


def _check_expansion(document: Any) -> None:
    line = expanded_beyond_bound(document)
    if line is not None:
        raise SourceError(line, _TOO_EXPANDED)


def _load_yaml_generic(text: str) -> tuple[Any, list[tuple[str, int, int]]]:
    """PyYAML's composer and constructor with the constructors above, and the errors they find.

    The constructors refuse nesting past MAX_DEPTH as they recurse (PyYAML's C composer before
    them stops at libyaml's 1,000 levels, its Python one at Python's recursion limit), and
    values that aliases expand past MAX_EXPANDED_ITEMS. PyYAML's own constructors of `!!set`,
    `!!omap` and `!!pairs` recurse without counting: their RecursionError is the depth's error.
    An error's line is never past the file's last line (libyaml marks the end of a file without
    a final line break on the line after it), and a value PyYAML's message quotes is cut.
    """
    loader = _Loader(text)
    node = None
    try:
        node = loader.get_single_node()
        document = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = _within(text, mark.line + 1) if mark is not None else 1
        raise SourceError(line, f"invalid YAML: {_cut(str(exc.problem or exc.context))}") from None
    except yaml.YAMLError as exc:
        raise SourceError(1, f"invalid YAML: {_cut(str(exc))}") from None
    except RecursionError:
        raise SourceError(_node_too_deep_line(node), _TOO_DEEP) from None
    finally:
        loader.dispose()
    return document, duplicate_keys(document)


def _within(text: str, line: int) -> int:
    """`line`, or the last line of `text` (as YAML counts line breaks) when it is past that."""
    if line <= text.count("\n") + 1:  # YAML counts every \n, and more
        return line
    return min(line, sum(1 for _ in _YAML_BREAKS.finditer(text)) + 1)


_YAML_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # line breaks as YAML counts them
# A value quoted in one of PyYAML's messages (repr() quotes, backslash escapes).
_QUOTED_IN_MESSAGE = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")


def _cut(message: str) -> str:
    """PyYAML's `message` with each value it quotes (an alias, a tag handle: any length) cut
    to its first QUOTE_CHARS characters and its length, as `quoted` cuts ours."""

    def cut(match: re.Match[str]) -> str:
        piece = match.group()
        if len(piece) <= QUOTE_CHARS + 2:
            return piece
        return f"{piece[: QUOTE_CHARS + 1]}{piece[0]}... ({len(piece) - 2:,} characters)"

    return _QUOTED_IN_MESSAGE.sub(cut, message)


def _node_too_deep_line(root: yaml.Node | None) -> int:
    """The line of the first node nested past MAX_DEPTH under `root` (1 if there is none).

    Walks with its own stack; a node that aliases reach again is walked again only from a
    deeper place, so at most MAX_DEPTH times.
    """
    deepest: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int]] = [] if root is None else [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return int(node.start_mark.line) + 1
        if deepest.get(id(node), 0) >= depth:
            continue
        deepest[id(node)] = depth
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack += [(value, depth + 1), (key, depth + 1)]
    return 1


# The tokens of JSON text that nesting depends on: strings (skipped), brackets and line ends.
_JSON_NESTING = re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}\n]')


def _json_too_deep_line(text: str) -> int:
    """The line where JSON `text` (valid but for its depth) opens level MAX_DEPTH + 1."""
    depth, line = 0, 1
    for match in _JSON_NESTING.finditer(text):
        piece = match.group()
        if piece == "\n":
            line += 1
        elif piece in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif piece in ("]", "}"):
            depth -= 1
    return 1


def _load_json(text: str) -> tuple[Any, list[tuple[str, int, int]]]:
    """JSON is checked by the json module, then read by the YAML loader for its line numbers.

    What YAML reads otherwise than JSON is changed first, inside and outside strings alike:
    tabs and carriage returns are JSON whitespace but YAML indentation and line breaks (a lone
    CR), and the characters YAML counts as line breaks (NEL, LS, PS) or refuses (DEL, C1
    controls, U+FFFE, U+FFFF) can only stand in a JSON string, where they become the escapes
    YAML reads back as the same character. JSON's lines are then YAML's: they count `\n` alone.
    """
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(exc.lineno, f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        # Nested past what the json module reads (about 1,000 levels): far past MAX_DEPTH.
        raise SourceError(_json_too_deep_line(text), _TOO_DEEP) from None
    except ValueError:
        # An integer of more digits than int() reads (sys.get_int_max_str_digits()).
        raise _json_long_integer(text) from None
    text = text.replace("\t", " ").replace("\r", " ")
    # isascii() and `in` are fast scans; the regular expression takes about 30 ms a megabyte
    if (not text.isascii() or "\x7f" in text) and _JSON_ESCAPED.search(text) is not None:
        text = _JSON_ESCAPED.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return _load_yaml(text)


# Characters a valid JSON text holds only inside strings, which YAML would read otherwise.
_JSON_ESCAPED = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")
# The tokens of JSON text an integer's line depends on: strings (skipped), numbers, line ends.
_JSON_NUMBERS = re.compile(r'"(?:[^"\\\n]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|\n')


def _json_long_integer(text: str) -> SourceError:
    """The error of the first integer of JSON `text` that has more digits than int() reads."""
    limit = sys.get_int_max_str_digits()
    line = 1
    for match in _JSON_NUMBERS.finditer(text):
        piece = match.group()
        if piece == "\n":
            line += 1
        elif piece[0] != '"' and piece.lstrip("-").isdigit() and len(piece.lstrip("-")) > limit:
            return SourceError(
                line,
                f"invalid JSON: the integer {quoted(piece)} has more than {limit:,} digits "
                "(the most Python reads)",
            )
    return SourceError(1, f"invalid JSON: an integer has more than {limit:,} digits")

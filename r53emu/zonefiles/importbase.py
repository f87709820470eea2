"""What the modules of `r53emu import` share: the listings read, problems, YAML text.

`read_listing` recognizes what a file holds by its top-level key (`KINDS`): the JSON of
`aws route53 <command> --output json` for each command r53emu imports. `Problem` is an input that
cannot be imported, named by file and JSON path (`ResourceRecordSets[12].Type`), and `expect`
checks a value's JSON type as botocore's model has it. `scalar` and `flow` write YAML that
r53emu's reader reads back as exactly the values given: a text is quoted only where it would
otherwise be read as something else (a number, `true`, an alias, a flow indicator).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

# The top-level key of each command's output r53emu imports, and the command.
KINDS = {
    "ResourceRecordSets": "list-resource-record-sets",
    "HostedZone": "get-hosted-zone",
    "HealthChecks": "list-health-checks",
    "HealthCheck": "get-health-check",
    "CidrCollections": "list-cidr-collections",
    "CidrBlocks": "list-cidr-blocks",
    "CidrLocations": "list-cidr-locations",
}
# Outputs of Route 53 commands that are not imported, and what to give instead.
_INSTEAD = {
    "HostedZones": "list-hosted-zones output is not imported: give each zone's get-hosted-zone "
    "output (`aws route53 get-hosted-zone --id Z...`)",
}
LINE_WIDTH = 100  # a record set longer than this on one line is written in block style


@dataclass(frozen=True, slots=True)
class Problem:
    """An input that cannot be imported: the file, the JSON path in it, and why."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.path}: {self.message}"
            if self.path
            else f"{self.file}: {self.message}"
        )


class ImportFailed(Exception):
    """Raised when the inputs cannot be imported; holds every problem found, in input order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(map(str, self.problems)))


@dataclass(frozen=True)
class Listing:
    """One input file: its name, the top-level key that says which command printed it, and its
    JSON; `collection` is the `COLLECTION=` given with a CIDR listing, if any."""

    file: str
    kind: str
    document: Mapping[str, Any]
    collection: str | None = None

    @property
    def items(self) -> Any:
        return self.document[self.kind]


@dataclass(frozen=True, slots=True)
class Reference:
    """What an imported record set names in the account sections, and where: a health check
    id, or a CIDR collection id and one of its locations."""

    file: str
    path: str  # of the field (`ResourceRecordSets[3].HealthCheckId`, `...CidrRoutingConfig`)
    id: str
    location: str | None = None


_KIND_NAMES = {str: "a string", int: "a whole number", bool: "true or false"}
_KIND_NAMES |= {dict: "an object", list: "a list"}


def is_a(value: Any, kind: type) -> bool:
    """Whether a JSON value is of `kind` (true and false are not whole numbers)."""
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def shown(value: Any) -> str:
    """A JSON value as an error quotes it: short, in JSON's own spelling."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else f"{text[:60]}... ({len(text):,} characters)"


def expect(value: Any, kind: type, file: str, path: str, problems: list[Problem]) -> bool:
    """Whether `value` is of `kind`; a problem naming `path` when it is not."""
    if is_a(value, kind):
        return True
    problems.append(Problem(file, path, f"expected {_KIND_NAMES[kind]}, found {shown(value)}"))
    return False


# --- YAML text ------------------------------------------------------------------------------

# Text written without quotes: it starts with no YAML indicator and holds no character that
# means something in a flow collection (`,` `[` `]` `{` `}` `:` `#`, spaces).
_PLAIN = re.compile(r"[A-Za-z0-9_/\\][A-Za-z0-9_./\\=+-]*")
# Characters a quoted YAML scalar may hold as they are: printable, and no YAML line break
# (U+0085, U+2028, U+2029), byte order mark or surrogate.
_PRINTABLE = re.compile(
    "[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*"
)
_RESOLVERS: dict[str | None, list[tuple[str, re.Pattern[str]]]] = dict(
    yaml.SafeLoader.yaml_implicit_resolvers
)


def scalar(value: Any) -> str:
    """A JSON scalar as YAML that r53emu reads back as the same value (texts stay texts)."""
    if isinstance(value, str):
        return _text(value)
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return "null"
    return repr(value) if isinstance(value, float) else str(value)


@functools.lru_cache(maxsize=2**16)  # keys, types and many values repeat in a zone
def _text(text: str) -> str:
    if _PLAIN.fullmatch(text) and not _resolves(text):
        return text
    if _PRINTABLE.fullmatch(text):
        if '"' not in text and "\\" not in text:
            return f'"{text}"'
        return "'" + text.replace("'", "''") + "'"
    return '"' + "".join(_escaped(char) for char in text) + '"'


def _resolves(text: str) -> bool:
    """Whether YAML 1.1 (PyYAML) reads the plain `text` as anything but text: a number, a
    boolean (`yes`), null, a date. r53emu's YAML 1.2 reader reads fewer of them as non-text."""
    candidates = _RESOLVERS.get(text[:1], []) + _RESOLVERS.get(None, [])
    return any(regexp.match(text) for _, regexp in candidates)


def _escaped(char: str) -> str:
    if char in '"\\':
        return "\\" + char
    if _PRINTABLE.fullmatch(char):
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def flow(value: Any) -> str:
    """A value in YAML flow style: `{key: value, ...}`, `[a, b]` or a scalar."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    return scalar(value)


def list_item(mapping: dict[str, Any], indent: str) -> list[str]:
    """A mapping as an item of a YAML list: one flow line when it fits `LINE_WIDTH`, else one
    line per key, with a list too long for its key's line written one item per line."""
    fields = [(scalar(key), flow(value)) for key, value in mapping.items()]
    line = f"{indent}- {{" + ", ".join(f"{key}: {value}" for key, value in fields) + "}"
    if len(line) <= LINE_WIDTH:
        return [line]
    lines: list[str] = []
    prefix = f"{indent}- "
    for (key, shown_value), value in zip(fields, mapping.values(), strict=True):
        head = f"{prefix}{key}:"
        prefix = indent + "  "
        if isinstance(value, list) and len(head) + 1 + len(shown_value) > LINE_WIDTH:
            lines.append(head)
            lines.extend(f"{indent}    - {flow(item)}" for item in value)
        else:
            lines.append(f"{head} {shown_value}")
    return lines


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def read_listing(file: str, text: str, collection: str | None = None) -> Listing:
    """The listing a file's text holds; raises `ImportFailed` when it holds none."""
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ImportFailed([Problem(file, "", f"not JSON: {exc.msg} ({where})")]) from None
    except _DuplicateKey as exc:
        message = f"key {exc.args[0]!r} is given twice in one JSON object"
        raise ImportFailed([Problem(file, "", message)]) from None
    except RecursionError:  # about 1,000 levels; a listing has 5
        raise ImportFailed([Problem(file, "", "JSON nested too deeply to read")]) from None
    expected = ", ".join(KINDS)
    if not isinstance(document, dict):
        message = f"expected a JSON object with one of the keys {expected}, found {shown(document)}"
        raise ImportFailed([Problem(file, "", message)])
    kinds = [key for key in KINDS if key in document]
    problem = None
    instead = next((_INSTEAD[key] for key in _INSTEAD if key in document), None)
    if not kinds and instead is not None:
        problem = instead
    elif not kinds:
        found = ", ".join(list(document)[:8]) + (", ..." if len(document) > 8 else "")
        problem = (
            "not the output of a Route 53 command r53emu imports (its top-level keys say which: "
            f"one of {expected}; found {found or 'no keys'})"
        )
    elif len(kinds) > 1:
        problem = f"holds both {kinds[0]} and {kinds[1]}: give each command's output a file"
    elif collection is not None and kinds[0] not in ("CidrBlocks", "CidrLocations"):
        problem = f"COLLECTION=FILE is for list-cidr-blocks output; this is {KINDS[kinds[0]]}'s"
    if problem is not None:
        raise ImportFailed([Problem(file, "", problem)])
    return Listing(file, kinds[0], document, collection)

"""Loading fast changes nothing a user sees: the same values, lines and errors as before.

Zone files are read from the YAML parser's events (`sourcefile._EventReader`); a file that
reader does not cover is read again by PyYAML's composer with the line-aware constructors,
which define what every file means. The property test here generates YAML of every shape the
reader meets (flow and block, anchors and aliases, repeated keys, YAML 1.1 look-alikes, merge
keys, tags, mistakes) and asserts both ways give equal values with equal lines, or the same
error. A/AAAA values skip dnspython when the C library reads them; the table and property tests
pin that the result is dnspython's, accepted or rejected alike.
"""

from __future__ import annotations

import ipaddress
import textwrap
from pathlib import Path
from typing import Any

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from r53emu.model.catalog import Rdata
from r53emu.model.rdata import InvalidValue, parse_value
from r53emu.zonefiles import sourcefile
from r53emu.zonefiles.errors import ZoneLoadError
from r53emu.zonefiles.loader import load_catalog
from r53emu.zonefiles.sourcefile import LineDict, LineList, SourceError, SourceFloat, SourceInt

EXAMPLE = (b"example", b"com")


def load_zone_errors(tmp_path: Path, text: str) -> list[tuple[int, str, str]]:
    (tmp_path / "example.com.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ZoneLoadError) as caught:
        load_catalog(tmp_path)
    return [(e.line, e.field, e.message) for e in caught.value.errors]


def shape(value: Any) -> Any:
    """Everything a loaded value tells its readers: types, source texts, lines, repeated keys."""
    if isinstance(value, LineDict):
        return (
            "map",
            value.line,
            [(shape(key), shape(item), value.line_of(key)) for key, item in value.items()],
            [(shape(key), line, first) for key, line, first in value.duplicates],
        )
    if isinstance(value, LineList):
        return (
            "seq",
            value.line,
            [(shape(item), value.line_of(i)) for i, item in enumerate(value)],
        )
    if isinstance(value, SourceInt | SourceFloat):
        return (type(value).__name__, repr(value), value.text)
    return (type(value).__name__, repr(value))


def read_both_ways(text: str) -> tuple[Any, Any]:
    """What the event reader gives for `text`, and what PyYAML's composer gives."""

    def attempt(read: Any) -> Any:
        try:
            document, duplicates = read(text)
        except SourceError as exc:
            return ("error", exc.line, exc.message)
        except ValueError as exc:  # PyYAML cannot read `0x_`, which it takes for a number
            return ("crash", repr(exc))
        return (shape(document), duplicates)

    # Private on purpose: the point is to compare the fast way with the generic one.
    return attempt(sourcefile._load_yaml), attempt(sourcefile._load_yaml_generic)


# --- YAML: the event reader gives what PyYAML's composer gives ---------------------------------

SCALARS = [
    "www", "s1", "A", "NO", "yes", "on", "Off", "y", "true", "False", "TRUE", "tRue",
    "010", "0755", "0x1F", "0b101", "1_000", "+5", "-0", "0", "42", "1:20", "1.10", ".5", "1e3",
    "1.0e+3", ".inf", "-.Inf", ".nan", "~", "null", "Null", "2024-01-01", "=", "-", "<<",
    '"quoted"', "'010'", '"yes"', "'~'", '""', "0x_", "x y",
]  # fmt: skip
KEYS = ["name", "type", "ttl", "records", "1", "1.0", "true", "~", "NO", "010", ".nan"]


class YamlWriter:
    """Random YAML text, drawn in document order so that aliases name earlier anchors."""

    def __init__(self, data: st.DataObject) -> None:
        self.draw = data.draw
        self.anchors: list[str] = []  # every anchor given so far
        self.finished: list[str] = []  # those whose node is complete

    def chance(self, one_in: int) -> bool:
        # From a list rather than st.integers, whose draws favour the ends of their range.
        return self.draw(st.sampled_from([True] + [False] * (one_in - 1)))

    def anchor(self) -> str:
        """An anchor name for the next node, or "" (none); now and then one given twice."""
        if not self.chance(5):
            return ""
        name = self.anchors[0] if self.anchors and self.chance(200) else f"a{len(self.anchors)}"
        self.anchors.append(name)
        return name

    def alias(self) -> str | None:
        """An alias to a finished node, rarely to one still open (a recursive alias)."""
        choices = self.anchors if self.chance(20) else self.finished
        if not choices or not self.chance(6):
            return None
        return "*" + self.draw(st.sampled_from(choices))

    def anchored(self, name: str, text: str) -> str:
        if not name:
            return text
        self.finished.append(name)
        return f"&{name} {text}"

    def flow(self, depth: int) -> str:
        alias = self.alias()
        if alias is not None:
            return alias
        kind = self.draw(
            st.sampled_from(["scalar", "scalar", "map", "seq"] if depth else ["scalar"])
        )
        name = self.anchor()
        if kind == "scalar":
            return self.anchored(name, self.draw(st.sampled_from(SCALARS)))
        count = self.draw(st.integers(0, 3))
        if kind == "seq":
            items = ", ".join(self.flow(depth - 1) for _ in range(count))
            return self.anchored(name, f"[{items}]")
        pairs = ", ".join(f"{self.key()}: {self.flow(depth - 1)}" for _ in range(count))
        return self.anchored(name, f"{{{pairs}}}")

    def key(self) -> str:
        if self.chance(60):
            return "<<"  # a merge key, whose value must be a mapping or a list of them
        return self.alias() or self.draw(st.sampled_from(KEYS))

    def block(self, indent: int, depth: int) -> list[str]:
        """The lines of a block mapping or sequence at `indent` spaces."""
        pad = " " * indent
        is_sequence = depth < 3 and self.draw(st.booleans())
        lines = []
        for _ in range(self.draw(st.integers(1, 4))):
            lead = f"{pad}- " if is_sequence else f"{pad}{self.key()}: "
            if depth and self.chance(3):
                name = self.anchor()
                lines.append(f"{lead}&{name}" if name else lead.rstrip())
                lines.extend(self.block(indent + 2, depth - 1))
                self.finished.extend([name] if name else [])
            else:
                lines.append(lead + self.flow(2))
            if self.chance(150):
                lines.append(pad + self.draw(st.sampled_from(["]", "- x", "  bad: [", "\t"])))
        return lines


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    writer = YamlWriter(draw(st.data()))
    lines = writer.block(0, 3)
    if writer.chance(30):
        lines.extend(["---", "second: document"])
    if writer.chance(30):
        lines.insert(0, draw(st.sampled_from(["a: !!str 010", "b: !!int '7'", "c: !foo x"])))
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_documents())
def test_event_reader_reads_every_document_as_the_composer_does(text: str) -> None:
    """Any YAML text loads to equal values, lines and repeated keys, or fails with the same
    line and message, whether the event reader or PyYAML's composer reads it."""
    fast, generic = read_both_ways(text)
    event("fails" if generic[0] == "error" else "loads")
    assert fast == generic


@pytest.mark.parametrize(
    "text",
    [
        # merge keys: the mapping's own keys win, the first of several merged values wins
        "a: &a {x: 1, y: 2}\nb: &b {y: 3, z: 4}\nc: {<<: [*a, *b], w: 0}\nd: {x: 5, <<: *a}\n",
        "a: &a {x: 1}\nc: {<<: *a, name: x, name: y, x: 2}\n",
        "defaults: &d\n  ttl: 60\n  type: A\nrecord:\n  <<: *d\n  name: www\n  ttl: 30\n",
        # aliases of every kind, the same value object each time
        "a: &s text\nb: *s\nc: &l [1, 2]\nd: *l\ne: &m {k: v}\nf: [*m, *l, *s]\n",
        # keys that are equal values in Python, or NaN (never equal, so never repeated)
        "~: a\nnull: b\ntrue: c\n1: d\n1.0: e\n0x1: f\n.nan: g\n.nan: h\n",
        "a:\n  b: 1\n  b: 2\n  c: {d: 1, d: 2, d: 3}\na: {x: 1, x: 2}\n",
    ],
    ids=["merge-list", "merge-own-repeat", "merge-block", "aliases", "odd-keys", "repeats"],
)
def test_documents_zone_files_rely_on_read_alike(text: str) -> None:
    """Merge keys, aliases, odd keys and repeated keys read alike both ways."""
    fast, generic = read_both_ways(text)
    assert fast == generic
    assert fast[0] != "error"


UNREADABLE = {
    "list-key": ("a: 1\n? [x, y]\n: 2\n", 2, "a mapping key must be a plain value"),
    "recursive": ("a: &a [1, *a]\n", 1, "invalid YAML: found unconstructable recursive node"),
    "undefined-alias": ("a: *nowhere\n", 1, "invalid YAML: found undefined alias"),
    "two-documents": ("a: 1\n---\nb: 2\n", 2, "invalid YAML: but found another document"),
    "unknown-tag": (
        "a: !thing x\n",
        1,
        "invalid YAML: could not determine a constructor for the tag '!thing'",
    ),
    "bad-merge": (
        "c: {<<: 5}\n",
        1,
        "invalid YAML: expected a mapping or list of mappings for merging, but found scalar",
    ),
    "deep": ("a: 1\n" * 300 + "b: [1,\n", 302, "invalid YAML: did not find expected node content"),
}


@pytest.mark.parametrize(("text", "line", "message"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_unreadable_documents_keep_their_errors(text: str, line: int, message: str) -> None:
    """Documents the reader leaves to the composer fail with the line and message they did."""
    fast, generic = read_both_ways(text)
    assert fast == generic == ("error", line, message)


def test_explicit_tags_keep_their_meaning() -> None:
    """`!!str 010` stays text, `!!int '7'` is a number, `!!bool yes` YAML 1.1's true."""
    document = sourcefile._load_yaml("a: !!str 010\nb: !!int '7'\nc: !!bool yes\n")[0]
    assert dict(document) == {"a": "010", "b": 7, "c": True}
    assert document["b"].text == "7"


def test_errors_deep_in_a_large_file_name_their_line_and_field(tmp_path: Path) -> None:
    """In a file of 3,000 record sets, each error still names its own line and field."""
    sets = [
        f"  - {{name: r{i}, type: A, ttl: 60, records: [192.0.2.{i % 250 + 1}]}}\n"
        for i in range(3000)
    ]
    sets[2000] = "  - {name: bad, type: A, ttl: 60, records: [192.0.2.1, 192.0.2.300]}\n"
    sets[2500] = '  - name: twice\n    type: AAAA\n    ttl: -1\n    records: ["::1", "::1"]\n'
    errors = load_zone_errors(tmp_path, "zone: example.com\nrecord_sets:\n" + "".join(sets))
    assert [(line, field) for line, field, _ in errors] == [
        (2003, "record_sets[2000].records[1]"),
        (2505, "record_sets[2500].ttl"),
        (2506, "record_sets[2500].records[1]"),
    ]
    assert errors[0][2].startswith("'192.0.2.300' is not a valid A value: ")
    assert errors[1][2] == "-1 is not in 0..2147483647"
    assert errors[2][2] == "duplicate value '::1' in one record set"


def test_aliased_values_load_and_report_where_the_anchor_stands(tmp_path: Path) -> None:
    """A value given once with an anchor and reused by aliases loads everywhere it is used, and
    an error in it is reported at the anchor's line."""
    errors = load_zone_errors(
        tmp_path,
        """\
        zone: example.com
        record_sets:
          - {name: a, type: A, ttl: 60, records: &addresses [192.0.2.1, 192.0.2.2]}
          - {name: b, type: A, ttl: 60, records: *addresses}
          - {name: c, type: AAAA, ttl: 60, records: *addresses}
        """,
    )
    assert [(line, field) for line, field, _ in errors] == [
        (3, "record_sets[2].records[0]"),
        (3, "record_sets[2].records[1]"),
    ]


def test_the_same_values_are_shared_between_record_sets(tmp_path: Path) -> None:
    """Equal values of different record sets load as one object (the catalog stays small)."""
    (tmp_path / "example.com.yaml").write_text(
        "zone: example.com\nrecord_sets:\n"
        "  - {name: a, type: A, ttl: 60, records: [192.0.2.1]}\n"
        "  - {name: b, type: A, ttl: 60, records: [192.0.2.1]}\n",
        encoding="utf-8",
    )
    zone = load_catalog(tmp_path).zones[EXAMPLE]
    a, b = (zone.group((owner, *EXAMPLE), 1) for owner in (b"a", b"b"))
    assert a is not None
    assert b is not None
    assert a.members[0].records[0] is b.members[0].records[0]
    assert a.members[0].records[0] == Rdata(wire=bytes([192, 0, 2, 1]), text="192.0.2.1")


# --- A and AAAA values: the C library's reading is dnspython's ---------------------------------


def dnspython_reading(type_name: str, text: str) -> tuple[bytes, str] | None:
    """(wire, text) of `text` as dnspython reads it (as r53emu reads other types), or None."""
    try:
        rdata = dns.rdata.from_text(
            dns.rdataclass.IN,
            dns.rdatatype.from_text(type_name),
            text,
            origin=dns.name.root,
            relativize=False,
        )
    except (dns.exception.DNSException, ValueError):
        return None
    wire = rdata.to_wire()
    assert wire is not None
    return wire, rdata.to_text()


def r53emu_reading(type_name: str, text: str) -> tuple[bytes, str] | None:
    try:
        rdata = parse_value(type_name, text)
    except InvalidValue:
        return None
    return rdata.wire, rdata.text


ADDRESS_TEXTS = {
    "A": [
        "192.0.2.1", "0.0.0.0", "255.255.255.255", "01.2.3.4", "1.2.3.04", "1.2.3.00", "1.2.3",
        "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4;x", "1.2.3.4 ; comment",
        "(1.2.3.4)", '"1.2.3.4"', "1.2.3.-4", "+1.2.3.4", "0x1.2.3.4", "1..2.3", "\u0661.2.3.4",
        "1.2.3.4\x00", "::ffff:1.2.3.4", "",
    ],
    "AAAA": [
        "::", "::1", "1::", "2001:DB8::1", "2001:db8:0:0:0:0:0:1", "2001:0db8::0001",
        "02001:db8::1", "2001:db8::0", "::ffff:1.2.3.4", "::ffff:01.2.3.4", "::1.2.3.4",
        "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "0:0:0:0:0:ffff:102:304", "::ffff:0:0",
        "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4::5:6:7:8",
        "1:2:3:4:5:6:7:8:9", "1::2::3", ":1:2", "1:2:", "fe80::1%eth0", "fe80::1%1", "[::1]",
        " ::1", "::1 ", "1:0:0:2::3", "1:0::2:0:0:3", "192.0.2.1", "::g", "12345::", "",
        "::1\x00",
    ],
}  # fmt: skip
ADDRESSES = [(type_name, text) for type_name, texts in ADDRESS_TEXTS.items() for text in texts]


@pytest.mark.parametrize(("type_name", "text"), ADDRESSES)
def test_addresses_read_as_dnspython_reads_them(type_name: str, text: str) -> None:
    """An A/AAAA value is accepted exactly when dnspython accepts it, as the same bytes and
    the same text (leading zeros, IPv4-mapped forms, zone ids and stray characters included)."""
    assert r53emu_reading(type_name, text) == dnspython_reading(type_name, text)


def ipv6_spellings(packed: bytes) -> list[str]:
    """Ways people write one IPv6 address: full, without leading zeros, compressed at every
    run of zero groups, upper case, and with the last 32 bits as a dotted IPv4 address."""
    groups = [packed[i : i + 2].hex() for i in range(0, 16, 2)]
    short = [group.lstrip("0") or "0" for group in groups]
    spellings = [":".join(groups), ":".join(short), str(ipaddress.IPv6Address(packed)).upper()]
    for start in range(8):
        for end in range(start + 1, 9):
            if all(group == "0" for group in short[start:end]):
                spellings.append(":".join(short[:start]) + "::" + ":".join(short[end:]))
    dotted = ".".join(str(byte) for byte in packed[12:])
    spellings += [":".join(groups[:6]) + ":" + dotted, "::ffff:" + dotted, "::" + dotted]
    return spellings


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([0, 0, 0, 1, 0xFF, 0xFFFF, 0x0DB8]), min_size=8, max_size=8),
    st.binary(min_size=4, max_size=4),
)
def test_every_spelling_of_an_ipv6_address_reads_as_dnspython_reads_it(
    groups: list[int], last: bytes
) -> None:
    """However an IPv6 address is spelled, r53emu reads it as dnspython does."""
    packed = b"".join(group.to_bytes(2, "big") for group in groups[:6]) + last
    for text in ipv6_spellings(packed):
        assert r53emu_reading("AAAA", text) == dnspython_reading("AAAA", text), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789abcdefABCDEF:.%", max_size=24))
def test_any_address_like_text_reads_as_dnspython_reads_it(text: str) -> None:
    """Text made of address characters is accepted as AAAA and A exactly when dnspython
    accepts it, with the same bytes and text."""
    for type_name in ("AAAA", "A"):
        assert r53emu_reading(type_name, text) == dnspython_reading(type_name, text)

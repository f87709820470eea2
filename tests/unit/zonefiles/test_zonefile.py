"""YAML zone files load into the right record sets and wire data (zone-format.md).

Expected wire bytes are built by hand here (`name_wire`, `char_string`), independently of the
loader, so a record type parsed under the wrong type code, relative to the wrong origin or with
a mangled value cannot pass. A few behaviours are also proven through a real server.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import dns.rdatatype
import pytest

from r53emu.model.catalog import Rdata, RecordSet, Zone
from r53emu.model.dnsconstants import RECORD_TYPES
from r53emu.model.names import Name
from r53emu.zonefiles.errors import ZoneError, ZoneLoadError
from r53emu.zonefiles.loader import load_catalog
from tests.conftest import ServeZones
from tests.support.helpers import query

EXAMPLE: Name = (b"example", b"com")


def load_zone(tmp_path: Path, text: str, file: str = "example.com.yaml") -> Zone:
    """Write one zone file, load the directory, return its only zone."""
    (tmp_path / file).write_text(textwrap.dedent(text), encoding="utf-8")
    zones = list(load_catalog(tmp_path).zones.values())
    assert len(zones) == 1
    return zones[0]


def load_errors(tmp_path: Path, text: str) -> list[ZoneError]:
    """Write one zone file and return the errors loading it reports (there must be some)."""
    (tmp_path / "example.com.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ZoneLoadError) as caught:
        load_catalog(tmp_path)
    return list(caught.value.errors)


def record_set(zone: Zone, owner: Name, type_name: str) -> RecordSet:
    """The only record set of `type_name` at `owner`."""
    group = zone.group(owner, RECORD_TYPES[type_name])
    assert group is not None, f"no {type_name} at {owner!r}"
    assert len(group.members) == 1
    return group.members[0]


def values(zone: Zone, owner: Name, type_name: str) -> tuple[Rdata, ...]:
    return record_set(zone, owner, type_name).records


def name_wire(text: str) -> bytes:
    """Uncompressed wire form of a plain dotted name (absolute), built without the loader."""
    labels = [label for label in text.split(".") if label]
    return b"".join(bytes([len(label)]) + label.encode() for label in labels) + b"\x00"


def char_string(data: bytes) -> bytes:
    return bytes([len(data)]) + data


SSHFP_HEX = "123456789abcdef67890123456789abcdef67890"
TLSA_HEX = "0123456789abcdef" * 4
DS_HEX = "2bb183af5f22588179a53b0a98631fad1a292118"
NAPTR_REGEXP = b"!^.*$!sip:info@example.com!"

# (type, value as written in YAML, expected wire rdata)
TYPE_CASES = [
    ("A", "192.0.2.1", bytes([192, 0, 2, 1])),
    ("AAAA", "2001:db8::1", bytes.fromhex("20010db8000000000000000000000001")),
    ("CAA", '0 issue "amazon.com"', b"\x00" + char_string(b"issue") + b"amazon.com"),
    ("CNAME", "target.example.net", name_wire("target.example.net")),
    ("DS", f"60485 5 1 {DS_HEX.upper()}", bytes.fromhex("ec450501" + DS_HEX)),
    ("MX", "10 mail.example.com", b"\x00\x0a" + name_wire("mail.example.com")),
    (
        "NAPTR",
        f'100 10 "U" "E2U+sip" "{NAPTR_REGEXP.decode()}" .',
        b"\x00\x64\x00\x0a"
        + char_string(b"U")
        + char_string(b"E2U+sip")
        + char_string(NAPTR_REGEXP)
        + b"\x00",
    ),
    ("NS", "ns1.example.net.", name_wire("ns1.example.net")),
    ("PTR", "host.example.org", name_wire("host.example.org")),
    (
        "SOA",
        "ns.example.net. admin.example.net. 7 7200 900 1209600 86400",
        name_wire("ns.example.net")
        + name_wire("admin.example.net")
        + b"".join(n.to_bytes(4, "big") for n in (7, 7200, 900, 1209600, 86400)),
    ),
    ("SPF", '"v=spf1 -all"', char_string(b"v=spf1 -all")),
    (
        "SRV",
        "10 60 5060 sip.example.com",
        b"\x00\x0a\x00\x3c\x13\xc4" + name_wire("sip.example.com"),
    ),
    ("SSHFP", f"1 1 {SSHFP_HEX}", b"\x01\x01" + bytes.fromhex(SSHFP_HEX)),
    ("TLSA", f"3 1 1 {TLSA_HEX}", b"\x03\x01\x01" + bytes.fromhex(TLSA_HEX)),
    (
        "SVCB",
        '1 svc.example.net. alpn="h2,h3" port=8443',
        b"\x00\x01"
        + name_wire("svc.example.net")
        + b"\x00\x01\x00\x06\x02h2\x02h3"  # key 1 alpn
        + b"\x00\x03\x00\x02\x20\xfb",  # key 3 port 8443
    ),
    ("HTTPS", "1 . alpn=h2", b"\x00\x01\x00" + b"\x00\x01\x00\x03\x02h2"),
    ("TXT", '"part1" "part2"', char_string(b"part1") + char_string(b"part2")),
]


def test_type_cases_cover_every_route53_type() -> None:
    """The type table below lists every record type of zone-format.md exactly once."""
    assert sorted(case[0] for case in TYPE_CASES) == sorted(RECORD_TYPES)


@pytest.mark.parametrize(("type_name", "value", "wire"), TYPE_CASES, ids=[c[0] for c in TYPE_CASES])
def test_every_record_type_loads_with_its_wire_data(
    tmp_path: Path, type_name: str, value: str, wire: bytes
) -> None:
    """Each Route 53 record type loads from YAML into exactly the expected wire rdata."""
    owner = "@" if type_name == "SOA" else "r"
    zone = load_zone(
        tmp_path,
        f"""\
        zone: example.com
        record_sets:
          - name: "{owner}"
            type: {type_name}
            ttl: 120
            records: ['{value}']
        """,
    )
    key = EXAMPLE if type_name == "SOA" else (b"r", *EXAMPLE)
    loaded = record_set(zone, key, type_name)
    assert loaded.ttl == 120
    assert [rdata.wire for rdata in loaded.records] == [wire]


def test_every_record_type_is_answered_on_the_wire(serve_zones: ServeZones) -> None:
    """A server on a zone holding every type answers each with the value dnspython reads back.

    NS below the apex is a delegation, so its records come back in the referral's authority.
    """
    lines = [
        f"  - {{name: r{index}, type: {type_name}, records: ['{value}']}}"
        for index, (type_name, value, _) in enumerate(TYPE_CASES)
        if type_name != "SOA"
    ]
    address = serve_zones(
        {"example.com.yaml": "zone: example.com\nttl: 60\nrecord_sets:\n" + "\n".join(lines)}
    )
    for index, (type_name, _, wire) in enumerate(TYPE_CASES):
        if type_name == "SOA":
            continue
        reply = query(address, f"r{index}.example.com", type_name)
        section = reply.authority if type_name == "NS" else reply.answer
        assert len(section) == 1, type_name
        (rdata,) = section[0]
        assert rdata.rdtype == dns.rdatatype.from_text(type_name)
        assert rdata.to_digestable() == wire, type_name


def test_several_values_of_one_record_set_keep_their_order(tmp_path: Path) -> None:
    """A record set's values are loaded in file order, each as its own record."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        record_sets:
          - {name: www, type: A, ttl: 60, records: [192.0.2.3, 192.0.2.1, 192.0.2.2]}
        """,
    )
    assert [v.text for v in values(zone, (b"www", *EXAMPLE), "A")] == [
        "192.0.2.3",
        "192.0.2.1",
        "192.0.2.2",
    ]


# --- names -------------------------------------------------------------------------------------

NAME_CASES = [
    ("www", (b"www", *EXAMPLE)),
    ("a.b.c", (b"a", b"b", b"c", *EXAMPLE)),
    ("www.example.com", (b"www", *EXAMPLE)),
    ("www.example.com.", (b"www", *EXAMPLE)),
    ("WwW.ExAmple.COM.", (b"www", *EXAMPLE)),
    ("MiXeD", (b"mixed", *EXAMPLE)),
    ("@", EXAMPLE),
    ("", EXAMPLE),
    ("example.com", EXAMPLE),
    ("EXAMPLE.COM.", EXAMPLE),
    ("*.x", (b"*", b"x", *EXAMPLE)),
    ("*", (b"*", *EXAMPLE)),
    ("\\052.v", (b"*", b"v", *EXAMPLE)),
    ("\\101\\102c", (b"abc", *EXAMPLE)),
    ("a\\.b", (b"a.b", *EXAMPLE)),
    ("under_score", (b"under_score", *EXAMPLE)),
    ("com", (b"com", *EXAMPLE)),
]


@pytest.mark.parametrize(("written", "key"), NAME_CASES, ids=[c[0] or "empty" for c in NAME_CASES])
def test_record_names_resolve_as_terraform_and_route53_write_them(
    tmp_path: Path, written: str, key: Name
) -> None:
    """Relative, absolute (dot or not), apex, wildcard and escaped names land at the right owner."""
    escaped = written.replace("\\", "\\\\")
    zone = load_zone(
        tmp_path,
        f"""\
        zone: example.com
        record_sets:
          - {{name: "{escaped}", type: TXT, ttl: 60, records: [here]}}
        """,
    )
    assert values(zone, key, "TXT")[0].wire == char_string(b"here")


def test_name_written_as_yaml_null_is_the_apex(tmp_path: Path) -> None:
    """`name:` with nothing after it is the empty name, i.e. the zone apex."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        record_sets:
          - name:
            type: TXT
            ttl: 60
            records: [apex]
        """,
    )
    assert values(zone, EXAMPLE, "TXT")[0].wire == char_string(b"apex")


def test_zone_name_is_case_insensitive_with_optional_dot(tmp_path: Path) -> None:
    """`zone: Example.COM.` is the zone example.com. and its records are found under it."""
    zone = load_zone(
        tmp_path,
        """\
        zone: Example.COM.
        record_sets:
          - {name: www, type: A, ttl: 60, records: [192.0.2.1]}
        """,
    )
    assert zone.name == EXAMPLE
    assert values(zone, (b"www", *EXAMPLE), "A")[0].wire == bytes([192, 0, 2, 1])


def test_names_inside_values_are_absolute_with_or_without_dot(tmp_path: Path) -> None:
    """CNAME, MX, SRV and NS targets never get the zone appended, dot or not."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        ttl: 60
        record_sets:
          - {name: c1, type: CNAME, records: [target.other.net]}
          - {name: c2, type: CNAME, records: [target.other.net.]}
          - {name: mx, type: MX, records: ["10 mail", "20 Mail.Example.COM"]}
          - {name: _s._tcp, type: SRV, records: ["1 2 3 sip.other.net"]}
          - {name: sub, type: NS, records: [ns1.other.net]}
        """,
    )
    target = name_wire("target.other.net")
    assert values(zone, (b"c1", *EXAMPLE), "CNAME")[0].wire == target
    assert values(zone, (b"c2", *EXAMPLE), "CNAME")[0].wire == target
    mx = values(zone, (b"mx", *EXAMPLE), "MX")
    assert [v.wire for v in mx] == [
        b"\x00\x0a" + name_wire("mail"),
        b"\x00\x14" + name_wire("Mail.Example.COM"),
    ]
    assert values(zone, (b"_s", b"_tcp", *EXAMPLE), "SRV")[0].wire.endswith(
        name_wire("sip.other.net")
    )
    assert values(zone, (b"sub", *EXAMPLE), "NS")[0].wire == name_wire("ns1.other.net")


def test_alias_names_are_absolute_with_or_without_dot(tmp_path: Path) -> None:
    """An alias `name` is a full domain name, trailing dot optional, any case."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        record_sets:
          - {name: www, type: A, ttl: 60, records: [192.0.2.1]}
          - {name: a1, type: A, alias: {name: www.example.com}}
          - {name: a2, type: A, alias: {name: WWW.example.com., evaluate_target_health: true}}
        """,
    )
    first = record_set(zone, (b"a1", *EXAMPLE), "A").alias
    second = record_set(zone, (b"a2", *EXAMPLE), "A").alias
    assert first is not None
    assert second is not None
    assert first.name == second.name == (b"www", *EXAMPLE)
    assert (first.evaluate_target_health, second.evaluate_target_health) == (False, True)


def test_wildcard_written_as_octal_escape_answers_wildcard_queries(
    serve_zones: ServeZones,
) -> None:
    """A record named `\\052.apps` is the wildcard `*.apps`: any name below apps gets it."""
    address = serve_zones(
        {
            "example.com.yaml": """\
                zone: example.com
                record_sets:
                  - {name: '\\052.apps', type: A, ttl: 30, records: [192.0.2.80]}
                """
        }
    )
    reply = query(address, "anything.apps.example.com", "A")
    assert [rdata.to_text() for rdata in reply.answer[0]] == ["192.0.2.80"]


# --- numbers and YAML scalars ------------------------------------------------------------------


def test_numbers_may_be_written_as_strings(tmp_path: Path) -> None:
    """`ttl: "300"` (Terraform's style) counts like 300, for records and the zone default."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        ttl: "45"
        record_sets:
          - {name: a, type: A, ttl: "300", records: [192.0.2.1]}
          - {name: b, type: A, records: [192.0.2.2]}
        """,
    )
    assert record_set(zone, (b"a", *EXAMPLE), "A").ttl == 300
    assert record_set(zone, (b"b", *EXAMPLE), "A").ttl == 45


def test_yaml_11_booleans_and_dates_stay_text(tmp_path: Path) -> None:
    """TXT values `NO`, `yes`, `on`, `Off`, `y` and `2024-01-01` are text, not YAML 1.1 values."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        record_sets:
          - {name: t, type: TXT, ttl: 60, records: [NO, yes, on, Off, y, 2024-01-01]}
        """,
    )
    assert [v.wire for v in values(zone, (b"t", *EXAMPLE), "TXT")] == [
        char_string(b"NO"),
        char_string(b"yes"),
        char_string(b"on"),
        char_string(b"Off"),
        char_string(b"y"),
        char_string(b"2024-01-01"),
    ]


def test_numbers_used_as_text_keep_their_written_form(tmp_path: Path) -> None:
    """Names and values that YAML reads as numbers keep the text written (`010`, `1.10`, `1_0`)."""
    zone = load_zone(
        tmp_path,
        """\
        zone: 168.192.in-addr.arpa
        record_sets:
          - {name: 20.10, type: PTR, ttl: 60, records: [host.example.com]}
          - {name: 010, type: TXT, ttl: 60, records: [0755, 1.10, 1_000, 1:20]}
        """,
    )
    arpa = (b"168", b"192", b"in-addr", b"arpa")
    assert record_set(zone, (b"20", b"10", *arpa), "PTR").records[0].wire == name_wire(
        "host.example.com"
    )
    assert [v.wire for v in values(zone, (b"010", *arpa), "TXT")] == [
        char_string(b"0755"),
        char_string(b"1.10"),
        char_string(b"1_000"),
        char_string(b"1:20"),
    ]


def test_yaml_true_is_not_text(tmp_path: Path) -> None:
    """Under YAML 1.2 `true` is a boolean, so a TXT value `true` is reported, not guessed at."""
    errors = load_errors(
        tmp_path,
        """\
        zone: example.com
        record_sets:
          - {name: t, type: TXT, ttl: 60, records: [true]}
        """,
    )
    assert [(e.line, e.field) for e in errors] == [(3, "record_sets[0].records[0]")]
    assert "boolean true" in errors[0].message


# --- TXT and SPF -------------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", ["TXT", "SPF"])
@pytest.mark.parametrize(
    ("written", "strings"),
    [
        ('"part1" "part2"', [b"part1", b"part2"]),
        ('"v=spf1 -all"', [b"v=spf1 -all"]),
        ('"say \\"hi\\""', [b'say "hi"']),
        ('"back\\\\slash"', [b"back\\slash"]),
        ('"caf\\351 \\344"', [b"caf\xe9 \xe4"]),
        ('""', [b""]),
        ('"a"   "b"  ', [b"a", b"b"]),
        ("hello world", [b"hello world"]),
        ('unquoted "stays" as is', [b'unquoted "stays" as is']),
        ("grüße", ["grüße".encode()]),
    ],
    ids=[
        "two-strings",
        "one-string",
        "escaped-quote",
        "escaped-backslash",
        "octal",
        "empty",
        "spacing",
        "unquoted",
        "unquoted-with-quotes",
        "unquoted-utf8",
    ],
)
def test_txt_values_read_as_master_file_strings(
    tmp_path: Path, type_name: str, written: str, strings: list[bytes]
) -> None:
    """A value starting with `"` is quoted character-strings with escapes; otherwise one text."""
    yaml_value = written.replace("'", "''")
    zone = load_zone(
        tmp_path,
        f"""\
        zone: example.com
        record_sets:
          - {{name: t, type: {type_name}, ttl: 60, records: ['{yaml_value}']}}
        """,
    )
    assert values(zone, (b"t", *EXAMPLE), type_name)[0].wire == b"".join(map(char_string, strings))


@pytest.mark.parametrize("type_name", ["TXT", "SPF"])
def test_unquoted_text_is_split_into_255_byte_strings(tmp_path: Path, type_name: str) -> None:
    """An unquoted 600-byte text becomes strings of 255, 255 and 90 bytes, in order."""
    text = "".join(chr(ord("a") + i % 26) for i in range(600))
    zone = load_zone(
        tmp_path,
        f"""\
        zone: example.com
        record_sets:
          - {{name: t, type: {type_name}, ttl: 60, records: ['{text}']}}
        """,
    )
    raw = text.encode()
    expected = [raw[:255], raw[255:510], raw[510:]]
    assert values(zone, (b"t", *EXAMPLE), type_name)[0].wire == b"".join(map(char_string, expected))


def test_split_txt_is_seen_as_several_strings_by_dnspython(serve_zones: ServeZones) -> None:
    """Over the wire, a long unquoted TXT arrives as 255-byte strings that join to the text."""
    text = "v=DKIM1; k=rsa; p=" + "A1b2C3d4" * 80
    address = serve_zones(
        {
            "example.com.yaml": f"""\
                zone: example.com
                record_sets:
                  - {{name: dkim._domainkey, type: TXT, ttl: 60, records: ['{text}']}}
                  - {{name: two, type: TXT, ttl: 60, records: ['"part1" "part2"', single]}}
                """
        }
    )
    reply = query(address, "dkim._domainkey.example.com", "TXT", tcp=True)
    (rdata,) = reply.answer[0]
    assert [len(s) for s in rdata.strings] == [255, 255, 148]
    assert b"".join(rdata.strings) == text.encode()
    reply = query(address, "two.example.com", "TXT")
    assert sorted(tuple(rdata.strings) for rdata in reply.answer[0]) == [
        (b"part1", b"part2"),
        (b"single",),
    ]


def test_quoted_string_of_255_bytes_is_accepted(tmp_path: Path) -> None:
    """A quoted string of exactly 255 bytes is the longest Route 53 accepts."""
    zone = load_zone(
        tmp_path,
        f"""\
        zone: example.com
        record_sets:
          - {{name: t, type: TXT, ttl: 60, records: ['"{"x" * 255}"']}}
        """,
    )
    assert values(zone, (b"t", *EXAMPLE), "TXT")[0].wire == char_string(b"x" * 255)


def test_value_of_4000_characters_is_accepted(tmp_path: Path) -> None:
    """A 4,000-character TXT value (Route 53's maximum) loads as 16 strings."""
    zone = load_zone(
        tmp_path,
        f"""\
        zone: example.com
        record_sets:
          - {{name: t, type: TXT, ttl: 60, records: ['{"y" * 4000}']}}
        """,
    )
    wire = values(zone, (b"t", *EXAMPLE), "TXT")[0].wire
    assert len(wire) == 4000 + 16


@pytest.mark.parametrize("type_name", ["TXT", "SPF"])
def test_quoted_string_over_255_bytes_is_character_string_too_long(
    tmp_path: Path, type_name: str
) -> None:
    """A quoted string of 256 bytes is rejected with Route 53's CharacterStringTooLong."""
    errors = load_errors(
        tmp_path,
        f"""\
        zone: example.com
        record_sets:
          - name: t
            type: {type_name}
            ttl: 60
            records:
              - '"ok" "{"x" * 256}"'
        """,
    )
    assert [(e.line, e.field) for e in errors] == [(7, "record_sets[0].records[0]")]
    assert errors[0].message.startswith("CharacterStringTooLong (Value is too long)")


def test_multibyte_text_counts_bytes_not_characters(tmp_path: Path) -> None:
    """A quoted string of 128 two-byte characters is 256 bytes, one too many."""
    errors = load_errors(
        tmp_path,
        f"""\
        zone: example.com
        record_sets:
          - {{name: t, type: TXT, ttl: 60, records: ['"{"é" * 128}"']}}
        """,
    )
    assert "CharacterStringTooLong" in errors[0].message


@pytest.mark.parametrize("quoted", [False, True], ids=["unquoted", "quoted"])
def test_value_over_4000_characters_is_rejected(tmp_path: Path, quoted: bool) -> None:
    """A TXT value longer than 4,000 characters is a load error, quoted or not."""
    text = '"x" ' * 1000 + '"x"' if quoted else "x" * 4001
    errors = load_errors(
        tmp_path,
        f"""\
        zone: example.com
        record_sets:
          - {{name: t, type: TXT, ttl: 60, records: ['{text}']}}
        """,
    )
    assert [(e.line, e.field) for e in errors] == [(3, "record_sets[0].records[0]")]
    assert "at most 4000" in errors[0].message


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ('"not closed', "not closed"),
        ('"a" b', "expected a quoted string"),
        ('"bad escape \\400"', "not a byte"),
    ],
)
def test_malformed_quoted_txt_is_rejected(tmp_path: Path, written: str, problem: str) -> None:
    """Quoted TXT that is not well-formed master-file text is a load error saying why."""
    errors = load_errors(
        tmp_path,
        f"""\
        zone: example.com
        record_sets:
          - {{name: t, type: TXT, ttl: 60, records: ['{written}']}}
        """,
    )
    assert [(e.line, e.field) for e in errors] == [(3, "record_sets[0].records[0]")]
    assert problem in errors[0].message


# --- files -------------------------------------------------------------------------------------


def test_yaml_merge_keys_share_fields_between_record_sets(tmp_path: Path) -> None:
    """`<<: *base` copies an anchored record set's fields; the record set's own keys win."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        record_sets:
          - &web {name: www, type: A, ttl: 60, records: [192.0.2.1]}
          - {<<: *web, name: www2}
          - {<<: *web, name: www3, ttl: 30, records: [192.0.2.3]}
        """,
    )
    www2 = record_set(zone, (b"www2", *EXAMPLE), "A")
    www3 = record_set(zone, (b"www3", *EXAMPLE), "A")
    assert (www2.ttl, [v.text for v in www2.records]) == (60, ["192.0.2.1"])
    assert (www3.ttl, [v.text for v in www3.records]) == (30, ["192.0.2.3"])


def test_only_zone_files_at_the_top_of_the_directory_are_read(tmp_path: Path) -> None:
    """`*.yaml`, `*.yml` and `*.json` at the top level load; other files, subdirectories and
    empty files define nothing."""
    (tmp_path / "a.yaml").write_text("zone: example.com\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text("zone: example.org\n", encoding="utf-8")
    (tmp_path / "empty.yaml").write_text("# nothing here yet\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("zone: [not, read\n", encoding="utf-8")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "c.yaml").write_text("zone: example.net\n", encoding="utf-8")
    assert set(load_catalog(tmp_path).zones) == {EXAMPLE, (b"example", b"org")}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0x_", "invalid YAML: cannot read '0x_' as an integer"),
        ("0b_", "invalid YAML: cannot read '0b_' as an integer"),
        ("!!int abc", "invalid YAML: cannot read 'abc' as an integer"),
        ("!!float abc", "invalid YAML: cannot read 'abc' as a number"),
        ("!!bool maybe", "invalid YAML: cannot read 'maybe' as true or false"),
    ],
)
def test_scalars_yaml_cannot_read_are_errors_with_their_line(
    tmp_path: Path, value: str, message: str
) -> None:
    """A scalar PyYAML takes for a number or boolean but cannot read is a load error naming
    the file and line, not a crash."""
    (tmp_path / "bad.yaml").write_text(f"zone: bad.test\n# a comment\nttl: {value}\n")
    with pytest.raises(ZoneLoadError) as raised:
        load_catalog(tmp_path)
    assert raised.value.errors == (ZoneError(str(tmp_path / "bad.yaml"), 3, "", message),)

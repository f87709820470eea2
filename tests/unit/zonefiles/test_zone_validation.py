"""Everything Route 53 forbids in one hosted zone is a load error naming file, line and field.

Semantics §1.5-§1.6 and zone-format.md: each case writes a zone file, loads the directory with
`load_catalog`, and asserts the exact list of errors as (line, field) plus the message (Route
53's own wording where the spec quotes it). Several errors are always reported together.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from r53emu.model import apexdefaults
from r53emu.zonefiles.errors import ZoneError, ZoneLoadError
from r53emu.zonefiles.loader import load_catalog

# Every case's record sets start on line 4 of the file.
HEAD = "zone: example.com\nttl: 300\nrecord_sets:\n"
ZONE_ID = apexdefaults.zone_id("example.com.")


def load_errors(directory: Path, files: dict[str, str]) -> list[ZoneError]:
    """Write the files, load the directory and return the errors it reports (there must be some)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ZoneLoadError) as caught:
        load_catalog(directory)
    errors = list(caught.value.errors)
    assert str(caught.value) == "\n".join(str(error) for error in errors)
    return errors


def zone_errors(tmp_path: Path, records: str, head: str = HEAD) -> list[ZoneError]:
    """Errors of one zone file `example.com.yaml` made of `head` and the record-set lines."""
    errors = load_errors(tmp_path, {"example.com.yaml": head + textwrap.dedent(records)})
    assert {error.file for error in errors} == {str(tmp_path / "example.com.yaml")}
    return errors


def where(errors: list[ZoneError]) -> list[tuple[int, str]]:
    return [(error.line, error.field) for error in errors]


def a_values(count: int) -> str:
    return ", ".join(f"10.0.{i // 256}.{i % 256}" for i in range(count))


# (id, record-set lines, expected [(line, field, text the message contains)])
RECORD_SET_CASES: list[tuple[str, str, list[tuple[int, str, str]]]] = [
    (
        "ttl-too-large",
        "- {name: a, type: A, ttl: 2147483648, records: [192.0.2.1]}",
        [(4, "record_sets[0].ttl", "2147483648 is not in 0..2147483647")],
    ),
    (
        "ttl-negative",
        "- {name: a, type: A, ttl: -1, records: [192.0.2.1]}",
        [(4, "record_sets[0].ttl", "-1 is not in 0..2147483647")],
    ),
    (
        "ttl-not-a-number",
        "- {name: a, type: A, ttl: 5m, records: [192.0.2.1]}",
        [(4, "record_sets[0].ttl", "'5m' is not a whole number")],
    ),
    (
        "ttl-malformed-string",
        '- {name: a, type: A, ttl: "+-5", records: [192.0.2.1]}',
        [(4, "record_sets[0].ttl", "'+-5' is not a whole number")],
    ),
    (
        "too-many-values",
        f"- {{name: a, type: A, records: [{a_values(401)}]}}",
        [(4, "record_sets[0].records", "401 values (at most 400 per record set)")],
    ),
    (
        "no-values",
        "- {name: a, type: A, records: []}",
        [(4, "record_sets[0].records", "needs at least one value")],
    ),
    (
        "set-identifier-too-long",
        f"- {{name: a, type: A, records: [192.0.2.1], set_identifier: {'x' * 129},\n"
        "   weighted_routing_policy: {weight: 1}}",
        [(4, "record_sets[0].set_identifier", "must be 1..128 characters")],
    ),
    (
        "set-identifier-empty",
        "- {name: a, type: A, records: [192.0.2.1], set_identifier: '',\n"
        "   weighted_routing_policy: {weight: 1}}",
        [(4, "record_sets[0].set_identifier", "must be 1..128 characters")],
    ),
    (
        "set-identifier-without-policy",
        "- {name: a, type: A, records: [192.0.2.1], set_identifier: blue}",
        [(4, "record_sets[0]", "set_identifier is only used with a routing policy")],
    ),
    (
        "cname-at-apex",
        "- {name: '@', type: CNAME, records: [www.example.net]}",
        [
            (
                4,
                "record_sets[0]",
                "RRSet of type CNAME with DNS name example.com. is not permitted at apex in zone "
                "example.com.",
            )
        ],
    ),
    (
        "cname-alias-at-apex",
        """\
        - {name: www, type: CNAME, records: [www.example.net]}
        - {name: example.com., type: CNAME, alias: {name: www.example.com}}
        """,
        [(5, "record_sets[1]", "is not permitted at apex in zone example.com.")],
    ),
    (
        "cname-after-other-type",
        """\
        - {name: a, type: A, records: [192.0.2.1]}
        - {name: a, type: CNAME, records: [www.example.net]}
        """,
        [
            (
                5,
                "record_sets[1]",
                "RRSet of type CNAME with DNS name a.example.com. is not permitted as it "
                "conflicts with other records with the same DNS name in zone example.com.",
            )
        ],
    ),
    (
        "other-type-after-cname",
        """\
        - {name: a, type: CNAME, records: [www.example.net]}
        - {name: A.example.com, type: CAA, records: ['0 issue "amazon.com"']}
        """,
        [
            (
                5,
                "record_sets[1]",
                "RRSet of type CAA with DNS name a.example.com. is not permitted because a "
                "conflicting RRSet of type  CNAME with the same DNS name already exists in zone "
                "example.com.",
            )
        ],
    ),
    (
        "name-outside-zone",
        "- {name: x.other.net., type: A, records: [192.0.2.1]}",
        [
            (
                4,
                "record_sets[0].name",
                "RRSet with DNS name x.other.net. is not permitted in zone example.com.",
            )
        ],
    ),
    (
        "duplicate-record-set",
        """\
        - {name: a, type: A, records: [192.0.2.1]}
        - {name: A.Example.Com., type: A, records: [192.0.2.2]}
        """,
        [
            (
                5,
                "record_sets[1]",
                "Tried to create resource record set [name='a.example.com.', type='A'] but it "
                "already exists",
            )
        ],
    ),
    (
        "alias-with-ttl-and-records",
        """\
        - {name: a, type: A, ttl: 60, records: [192.0.2.1], alias: {name: b.example.com}}
        - {name: b, type: A, records: [192.0.2.2]}
        """,
        [
            (4, "record_sets[0].ttl", "an alias record set has no ttl or records"),
            (4, "record_sets[0].records", "an alias record set has no ttl or records"),
        ],
    ),
    (
        "neither-alias-nor-records",
        "- {name: a, type: A, ttl: 60}",
        [(4, "record_sets[0]", "expected exactly one of alias, or ttl and records")],
    ),
    (
        "alias-of-type-ns",
        """\
        - {name: a, type: NS, alias: {name: b.example.com}}
        - {name: b, type: NS, records: [ns.example.net]}
        """,
        [(4, "record_sets[0].alias", "alias record sets cannot be of type NS")],
    ),
    (
        "alias-of-type-soa",
        "- {name: '@', type: SOA, alias: {name: example.com}}",
        [(4, "record_sets[0].alias", "alias record sets cannot be of type SOA")],
    ),
    (
        "alias-without-name",
        "- {name: a, type: A, alias: {evaluate_target_health: true}}",
        [(4, "record_sets[0].alias.name", "required")],
    ),
    (
        "alias-evaluate-not-boolean",
        """\
        - {name: a, type: A, alias: {name: b.example.com, evaluate_target_health: maybe}}
        - {name: b, type: A, records: [192.0.2.2]}
        """,
        [(4, "record_sets[0].alias.evaluate_target_health", "expected true or false")],
    ),
    (
        "alias-to-missing-target",
        "- {name: a, type: A, alias: {name: nothere.example.com}}",
        [
            (
                4,
                "record_sets[0].alias",
                f"Tried to create an alias that targets nothere.example.com., type A in zone "
                f"{ZONE_ID}, but that target was not found",
            )
        ],
    ),
    (
        "alias-error-at-the-alias-line",
        """\
        - name: a
          type: A
          alias:
            name: nothere.example.com
        """,
        [(6, "record_sets[0].alias", "that target was not found")],
    ),
    (
        "alias-to-target-of-other-type",
        """\
        - {name: a, type: A, alias: {name: b.example.com}}
        - {name: b, type: AAAA, records: ["2001:db8::1"]}
        """,
        [(4, "record_sets[0].alias", "targets b.example.com., type A in zone")],
    ),
    (
        "alias-to-other-zone-id",
        """\
        - {name: a, type: A, alias: {name: b.example.com, zone_id: Z2FDTNDATAQYW2}}
        - {name: b, type: A, records: [192.0.2.2]}
        """,
        [(4, "record_sets[0].alias", "zone_id Z2FDTNDATAQYW2 is not this hosted zone")],
    ),
    (
        "alias-outside-zone",
        "- {name: a, type: A, alias: {name: www.example.net}}",
        [(4, "record_sets[0].alias", "target www.example.net. is outside zone example.com.")],
    ),
    (
        "alias-two-cycle",
        """\
        - {name: a, type: A, alias: {name: b.example.com}}
        - {name: b, type: A, alias: {name: a.example.com}}
        """,
        [
            (
                5,
                "record_sets[1].alias",
                "alias chain loops: a.example.com. A -> b.example.com. A -> a.example.com. A",
            )
        ],
    ),
    (
        "alias-self-cycle",
        "- {name: a, type: A, alias: {name: a.example.com.}}",
        [(4, "record_sets[0].alias", "alias chain loops: a.example.com. A -> a.example.com. A")],
    ),
    (
        "soa-not-at-apex",
        "- {name: a, type: SOA, records: ['ns.example.net. h.example.net. 1 2 3 4 5']}",
        [(4, "record_sets[0]", "an SOA record set is only allowed at the zone apex")],
    ),
    (
        "soa-with-two-values",
        """\
        - name: "@"
          type: SOA
          records:
            - ns.example.net. h.example.net. 1 2 3 4 5
            - ns.example.org. h.example.net. 1 2 3 4 5
        """,
        [(6, "record_sets[0].records", "a SOA record set holds exactly one value")],
    ),
    (
        "cname-with-two-values",
        "- {name: c, type: CNAME, records: [a.example.net, b.example.net]}",
        [(4, "record_sets[0].records", "a CNAME record set holds exactly one value")],
    ),
    (
        "wildcard-ns",
        "- {name: '*.sub', type: NS, records: [ns.example.net]}",
        [(4, "record_sets[0].name", "NS record sets cannot have a wildcard name")],
    ),
    (
        "partial-label-wildcard",
        """\
        - {name: 'x*.a', type: A, records: [192.0.2.1]}
        - {name: '*x', type: A, records: [192.0.2.1]}
        """,
        [
            (4, "record_sets[0].name", "a partial-label wildcard is not supported"),
            (5, "record_sets[1].name", "a partial-label wildcard is not supported"),
        ],
    ),
    (
        "label-over-63",
        f"- {{name: {'x' * 64}, type: A, records: [192.0.2.1]}}",
        [(4, "record_sets[0].name", "has a label of 64 bytes (at most 63)")],
    ),
    (
        "name-over-255",
        f"- {{name: {'.'.join(['x' * 60] * 4)}, type: A, records: [192.0.2.1]}}",
        [(4, "record_sets[0].name", "is 257 bytes on the wire (at most 255)")],
    ),
    (
        "name-with-space",
        "- {name: 'a b', type: A, records: [192.0.2.1]}",
        [(4, "record_sets[0].name", "must be written as the escape \\040")],
    ),
    (
        "name-not-ascii",
        "- {name: bücher, type: A, records: [192.0.2.1]}",
        [(4, "record_sets[0].name", "punycode")],
    ),
    (
        "name-empty-label",
        "- {name: a..b, type: A, records: [192.0.2.1]}",
        [(4, "record_sets[0].name", "has an empty label")],
    ),
    (
        "name-missing",
        "- {type: A, records: [192.0.2.1]}",
        [(4, "record_sets[0].name", "required")],
    ),
    (
        "type-missing",
        "- {name: a, records: [192.0.2.1]}",
        [(4, "record_sets[0].type", "required")],
    ),
    (
        "type-unknown",
        "- {name: a, type: ALIAS, records: [192.0.2.1]}",
        [(4, "record_sets[0].type", "'ALIAS' is not a Route 53 record type")],
    ),
    (
        "record-set-typo",
        "- {name: a, type: A, tll: 60, records: [192.0.2.1]}",
        [(4, "record_sets[0].tll", "unknown field (expected one of: name, type, ttl, records")],
    ),
    (
        "alias-typo",
        """\
        - {name: a, type: A, alias: {name: b.example.com, evaluate_target_healt: true}}
        - {name: b, type: A, records: [192.0.2.2]}
        """,
        [(4, "record_sets[0].alias.evaluate_target_healt", "unknown field")],
    ),
    (
        "record-set-not-a-mapping",
        "- just text",
        [(4, "record_sets[0]", "expected a mapping, found the text 'just text'")],
    ),
    (
        "value-not-text",
        "- {name: a, type: TXT, records: [{x: 1}]}",
        [(4, "record_sets[0].records[0]", "expected text, found a mapping")],
    ),
    (
        "duplicate-values",
        """\
        - name: a
          type: AAAA
          records: ["2001:db8::1", "2001:DB8:0::1"]
        - name: t
          type: TXT
          records: ['"same"', same]
        """,
        [
            (6, "record_sets[0].records[1]", "duplicate value '2001:DB8:0::1'"),
            (9, "record_sets[1].records[1]", "duplicate value 'same'"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("records", "expected"),
    [case[1:] for case in RECORD_SET_CASES],
    ids=[case[0] for case in RECORD_SET_CASES],
)
def test_forbidden_record_set_is_a_load_error(
    tmp_path: Path, records: str, expected: list[tuple[int, str, str]]
) -> None:
    """The record sets are rejected with exactly these errors, each at its line and field."""
    errors = zone_errors(tmp_path, textwrap.indent(textwrap.dedent(records), "  "))
    assert where(errors) == [(line, field) for line, field, _ in expected]
    for error, (_, _, text) in zip(errors, expected, strict=True):
        assert text in error.message


# (type, a value Route 53 would reject)
BAD_VALUES = [
    ("A", "192.0.2.256"),
    ("A", "192.0.2.01"),
    ("AAAA", "192.0.2.1"),
    ("CAA", "0 issue amazon.com"),
    ("CAA", '0 is-sue "amazon.com"'),
    ("CNAME", "a.example.net b.example.net"),
    ("DS", "60485 5 1 NOTHEX"),
    ("MX", "mail.example.com"),
    ("MX", "65536 mail.example.com"),
    ("NAPTR", '100 10 "U" "E2U+sip"'),
    ("NS", "ns..example.net"),
    ("PTR", "host..example.com"),
    ("SOA", "ns.example.net. h.example.net. 1 2 3"),
    ("SRV", "10 60 sip.example.com"),
    ("SSHFP", "1 1 XYZ"),
    ("TLSA", "3 1 1 NOTHEX"),
    ("SVCB", "1 svc.example.net. nonsense-key=1"),
    ("HTTPS", "x . alpn=h2"),
]


@pytest.mark.parametrize(
    ("type_name", "value"), BAD_VALUES, ids=[f"{t}:{v}" for t, v in BAD_VALUES]
)
def test_value_with_wrong_syntax_for_its_type_is_rejected(
    tmp_path: Path, type_name: str, value: str
) -> None:
    """A value that is not valid presentation format for its type is an error at that value."""
    owner = "'@'" if type_name == "SOA" else "r"
    errors = zone_errors(
        tmp_path,
        f"""\
          - name: {owner}
            type: {type_name}
            records:
              - '{value}'
        """,
    )
    assert where(errors) == [(7, "record_sets[0].records[0]")]
    assert type_name in errors[0].message


def test_error_text_is_file_line_field_message(tmp_path: Path) -> None:
    """Errors print as `file:line: field: message`, the shape editors and CI can jump to."""
    errors = zone_errors(
        tmp_path,
        """\
          - {name: www, type: A, ttl: 60, records: [192.0.2.1]}
          - {name: api, type: A, ttl: 2147483648, records: [192.0.2.1]}
          - {name: www, type: CNAME, ttl: 60, records: [other.example.net]}
        """,
    )
    file = tmp_path / "example.com.yaml"
    assert [str(error) for error in errors] == [
        f"{file}:5: record_sets[1].ttl: 2147483648 is not in 0..2147483647",
        f"{file}:6: record_sets[2]: RRSet of type CNAME with DNS name www.example.com. is not "
        "permitted as it conflicts with other records with the same DNS name in zone "
        "example.com.",
    ]


# (id, whole file, expected [(line, field, text the message contains)])
ZONE_LEVEL_CASES: list[tuple[str, str, list[tuple[int, str, str]]]] = [
    ("zone-is-tld", "zone: com\n", [(1, "zone", "cannot host a zone for a top-level domain")]),
    ("zone-is-root", "zone: .\n", [(1, "zone", "cannot host a zone for a top-level domain")]),
    (
        "zone-starts-with-star",
        "zone: '*.example.com'\n",
        [(1, "zone", "`*` cannot be the leftmost label of a zone name")],
    ),
    (
        "zone-label-too-long",
        f"zone: {'z' * 64}.com\n",
        [(1, "zone", "has a label of 64 bytes")],
    ),
    ("zone-missing", "ttl: 60\n", [(1, "zone", "required")]),
    (
        "zone-typo",
        "zone: example.com\nnameserver: [ns1.example.net]\n",
        [(2, "nameserver", "unknown field (expected one of: zone, id,")],
    ),
    (
        "soa-typo",
        "zone: example.com\nsoa:\n  rname: h.example.com\n  serail: 5\n",
        [(4, "soa.serail", "unknown field")],
    ),
    (
        "soa-field-out-of-range",
        "zone: example.com\nsoa: {refresh: 4294967296}\n",
        [(2, "soa.refresh", "is not in 0..4294967295")],
    ),
    (
        "id-not-an-id",
        "zone: example.com\nid: /hostedzone/Z123\n",
        [(2, "id", "is not a hosted zone id")],
    ),
    ("zone-ttl-invalid", "zone: example.com\nttl: -5\n", [(2, "ttl", "-5 is not in")]),
    (
        "ttl-missing-without-zone-default",
        "zone: example.com\nrecord_sets:\n  - {name: a, type: A, records: [192.0.2.1]}\n",
        [(3, "record_sets[0].ttl", "required (or give the zone a default `ttl:`)")],
    ),
    ("nameservers-empty", "zone: example.com\nnameservers: []\n", [(2, "nameservers", "at least")]),
    (
        "nameserver-invalid",
        "zone: example.com\nnameservers:\n  - ns1.example.net\n  - 'bad name'\n",
        [(4, "nameservers[1]", "must be written as the escape")],
    ),
    (
        "record-sets-not-a-list",
        "zone: example.com\nrecord_sets: {name: a}\n",
        [(2, "record_sets", "expected a list, found a mapping")],
    ),
    ("not-a-mapping", "- zone: example.com\n", [(1, "", "expected a mapping, found a list")]),
    (
        "soa-given-twice",
        "zone: example.com\nsoa: {serial: 2}\nrecord_sets:\n"
        "  - {name: '@', type: SOA, ttl: 60,\n"
        "     records: ['ns.example.net. h.example.net. 1 2 3 4 5']}\n",
        [(4, "record_sets[0]", "the apex SOA is given twice: here and at line 2 (soa)")],
    ),
    (
        "ns-given-twice",
        "zone: example.com\nnameservers: [ns1.example.net]\nrecord_sets:\n"
        "  - {name: '@', type: NS, ttl: 60, records: [ns2.example.net]}\n",
        [(4, "record_sets[0]", "the apex NS is given twice: here and at line 2 (nameservers)")],
    ),
    (
        "record-limit",
        "zone: example.com\nrecord_limit: 3\nttl: 60\nrecord_sets:\n"
        "  - {name: a, type: A, records: [192.0.2.1]}\n"
        "  - {name: b, type: A, records: [192.0.2.1]}\n",
        [(1, "record_sets", "4 record sets; a hosted zone holds at most 3")],
    ),
    (
        "record-limit-invalid",
        "zone: example.com\nrecord_limit: none\n",
        [(2, "record_limit", "is not a whole number")],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [case[1:] for case in ZONE_LEVEL_CASES],
    ids=[case[0] for case in ZONE_LEVEL_CASES],
)
def test_forbidden_zone_setting_is_a_load_error(
    tmp_path: Path, text: str, expected: list[tuple[int, str, str]]
) -> None:
    """The zone-level mistake is reported with exactly these errors, at its line and field."""
    errors = load_errors(tmp_path, {"example.com.yaml": text})
    assert where(errors) == [(line, field) for line, field, _ in expected]
    for error, (_, _, text_part) in zip(errors, expected, strict=True):
        assert text_part in error.message


def test_default_record_quota_is_10000(tmp_path: Path) -> None:
    """Without `record_limit:` a zone holds 10,000 record sets (SOA and NS included), not more."""
    lines = "".join(f"  - {{name: r{i}, type: A, records: [192.0.2.1]}}\n" for i in range(9998))
    (tmp_path / "fits").mkdir()
    (tmp_path / "fits" / "example.com.yaml").write_text(HEAD + lines, encoding="utf-8")
    zone = load_catalog(tmp_path / "fits").zones[(b"example", b"com")]
    assert zone.record_set_count == 10_000
    extra = "  - {name: one-more, type: A, records: [192.0.2.1]}\n"
    errors = load_errors(tmp_path / "over", {"example.com.yaml": HEAD + lines + extra})
    assert where(errors) == [(1, "record_sets")]
    assert "10001 record sets; a hosted zone holds at most 10000" in errors[0].message


def test_record_limit_raises_the_quota(tmp_path: Path) -> None:
    """`record_limit:` lets a zone hold more than 10,000 record sets, as a raised AWS quota."""
    lines = "".join(f"  - {{name: r{i}, type: A, records: [192.0.2.1]}}\n" for i in range(10_000))
    (tmp_path / "example.com.yaml").write_text(
        "zone: example.com\nrecord_limit: 20000\nttl: 300\nrecord_sets:\n" + lines,
        encoding="utf-8",
    )
    assert load_catalog(tmp_path).zones[(b"example", b"com")].record_set_count == 10_002


def test_largest_ttl_and_400_values_are_accepted(tmp_path: Path) -> None:
    """TTL 2147483647 and 400 values are Route 53's maximums, so they load."""
    (tmp_path / "example.com.yaml").write_text(
        HEAD + f"  - {{name: a, type: A, ttl: 2147483647, records: [{a_values(400)}]}}\n",
        encoding="utf-8",
    )
    zone = load_catalog(tmp_path).zones[(b"example", b"com")]
    group = zone.group((b"a", b"example", b"com"), 1)
    assert group is not None
    assert group.members[0].ttl == 2147483647
    assert len(group.members[0].records) == 400


def test_alias_naming_its_own_zone_id_is_accepted(tmp_path: Path) -> None:
    """An alias whose zone_id is its own zone's id (given or derived) is an in-zone alias."""
    (tmp_path / "example.com.yaml").write_text(
        "zone: example.com\nid: Z0OWN\nrecord_sets:\n"
        "  - {name: b, type: A, ttl: 60, records: [192.0.2.2]}\n"
        "  - {name: a, type: A, alias: {name: b.example.com, zone_id: Z0OWN}}\n",
        encoding="utf-8",
    )
    zone = load_catalog(tmp_path).zones[(b"example", b"com")]
    assert zone.group((b"a", b"example", b"com"), 1) is not None


def test_duplicate_yaml_keys_are_all_reported(tmp_path: Path) -> None:
    """Each key given twice in one mapping is an error at the repeat, naming its field."""
    errors = load_errors(
        tmp_path,
        {
            "example.com.yaml": """\
                zone: example.com
                ttl: 60
                record_sets:
                  - name: a
                    type: A
                    type: AAAA
                    records: [192.0.2.1]
                  - {name: b, type: A, records: [192.0.2.1], name: c}
                ttl: 300
                """
        },
    )
    assert [(e.line, e.field, e.message) for e in errors] == [
        (6, "record_sets[0].type", "duplicate key (first given at line 5)"),
        (8, "record_sets[1].name", "duplicate key (first given at line 8)"),
        (9, "ttl", "duplicate key (first given at line 2)"),
    ]


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    """A file that is not YAML is one error at the line where parsing failed."""
    errors = load_errors(
        tmp_path,
        {
            "example.com.yaml": """\
                zone: example.com
                record_sets:
                  - {name: a, type: A, records: [192.0.2.1]
                  - {name: b}
                """
        },
    )
    assert where(errors) == [(4, "")]
    assert errors[0].message.startswith("invalid YAML")


def test_duplicate_zone_across_files(tmp_path: Path) -> None:
    """The same hosted zone in two files is an error at the second, naming the first."""
    errors = load_errors(
        tmp_path,
        {
            "a.yaml": "zone: example.com\n",
            "b.yml": "# the same zone, written differently\nzone: EXAMPLE.com.\n",
        },
    )
    assert [(e.file, e.line, e.field) for e in errors] == [(str(tmp_path / "b.yml"), 2, "zone")]
    assert errors[0].message == (
        f"hosted zone example.com. is already defined at {tmp_path / 'a.yaml'}:1"
    )


def test_all_errors_of_a_directory_are_reported_at_once(tmp_path: Path) -> None:
    """Per-record, whole-zone and cross-file errors of several files come back together,
    file by file and in line order within each file."""
    errors = load_errors(
        tmp_path,
        {
            "a.yaml": """\
                zone: example.com
                ttl: -1
                record_sets:
                  - {name: loop1, type: A, alias: {name: loop2.example.com}}
                  - {name: loop2, type: A, alias: {name: loop1.example.com}}
                  - {name: www, type: A, ttl: 60, records: [192.0.2.1]}
                  - {name: www, type: A, ttl: 60, records: [192.0.2.2]}
                  - {name: bad, type: A, ttl: 60, records: [not-an-address]}
                  - {name: www, type: CNAME, ttl: 60, records: [example.net]}
                  - {name: typo, type: A, tll: 60, records: [192.0.2.3]}
                """,
            "b.yaml": """\
                zone: example.org
                record_sets:
                  - {name: "@", type: CNAME, ttl: 60, records: [example.net]}
                  - {name: gone, type: A, alias: {name: missing.example.org}}
                """,
            "c.yaml": "zone: example.com.\nrecord_sets:\n  - {name: x, type: TXT}\n",
            "example.net.json": '{"ResourceRecordSets": [\n'
            '  {"Name": "www.example.net.", "Type": "A", "TTL": "soon",\n'
            '   "ResourceRecords": [{"Value": "192.0.2.1"}]}\n]}\n',
            "e.yaml": "zone: [unclosed\n",  # read before example.net.json (name order)
        },
    )
    a, b, c, d, e = (
        str(tmp_path / name)
        for name in ("a.yaml", "b.yaml", "c.yaml", "example.net.json", "e.yaml")
    )
    assert [(error.file, error.line, error.field) for error in errors] == [
        (a, 2, "ttl"),
        (a, 5, "record_sets[1].alias"),
        (a, 7, "record_sets[3]"),
        (a, 8, "record_sets[4].records[0]"),
        (a, 9, "record_sets[5]"),
        (a, 10, "record_sets[6].tll"),
        (b, 3, "record_sets[0]"),
        (b, 4, "record_sets[1].alias"),
        (c, 1, "zone"),
        (c, 3, "record_sets[0]"),
        (e, 2, ""),
        (d, 2, "ResourceRecordSets[0].TTL"),
    ]
    messages = [error.message for error in errors]
    assert "alias chain loops" in messages[1]
    assert "but it already exists" in messages[2]
    assert "conflicts with other records" in messages[4]
    assert "not permitted at apex" in messages[6]
    assert "that target was not found" in messages[7]
    assert "is already defined at" in messages[8]

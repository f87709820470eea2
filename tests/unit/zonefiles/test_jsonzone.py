"""`*.json` files holding `aws route53 list-resource-record-sets` output are hosted zones.

The shape is semantics §7.2 (Name/Type/TTL/ResourceRecords[{Value}]/AliasTarget/SetIdentifier);
the zone name comes from the apex SOA (or NS), else the file name; errors name the JSON fields
(`ResourceRecordSets[2].TTL`) and lines.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import dns.rcode
import pytest

from r53emu.model import apexdefaults
from r53emu.model.catalog import Zone
from r53emu.model.dnsconstants import RECORD_TYPES
from r53emu.zonefiles.errors import ZoneError, ZoneLoadError
from r53emu.zonefiles.loader import load_catalog
from tests.conftest import ServeZones
from tests.support.helpers import query, rrset_texts

EXAMPLE = (b"example", b"com")

# A dump as the AWS CLI prints it (keys in model order, wildcard escaped as \052, in-zone
# aliases naming the dumped zone's own id).
DUMP = r"""{
    "ResourceRecordSets": [
        {
            "Name": "example.com.",
            "Type": "A",
            "AliasTarget": {
                "HostedZoneId": "Z0DUMPED123",
                "DNSName": "www.example.com.",
                "EvaluateTargetHealth": false
            }
        },
        {
            "Name": "example.com.",
            "Type": "NS",
            "TTL": 172800,
            "ResourceRecords": [
                {"Value": "ns-495.awsdns-61.com."},
                {"Value": "ns-789.awsdns-34.net."},
                {"Value": "ns-1311.awsdns-35.org."},
                {"Value": "ns-2010.awsdns-59.co.uk."}
            ]
        },
        {
            "Name": "example.com.",
            "Type": "SOA",
            "TTL": 900,
            "ResourceRecords": [
                {"Value":
                 "ns-495.awsdns-61.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}
            ]
        },
        {
            "Name": "example.com.",
            "Type": "TXT",
            "TTL": 300,
            "ResourceRecords": [{"Value": "\"v=spf1 -all\""}, {"Value": "\"part1\" \"part2\""}]
        },
        {
            "Name": "\\052.example.com.",
            "Type": "CNAME",
            "TTL": 300,
            "ResourceRecords": [{"Value": "example.com"}]
        },
        {
            "Name": "shop.example.com.",
            "Type": "A",
            "AliasTarget": {
                "HostedZoneId": "Z0DUMPED123",
                "DNSName": "www.example.com",
                "EvaluateTargetHealth": true
            }
        },
        {
            "Name": "www.example.com.",
            "Type": "A",
            "TTL": 60,
            "ResourceRecords": [{"Value": "192.0.2.10"}, {"Value": "192.0.2.11"}]
        }
    ]
}
"""


def load_zone(directory: Path, files: dict[str, str]) -> Zone:
    """Write the files, load the directory and return its only zone."""
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    zones = list(load_catalog(directory).zones.values())
    assert len(zones) == 1
    return zones[0]


def load_errors(directory: Path, files: dict[str, str]) -> list[ZoneError]:
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    with pytest.raises(ZoneLoadError) as caught:
        load_catalog(directory)
    return list(caught.value.errors)


def dump(*record_sets: dict[str, object]) -> str:
    """A dump with one record set per line (line 2 is the first), as indent-free JSON."""
    body = ",\n".join(json.dumps(record_set) for record_set in record_sets)
    return '{"ResourceRecordSets": [\n' + body + "\n]}\n"


def texts(zone: Zone, owner: tuple[bytes, ...], type_name: str) -> list[str]:
    group = zone.group(owner, RECORD_TYPES[type_name])
    assert group is not None
    return [value.text for member in group.members for value in member.records]


def test_cli_dump_loads_as_its_zone(tmp_path: Path) -> None:
    """A real-shaped dump loads with its own SOA and NS, its wildcard and its aliases."""
    zone = load_zone(tmp_path, {"dump.json": DUMP})
    assert zone.name == EXAMPLE
    assert zone.record_set_count == 7  # exactly the dump's record sets: no defaults added
    assert texts(zone, EXAMPLE, "NS") == [
        "ns-495.awsdns-61.com.",
        "ns-789.awsdns-34.net.",
        "ns-1311.awsdns-35.org.",
        "ns-2010.awsdns-59.co.uk.",
    ]
    assert texts(zone, EXAMPLE, "SOA") == [
        "ns-495.awsdns-61.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
    ]
    assert texts(zone, (b"*", *EXAMPLE), "CNAME") == ["example.com."]
    assert texts(zone, EXAMPLE, "TXT") == ['"v=spf1 -all"', '"part1" "part2"']
    shop = zone.group((b"shop", *EXAMPLE), RECORD_TYPES["A"])
    assert shop is not None
    alias = shop.members[0].alias
    assert alias is not None
    assert (alias.name, alias.evaluate_target_health) == ((b"www", *EXAMPLE), True)


def test_in_zone_alias_ids_give_the_zone_its_id(tmp_path: Path) -> None:
    """The dumped zone's id is the HostedZoneId its in-zone aliases name."""
    assert load_zone(tmp_path, {"dump.json": DUMP}).zone_id == "Z0DUMPED123"


def test_dump_without_aliases_gets_a_derived_id(tmp_path: Path) -> None:
    """With no alias naming it, the zone id is derived from the name as for YAML zones."""
    text = dump(
        {
            "Name": "a.example.org.",
            "Type": "A",
            "TTL": 1,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
        }
    )
    zone = load_zone(tmp_path, {"example.org.json": text})
    assert zone.zone_id == apexdefaults.zone_id("example.org.")


def test_dump_is_served(serve_zones: ServeZones) -> None:
    """On the wire the dump answers its wildcard, its apex alias and its own SOA in NXDOMAIN."""
    address = serve_zones({"dump.json": DUMP})
    reply = query(address, "anything.example.com", "CNAME")
    assert rrset_texts(reply.answer) == {"anything.example.com. 300 IN CNAME example.com."}
    reply = query(address, "example.com", "A")
    assert rrset_texts(reply.answer) == {
        "example.com. 60 IN A 192.0.2.10",
        "example.com. 60 IN A 192.0.2.11",
    }
    reply = query(address, "deep.missing.www.example.com", "A")
    assert reply.rcode() == dns.rcode.NXDOMAIN
    assert rrset_texts(reply.authority) == {
        "example.com. 900 IN SOA ns-495.awsdns-61.com. awsdns-hostmaster.amazon.com. "
        "1 7200 900 1209600 86400"
    }


def test_zone_name_comes_from_the_file_name_without_soa_or_ns(tmp_path: Path) -> None:
    """`example.org.json` without SOA/NS is zone example.org with the default SOA and NS."""
    text = dump(
        {
            "Name": "www.example.org.",
            "Type": "A",
            "TTL": 60,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
        }
    )
    zone = load_zone(tmp_path, {"example.org.json": text})
    assert zone.name == (b"example", b"org")
    assert texts(zone, zone.name, "NS") == list(apexdefaults.nameservers("example.org."))
    assert zone.record_set_count == 3


def test_zone_name_comes_from_the_apex_ns_without_soa(tmp_path: Path) -> None:
    """Without an SOA the highest NS names the zone; a delegation NS below it does not."""
    text = dump(
        {
            "Name": "sub.example.net.",
            "Type": "NS",
            "TTL": 60,
            "ResourceRecords": [{"Value": "ns.sub.example.net."}],
        },
        {
            "Name": "example.net.",
            "Type": "NS",
            "TTL": 60,
            "ResourceRecords": [{"Value": "ns1.example.org."}],
        },
    )
    zone = load_zone(tmp_path, {"records.json": text})
    assert zone.name == (b"example", b"net")
    assert zone.cuts == frozenset({(b"sub", b"example", b"net")})
    # The default SOA names the zone's own (given) name server.
    assert texts(zone, zone.name, "SOA")[0].startswith("ns1.example.org. ")


def test_aliases_of_old_api_dumps_with_empty_records_load(tmp_path: Path) -> None:
    """Older API versions listed aliases with `"ResourceRecords": []`; such dumps still load."""
    text = dump(
        {
            "Name": "a.example.com.",
            "Type": "A",
            "TTL": 60,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
        },
        {
            "Name": "b.example.com.",
            "Type": "A",
            "ResourceRecords": [],
            "AliasTarget": {
                "HostedZoneId": "Z1",
                "DNSName": "a.example.com.",
                "EvaluateTargetHealth": False,
            },
        },
    )
    zone = load_zone(tmp_path, {"example.com.json": text})
    assert zone.group((b"b", *EXAMPLE), RECORD_TYPES["A"]) is not None


def test_file_name_that_is_no_zone_name_is_reported(tmp_path: Path) -> None:
    """Without SOA/NS and with a file name like `dump.json`, the error says how to name it."""
    text = dump(
        {
            "Name": "www.example.org.",
            "Type": "A",
            "TTL": 60,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
        }
    )
    errors = load_errors(tmp_path, {"dump.json": text})
    assert [(e.line, e.field) for e in errors] == [(1, "ResourceRecordSets")]
    assert "name the file after its zone, e.g. example.com.json" in errors[0].message


def test_errors_name_json_fields_and_lines(tmp_path: Path) -> None:
    """Every problem of a dump is reported at once, under the JSON field names and lines."""
    text = dump(
        {
            "Name": "a.example.com.",
            "Type": "A",
            "TTL": 2147483648,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
        },
        {
            "Name": "b.example.com.",
            "Type": "A",
            "TTL": 60,
            "ResourceRecords": ["192.0.2.1", {"Value": "192.0.2.999"}],
        },
        {
            "Name": "c.example.com.",
            "Type": "A",
            "TTL": 60,
            "Weight": 5,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
        },
        {
            "Name": "d.example.com.",
            "Type": "A",
            "AliasTarget": {
                "HostedZoneId": "Z1",
                "DNSName": "nothere.example.com.",
                "EvaluateTargetHealth": False,
            },
        },
        {
            "Name": "e.example.com.",
            "Type": "A",
            "TTL": 60,
            "AliasTarget": {
                "HostedZoneId": "Z1",
                "DNSName": "a.example.com.",
                "EvaluateTargetHealth": "perhaps",
            },
        },
        {
            "Name": "x.other.net.",
            "Type": "TXT",
            "TTL": 60,
            "ResourceRecords": [{"Value": '"' + "x" * 256 + '"'}],
        },
        {
            "Name": "f.example.com.",
            "Type": "A",
            "SetIdentifier": "one",
            "TTL": 60,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
        },
        {"Name": "g.example.com.", "Type": "A", "ResourceRecords": [{"Value": "192.0.2.1"}]},
        {
            "Name": "example.com.",
            "Type": "SOA",
            "TTL": 900,
            "ResourceRecords": [{"Value": "ns.example.net. h.example.net. 1 2 3 4 5"}],
        },
    )
    errors = load_errors(tmp_path, {"example.com.json": text})
    file = str(tmp_path / "example.com.json")
    assert {e.file for e in errors} == {file}
    assert [(e.line, e.field) for e in errors] == [
        (2, "ResourceRecordSets[0].TTL"),
        (3, "ResourceRecordSets[1].ResourceRecords[0]"),
        (3, "ResourceRecordSets[1].ResourceRecords[1]"),
        (4, "ResourceRecordSets[2].SetIdentifier"),
        (5, "ResourceRecordSets[3].AliasTarget"),
        (6, "ResourceRecordSets[4].TTL"),
        (6, "ResourceRecordSets[4].AliasTarget.EvaluateTargetHealth"),
        (7, "ResourceRecordSets[5].Name"),
        (7, "ResourceRecordSets[5].ResourceRecords[0]"),
        (8, "ResourceRecordSets[6]"),
        (9, "ResourceRecordSets[7].TTL"),
    ]
    messages = [e.message for e in errors]
    assert messages[1] == 'expected {"Value": "..."}'
    assert "192.0.2.999" in messages[2]
    assert messages[3] == "required with Weight"
    assert "that target was not found" in messages[4]
    assert messages[7] == "RRSet with DNS name x.other.net. is not permitted in zone example.com."
    assert "CharacterStringTooLong" in messages[8]
    assert "only used with a routing policy" in messages[9]
    assert messages[10].startswith("required")
    assert str(errors[0]) == (
        f"{file}:2: ResourceRecordSets[0].TTL: 2147483648 is not in 0..2147483647"
    )


def test_duplicate_json_keys_are_reported(tmp_path: Path) -> None:
    """A key given twice in a JSON object (which json.loads would silently accept) is an error."""
    text = (
        '{"ResourceRecordSets": [\n'
        '{"Name": "a.example.com.", "Type": "A", "TTL": 1,\n'
        ' "TTL": 2, "ResourceRecords": [{"Value": "192.0.2.1"}]}\n'
        "]}\n"
    )
    errors = load_errors(tmp_path, {"example.com.json": text})
    assert [(e.line, e.field, e.message) for e in errors] == [
        (3, "ResourceRecordSets[0].TTL", "duplicate key (first given at line 2)")
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{"ResourceRecordSets": [\n  {"Name": "a.example.com.",}\n]}', 2, "invalid JSON"),
        (
            '{"HostedZones": []}',
            1,
            "expected the output of `aws route53 list-resource-record-sets`",
        ),
        ('{"ResourceRecordSets": {"Name": "x"}}', 1, "expected a list of record sets"),
        ("[1, 2]", 1, "expected a mapping, found a list"),
    ],
    ids=["syntax", "other-output", "not-a-list", "not-an-object"],
)
def test_json_that_is_not_a_dump_is_reported(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    """JSON that is malformed or not list-resource-record-sets output is one clear error."""
    errors = load_errors(tmp_path, {"example.com.json": text})
    assert [e.line for e in errors] == [line]
    assert message in errors[0].message


def test_json_and_yaml_zones_load_side_by_side(tmp_path: Path) -> None:
    """A directory mixes YAML zones and JSON dumps; a zone defined in both is an error."""
    (tmp_path / "example.org.yaml").write_text("zone: example.org\n", encoding="utf-8")
    (tmp_path / "dump.json").write_text(DUMP, encoding="utf-8")
    assert set(load_catalog(tmp_path).zones) == {EXAMPLE, (b"example", b"org")}
    (tmp_path / "example.yaml").write_text("zone: example.com\n", encoding="utf-8")
    with pytest.raises(ZoneLoadError) as caught:
        load_catalog(tmp_path)
    assert [(e.file, e.field) for e in caught.value.errors] == [
        (str(tmp_path / "example.yaml"), "zone")
    ]
    assert f"already defined at {tmp_path / 'dump.json'}:2" in caught.value.errors[0].message

"""What every hosted zone gets unless its file says otherwise (semantics §1.1, zone-format.md).

The default SOA and the four awsdns-style NS names, the zone id, the zone-level `ttl`, and the
`soa:` / `nameservers:` overrides or apex SOA/NS record sets given instead.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import dns.rcode
import dns.rdatatype
import pytest

from r53emu.model import apexdefaults
from r53emu.model.catalog import RecordSet, Zone
from r53emu.model.dnsconstants import RECORD_TYPES
from r53emu.model.names import Name
from r53emu.zonefiles.loader import load_catalog
from tests.conftest import ServeZones
from tests.support.helpers import REPO, query

EXAMPLE: Name = (b"example", b"com")
AWSDNS = re.compile(r"ns-(\d+)\.awsdns-(\d\d)\.(com|net|org|co\.uk)\.")
# The TLD of each block of 512 name-server numbers (semantics §1.1 naming pattern).
BLOCK_TLDS = ("com", "net", "org", "co.uk")


def load_zone(tmp_path: Path, text: str, file: str = "example.com.yaml") -> Zone:
    """Write one zone file, load the directory, return its only zone."""
    (tmp_path / file).write_text(textwrap.dedent(text), encoding="utf-8")
    zones = list(load_catalog(tmp_path).zones.values())
    assert len(zones) == 1
    return zones[0]


def apex_set(zone: Zone, type_name: str) -> RecordSet:
    group = zone.group(zone.name, RECORD_TYPES[type_name])
    assert group is not None
    assert len(group.members) == 1
    return group.members[0]


def texts(record: RecordSet) -> list[str]:
    return [value.text for value in record.records]


def assert_awsdns_pattern(nameservers: list[str]) -> None:
    """Four names `ns-N.awsdns-XX.TLD.`, one per TLD block in order, XX = (N mod 512) // 8."""
    assert len(nameservers) == 4
    for block, (nameserver, tld) in enumerate(zip(nameservers, BLOCK_TLDS, strict=True)):
        match = AWSDNS.fullmatch(nameserver)
        assert match is not None, nameserver
        number, group, found_tld = int(match[1]), int(match[2]), match[3]
        assert found_tld == tld
        assert block * 512 <= number < (block + 1) * 512, nameserver
        assert group == (number % 512) // 8, nameserver


def test_empty_zone_gets_route53_default_soa(tmp_path: Path) -> None:
    """The default SOA is `<first NS> awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`."""
    zone = load_zone(tmp_path, "zone: example.com\n")
    soa = apex_set(zone, "SOA")
    first_ns = texts(apex_set(zone, "NS"))[0]
    assert soa.ttl == 900
    assert texts(soa) == [f"{first_ns} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"]


def test_empty_zone_gets_four_awsdns_name_servers(tmp_path: Path) -> None:
    """The default apex NS holds four awsdns-style names, TTL 172800, as in semantics §1.1."""
    zone = load_zone(tmp_path, "zone: example.com\n")
    ns = apex_set(zone, "NS")
    assert ns.ttl == 172800
    assert_awsdns_pattern(texts(ns))
    assert list(zone.nameservers) == texts(ns)


def test_new_zone_counts_two_record_sets(tmp_path: Path) -> None:
    """A zone without record sets has ResourceRecordSetCount 2 (its SOA and NS)."""
    assert load_zone(tmp_path, "zone: example.com\n").record_set_count == 2


def test_awsdns_pattern_holds_for_many_zone_names() -> None:
    """Whatever the zone name, the default name servers follow the awsdns numbering pattern."""
    seen: set[str] = set()
    for index in range(500):
        nameservers = list(apexdefaults.nameservers(f"zone{index}.example."))
        assert_awsdns_pattern(nameservers)
        seen.update(nameservers)
    # The numbers spread over each block rather than repeating a few names.
    assert len(seen) > 1000


def test_different_zones_get_different_ids_and_name_servers() -> None:
    """Two zone names get two ids and two delegation sets."""
    assert apexdefaults.zone_id("example.com.") != apexdefaults.zone_id("example.org.")
    assert apexdefaults.nameservers("example.com.") != apexdefaults.nameservers("example.org.")


def test_defaults_do_not_depend_on_how_the_zone_name_is_written(tmp_path: Path) -> None:
    """`zone: EXAMPLE.com` and `zone: example.com.` get the same id and name servers."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = load_zone(tmp_path / "a", "zone: EXAMPLE.com\n")
    second = load_zone(tmp_path / "b", "zone: example.com.\n")
    assert first.zone_id == second.zone_id
    assert first.nameservers == second.nameservers


def test_derived_zone_id_looks_like_a_route53_id(tmp_path: Path) -> None:
    """Without `id:` the zone id is `Z` followed by upper-case letters and digits."""
    zone = load_zone(tmp_path, "zone: example.com\n")
    assert re.fullmatch(r"Z[A-Z0-9]{10,31}", zone.zone_id)


def test_given_zone_id_is_used(tmp_path: Path) -> None:
    """`id: Z0EXAMPLETEST` becomes the zone's id."""
    zone = load_zone(tmp_path, "zone: example.com\nid: Z0EXAMPLETEST\n")
    assert zone.zone_id == "Z0EXAMPLETEST"


_DEFAULTS_SCRIPT = """
from r53emu.model import apexdefaults
print(apexdefaults.zone_id("example.com."))
print(" ".join(apexdefaults.nameservers("example.com.")))
"""


@pytest.mark.parametrize("hash_seed", ["0", "12345"])
def test_defaults_are_stable_across_runs(hash_seed: str) -> None:
    """Another interpreter (another hash seed) derives the same id and name servers.

    The values are pinned too: tests and TestDNSAnswer users rely on them not changing.
    """
    result = subprocess.run(
        [sys.executable, "-c", _DEFAULTS_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PYTHONHASHSEED": hash_seed, "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    zone_id, nameservers = result.stdout.splitlines()
    assert zone_id == apexdefaults.zone_id("example.com.") == "ZH27PGESQT54XYW5QCDNX"
    assert (
        nameservers.split()
        == list(apexdefaults.nameservers("example.com."))
        == [
            "ns-190.awsdns-23.com.",
            "ns-786.awsdns-34.net.",
            "ns-1183.awsdns-19.org.",
            "ns-1916.awsdns-47.co.uk.",
        ]
    )


def test_zone_ttl_is_the_default_for_record_sets_only(tmp_path: Path) -> None:
    """The zone `ttl` fills record sets without one; it changes neither the SOA nor the NS TTL."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        ttl: 42
        record_sets:
          - {name: a, type: A, records: [192.0.2.1]}
          - {name: b, type: A, ttl: 7, records: [192.0.2.2]}
        """,
    )
    a_group = zone.group((b"a", *EXAMPLE), RECORD_TYPES["A"])
    b_group = zone.group((b"b", *EXAMPLE), RECORD_TYPES["A"])
    assert a_group is not None
    assert b_group is not None
    assert a_group.members[0].ttl == 42
    assert b_group.members[0].ttl == 7
    assert apex_set(zone, "SOA").ttl == 900
    assert apex_set(zone, "NS").ttl == 172800


def test_partial_soa_overrides_only_the_fields_given(tmp_path: Path) -> None:
    """`soa: {rname, serial, ttl}` changes those; MNAME stays the first NS, timers stay default."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        soa:
          rname: hostmaster.example.com
          serial: "2024010101"
          ttl: 60
        """,
    )
    soa = apex_set(zone, "SOA")
    first_ns = texts(apex_set(zone, "NS"))[0]
    assert soa.ttl == 60
    assert texts(soa) == [f"{first_ns} hostmaster.example.com. 2024010101 7200 900 1209600 86400"]


def test_full_soa_override(tmp_path: Path) -> None:
    """Every SOA field of `soa:` lands in the record, MNAME included."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        soa: {mname: ns0.example.com., rname: dns.example.com., serial: 5, refresh: 60,
              retry: 30, expire: 600, minimum: 10, ttl: 20}
        """,
    )
    soa = apex_set(zone, "SOA")
    assert soa.ttl == 20
    assert texts(soa) == ["ns0.example.com. dns.example.com. 5 60 30 600 10"]


def test_nameservers_override_the_awsdns_names(tmp_path: Path) -> None:
    """`nameservers:` replaces the default NS (TTL 172800) and the SOA names the first of them."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        nameservers: [ns1.example.com, ns2.example.net.]
        """,
    )
    ns = apex_set(zone, "NS")
    assert ns.ttl == 172800
    assert texts(ns) == ["ns1.example.com.", "ns2.example.net."]
    assert texts(apex_set(zone, "SOA"))[0].startswith("ns1.example.com. awsdns-hostmaster")


def test_apex_soa_and_ns_given_as_record_sets_replace_the_defaults(tmp_path: Path) -> None:
    """An apex SOA or NS record set is used as written instead of the default one."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        record_sets:
          - {name: "@", type: SOA, ttl: 300,
             records: ["ns.example.net. admin.example.net. 9 1 2 3 4"]}
          - {name: "@", type: NS, ttl: 600, records: [ns.example.net, ns2.example.net]}
        """,
    )
    soa, ns = apex_set(zone, "SOA"), apex_set(zone, "NS")
    assert (soa.ttl, texts(soa)) == (300, ["ns.example.net. admin.example.net. 9 1 2 3 4"])
    assert (ns.ttl, texts(ns)) == (600, ["ns.example.net.", "ns2.example.net."])
    assert zone.record_set_count == 2


def test_default_soa_names_the_name_server_of_an_apex_ns_record_set(tmp_path: Path) -> None:
    """With the apex NS given as a record set, the default SOA's MNAME is its first server."""
    zone = load_zone(
        tmp_path,
        """\
        zone: example.com
        soa: {serial: 3}
        record_sets:
          - {name: "@", type: NS, ttl: 600, records: [ns1.example.net, ns2.example.net]}
        """,
    )
    assert texts(apex_set(zone, "SOA")) == [
        "ns1.example.net. awsdns-hostmaster.amazon.com. 3 7200 900 1209600 86400"
    ]


def test_default_soa_is_in_the_authority_of_nxdomain(serve_zones: ServeZones) -> None:
    """On the wire, NXDOMAIN carries the default SOA (TTL min(900, 86400) = 900)."""
    address = serve_zones({"example.com.yaml": "zone: example.com\n"})
    reply = query(address, "missing.example.com", "A")
    assert reply.rcode() == dns.rcode.NXDOMAIN
    (soa_rrset,) = reply.authority
    (soa,) = soa_rrset
    ns = apexdefaults.nameservers("example.com.")
    assert soa_rrset.ttl == 900
    assert (soa.mname.to_text(), soa.rname.to_text()) == (ns[0], "awsdns-hostmaster.amazon.com.")
    assert (soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum) == (
        1,
        7200,
        900,
        1209600,
        86400,
    )


def test_default_ns_is_answered_at_the_apex(serve_zones: ServeZones) -> None:
    """On the wire, the apex NS query returns the four awsdns names with TTL 172800."""
    address = serve_zones({"example.com.yaml": "zone: example.com\n"})
    reply = query(address, "example.com", "NS")
    (rrset,) = reply.answer
    assert rrset.rdtype == dns.rdatatype.NS
    assert rrset.ttl == 172800
    assert sorted(rdata.target.to_text() for rdata in rrset) == sorted(
        apexdefaults.nameservers("example.com.")
    )

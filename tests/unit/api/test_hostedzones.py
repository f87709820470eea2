"""The API's hosted zones as pure state: zones, record-set changes, listing and paging."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from r53emu.api.errors import ApiError
from r53emu.api.hostedzones import ApiZones
from r53emu.api.ids import ZONE_ID, RandomIds
from r53emu.api.rrsetnames import parse_name
from r53emu.model.dnsconstants import TYPE_A

WHEN = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
OLD = {
    "Name": "www.example.com.",
    "Type": "A",
    "TTL": 60,
    "ResourceRecords": [{"Value": "192.0.2.1"}],
}
NEW = {**OLD, "ResourceRecords": [{"Value": "192.0.2.2"}]}
WWW = "resource record set [name='www.example.com.', type='A']"


def make_zones(**kwargs: Any) -> ApiZones:
    return ApiZones(clock=lambda: WHEN, ids=RandomIds(random.Random(0)), **kwargs)


def new_zone(zones: ApiZones, name: str = "example.com", reference: str = "ref") -> str:
    zone_id: str = zones.create_hosted_zone(name, reference)["HostedZone"]["Id"]
    return zone_id


def change(zones: ApiZones, zone_id: str, *changes: tuple[str, dict[str, Any]]) -> None:
    batch = {"Changes": [{"Action": a, "ResourceRecordSet": rs} for a, rs in changes]}
    zones.change_resource_record_sets(zone_id, batch)


def listed(zones: ApiZones, zone_id: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = zones.list_resource_record_sets(zone_id, max_items="300")[
        "ResourceRecordSets"
    ]
    return result


def error_of(call: Any, *args: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args)
    return caught.value


# -- hosted zones --------------------------------------------------------------------------------


def test_a_new_zone_has_route53_ids_its_soa_and_ns() -> None:
    zones = make_zones()
    created = zones.create_hosted_zone("Example.COM", "ref", comment="hi")
    bare = created["HostedZone"]["Id"].removeprefix("/hostedzone/")
    assert ZONE_ID.fullmatch(bare)
    assert created["ChangeInfo"]["Id"].startswith("/change/C")
    assert created["ChangeInfo"]["SubmittedAt"] == WHEN
    assert created["HostedZone"]["Name"] == "example.com."
    sets = listed(zones, bare)
    assert [(rs["Type"], rs["TTL"]) for rs in sets] == [("NS", 172800), ("SOA", 900)]
    servers = [record["Value"] for record in sets[0]["ResourceRecords"]]
    assert created["DelegationSet"]["NameServers"] == [server.rstrip(".") for server in servers]
    assert sets[1]["ResourceRecords"][0]["Value"].startswith(servers[0] + " awsdns-hostmaster")
    assert zones.catalog_zones()[parse_name("example.com")].zone_id == bare


def test_ids_are_accepted_with_their_prefix() -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    bare = zone_id.removeprefix("/hostedzone/")
    assert zones.get_hosted_zone(zone_id) == zones.get_hosted_zone(bare)


@pytest.mark.parametrize(
    ("call", "code", "status"),
    [
        (lambda z: z.create_hosted_zone("other.com", "ref"), "HostedZoneAlreadyExists", 409),
        (lambda z: z.create_hosted_zone("example.com", "ref2"), "ConflictingDomainExists", 400),
        (lambda z: z.create_hosted_zone("com", "ref3"), "InvalidDomainName", 400),
        (lambda z: z.create_hosted_zone("a..b", "ref3"), "InvalidDomainName", 400),
        (lambda z: z.create_hosted_zone("*.b.com", "ref3"), "InvalidDomainName", 400),
        (lambda z: z.create_hosted_zone("p.com", "r4", private=True), "InvalidInput", 400),
        (lambda z: z.get_hosted_zone("ZNOSUCHZONE00000"), "NoSuchHostedZone", 404),
        (lambda z: z.get_change("C123"), "NoSuchChange", 404),
    ],
)
def test_hosted_zone_errors(call: Any, code: str, status: int) -> None:
    zones = make_zones()
    new_zone(zones)
    error = error_of(call, zones)
    assert (error.code, error.status) == (code, status)


def test_the_zone_quota() -> None:
    zones = make_zones(max_zones=2)
    new_zone(zones, "a.com", "1")
    new_zone(zones, "b.com", "2")
    assert error_of(zones.create_hosted_zone, "c.com", "3").code == "TooManyHostedZones"


def test_delete_needs_an_empty_zone_and_forgets_it() -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    change(zones, zone_id, ("CREATE", OLD))
    error = error_of(zones.delete_hosted_zone, zone_id)
    assert error.code == "HostedZoneNotEmpty"
    change(zones, zone_id, ("DELETE", OLD))
    deleted = zones.delete_hosted_zone(zone_id)
    assert zones.get_change(deleted["ChangeInfo"]["Id"]) == {"ChangeInfo": deleted["ChangeInfo"]}
    assert zones.catalog_zones() == {}
    assert zones.hosted_zone_count() == {"HostedZoneCount": 0}
    new_zone(zones)  # the reference and the name are free again


def test_limits_and_comments() -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    assert zones.hosted_zone_limit(zone_id, "MAX_RRSETS_BY_ZONE") == {
        "Limit": {"Type": "MAX_RRSETS_BY_ZONE", "Value": 10_000},
        "Count": 2,
    }
    error = error_of(zones.hosted_zone_limit, zone_id, "MAX_VPCS_ASSOCIATED_BY_ZONE")
    assert error.code == "HostedZoneNotPrivate"
    assert zones.update_hosted_zone_comment(zone_id, "c")["HostedZone"]["Config"]["Comment"] == "c"
    assert "Comment" not in zones.update_hosted_zone_comment(zone_id, None)["HostedZone"]["Config"]


def test_zones_page_by_id_and_by_reversed_name() -> None:
    zones = make_zones()
    for number, name in enumerate(["b.com", "a.net", "a-b.com", "a.com", "x.a.com"]):
        new_zone(zones, name, str(number))
    by_name = zones.list_hosted_zones_by_name(None, None, "2")
    # com.a-b. sorts before com.a. (`-` before `.`)
    assert [z["Name"] for z in by_name["HostedZones"]] == ["a-b.com.", "a.com."]
    assert by_name["IsTruncated"]
    assert by_name["NextDNSName"] == "x.a.com."
    rest = zones.list_hosted_zones_by_name(
        by_name["NextDNSName"], by_name["NextHostedZoneId"], None
    )
    assert [z["Name"] for z in rest["HostedZones"]] == ["x.a.com.", "b.com.", "a.net."]
    assert not rest["IsTruncated"]
    assert "NextDNSName" not in rest

    seen: list[str] = []
    marker = None
    while True:
        page = zones.list_hosted_zones(marker, "2")
        seen += [z["Id"] for z in page["HostedZones"]]
        if not page["IsTruncated"]:
            break
        marker = page["NextMarker"]
    assert seen == sorted(seen)
    assert len(seen) == 5
    assert zones.list_hosted_zones(None, None)["MaxItems"] == "100"
    assert error_of(zones.list_hosted_zones, None, "x").code == "InvalidInput"
    assert error_of(zones.list_hosted_zones_by_name, None, "Z1", None).code == "InvalidInput"


# -- ChangeResourceRecordSets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "action", "given", "after", "message"),
    [
        (None, "CREATE", OLD, OLD, None),
        (
            OLD,
            "CREATE",
            OLD,
            OLD,
            f"Tried to create {WWW} but it already exists",
        ),
        (OLD, "CREATE", NEW, OLD, "but it already exists"),
        (
            None,
            "DELETE",
            OLD,
            None,
            f"Tried to delete {WWW} but it was not found",
        ),
        (OLD, "DELETE", OLD, None, None),
        (
            OLD,
            "DELETE",
            NEW,
            OLD,
            f"Tried to delete {WWW} but the values provided do not match the current values",
        ),
        (None, "UPSERT", NEW, NEW, None),
        (OLD, "UPSERT", NEW, NEW, None),
        (OLD, "UPSERT", OLD, OLD, None),
    ],
)
def test_create_delete_upsert(
    existing: dict[str, Any] | None,
    action: str,
    given: dict[str, Any],
    after: dict[str, Any] | None,
    message: str | None,
) -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    if existing is not None:
        change(zones, zone_id, ("CREATE", existing))
    if message is None:
        change(zones, zone_id, (action, given))
    else:
        error = error_of(change, zones, zone_id, (action, given))
        assert error.code == "InvalidChangeBatch"
        assert message in error.message
    www = [rs for rs in listed(zones, zone_id) if rs["Type"] == "A"]
    assert www == ([] if after is None else [after])


def test_set_identifiers_are_named_in_messages() -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    weighted = {**OLD, "SetIdentifier": "east", "Weight": 5}
    change(zones, zone_id, ("CREATE", weighted))
    error = error_of(change, zones, zone_id, ("CREATE", weighted))
    assert "[name='www.example.com.', type='A', set-identifier='east'] but it already exists" in (
        error.message
    )


def test_a_batch_is_applied_whole_or_not_at_all() -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    version = zones.version
    before = zones.catalog_zones()
    other = {**OLD, "Name": "other.example.com"}
    error = error_of(change, zones, zone_id, ("CREATE", other), ("DELETE", OLD))
    assert error.message.startswith("[")
    assert "other.example.com" not in error.message
    assert (zones.version, zones.catalog_zones()) == (version, before)
    assert len(listed(zones, zone_id)) == 2
    change(zones, zone_id, ("CREATE", other), ("CREATE", OLD))
    assert zones.version == version + 1
    assert zones.catalog_zones() is not before
    assert before == {parse_name("example.com"): before[parse_name("example.com")]}
    zone = zones.catalog_zones()[parse_name("example.com")]
    assert zone.group(parse_name("other.example.com"), TYPE_A) is not None


def test_delete_then_create_replaces_and_other_repeats_are_refused() -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    change(zones, zone_id, ("CREATE", OLD))
    change(zones, zone_id, ("DELETE", OLD), ("CREATE", NEW))
    assert listed(zones, zone_id)[-1] == NEW
    error = error_of(change, zones, zone_id, ("DELETE", NEW), ("DELETE", NEW))
    assert error.message == (
        "[The request contains an invalid set of changes for a resource record set "
        "'A www.example.com.']"
    )


def test_the_apex_soa_and_ns_stay() -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    soa, ns = reversed(listed(zones, zone_id))
    error = error_of(change, zones, zone_id, ("DELETE", soa), ("DELETE", ns))
    assert error.message == (
        "[A HostedZone must contain exactly one SOA record., A HostedZone must contain at least "
        "one NS record for the zone itself.]"
    )
    replaced = {**ns, "TTL": 3600}
    change(zones, zone_id, ("DELETE", ns), ("CREATE", replaced))  # replacing it is fine
    change(zones, zone_id, ("UPSERT", {**soa, "TTL": 60}))
    assert [rs["TTL"] for rs in listed(zones, zone_id)] == [3600, 60]


def test_zone_rules_come_from_the_zone_file_validation_naming_the_change() -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    change(zones, zone_id, ("CREATE", OLD))
    cname = {
        "Name": "www.example.com",
        "Type": "CNAME",
        "TTL": 60,
        "ResourceRecords": [{"Value": "x."}],
    }
    bad_ttl = {**OLD, "Name": "ttl.example.com", "TTL": 60, "ResourceRecords": [{"Value": "1.2.3"}]}
    outside = {**OLD, "Name": "www.elsewhere.net."}
    error = error_of(
        change, zones, zone_id, ("CREATE", cname), ("CREATE", bad_ttl), ("CREATE", outside)
    )
    assert error.code == "InvalidChangeBatch"
    assert (
        "RRSet of type CNAME with DNS name www.example.com. is not permitted as it conflicts with "
        "other records with the same DNS name in zone example.com." in error.message
    )
    assert (
        "ChangeBatch.Changes[1] (CREATE [name='ttl.example.com.', type='A']): "
        "ResourceRecordSet.ResourceRecords[0]: '1.2.3' is not a valid A value" in error.message
    )
    assert "RRSet with DNS name www.elsewhere.net. is not permitted in zone example.com." in (
        error.message
    )


def test_aliases_must_target_record_sets_of_the_zone() -> None:
    zones = make_zones()
    zone_id = new_zone(zones).removeprefix("/hostedzone/")
    alias = {
        "Name": "example.com",
        "Type": "A",
        "AliasTarget": {
            "HostedZoneId": zone_id,
            "DNSName": "www.example.com",
            "EvaluateTargetHealth": False,
        },
    }
    error = error_of(change, zones, zone_id, ("CREATE", alias))
    assert (
        f"Tried to create an alias that targets www.example.com., type A in zone {zone_id}, but "
        "that target was not found" in error.message
    )
    change(zones, zone_id, ("CREATE", alias), ("CREATE", OLD))
    error = error_of(change, zones, zone_id, ("DELETE", OLD))
    assert "(in the zone, not changed)" not in error.message  # Route 53's words, passed on


@pytest.mark.parametrize(
    ("record_set", "found"),
    [
        ({"Name": "a.example.com", "Type": "A"}, "none"),
        (
            {
                **OLD,
                "AliasTarget": {"HostedZoneId": "Z", "DNSName": "x", "EvaluateTargetHealth": False},
            },
            "more than one",
        ),
    ],
)
def test_neither_or_both_alias_and_values_is_invalid_input(
    record_set: dict[str, Any], found: str
) -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    error = error_of(change, zones, zone_id, ("CREATE", record_set))
    assert error.code == "InvalidInput"
    assert f"but found {found} in Change with [Action=CREATE, Name=" in error.message
    assert error.message.endswith("SetIdentifier=null]")


# -- ListResourceRecordSets ------------------------------------------------------------------------


def _names(page: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(rs["Name"], rs["Type"], rs.get("SetIdentifier")) for rs in page["ResourceRecordSets"]]


def test_listing_starts_where_asked_and_says_what_comes_next() -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    weighted = [{**OLD, "SetIdentifier": s, "Weight": 1} for s in ("c", "a", "b")]
    change(
        zones,
        zone_id,
        *[("CREATE", rs) for rs in weighted],
        ("CREATE", {**OLD, "Name": "*.example.com"}),
    )
    page = zones.list_resource_record_sets(zone_id, max_items="3")
    assert _names(page) == [
        ("example.com.", "NS", None),
        ("example.com.", "SOA", None),
        ("\\052.example.com.", "A", None),
    ]
    assert (page["IsTruncated"], page["NextRecordName"], page["NextRecordType"]) == (
        True,
        "www.example.com.",
        "A",
    )
    assert page["NextRecordIdentifier"] == "a"
    assert page["MaxItems"] == "3"
    page = zones.list_resource_record_sets(zone_id, "www.example.com", "A", "b", "1")
    assert _names(page) == [("www.example.com.", "A", "b")]
    assert page["NextRecordIdentifier"] == "c"
    page = zones.list_resource_record_sets(zone_id, "www.example.com", "A", "c")
    assert _names(page) == [("www.example.com.", "A", "c")]
    assert page["IsTruncated"] is False
    assert "NextRecordName" not in page
    assert page["MaxItems"] == "100"
    # a name that is not there starts at the next one
    assert (
        _names(zones.list_resource_record_sets(zone_id, "b.example.com"))[0][0]
        == "www.example.com."
    )
    assert zones.list_resource_record_sets(zone_id, "zzz.example.com")["ResourceRecordSets"] == []
    big = zones.list_resource_record_sets(zone_id, max_items="5000")
    assert len(big["ResourceRecordSets"]) == 6


@pytest.mark.parametrize(
    ("name", "rtype", "identifier", "max_items"),
    [
        (None, "A", None, None),
        ("a.example.com", None, "x", None),
        (None, None, None, "0"),
        (None, None, None, "ten"),
        ("a..b", None, None, None),
    ],
)
def test_listing_refuses_bad_starts(
    name: str | None, rtype: str | None, identifier: str | None, max_items: str | None
) -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    error = error_of(zones.list_resource_record_sets, zone_id, name, rtype, identifier, max_items)
    assert error.code == "InvalidInput"


def test_changes_are_remembered_with_their_comment() -> None:
    zones = make_zones()
    zone_id = new_zone(zones)
    info = zones.change_resource_record_sets(
        zone_id, {"Comment": "why", "Changes": [{"Action": "CREATE", "ResourceRecordSet": OLD}]}
    )["ChangeInfo"]
    assert info["Status"] == "INSYNC"
    assert info["Comment"] == "why"
    assert zones.get_change(info["Id"]) == {"ChangeInfo": info}
    assert zones.get_change(info["Id"].removeprefix("/change/")) == {"ChangeInfo": info}

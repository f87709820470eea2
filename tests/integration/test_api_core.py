"""Route 53's API core through boto3 itself: hosted zones and record sets over real HTTP.

A tiny aiohttp server on 127.0.0.1 (an ephemeral port, in a thread of this test) forwards every
request to `ApiDispatcher`; boto3 is pointed at it with `endpoint_url`, so the whole client
stack runs: serializing, signing, id stripping, parsing, paginators and error classes. The zones
the state builds are then asked through the pure `lookup`, as the DNS side will ask them.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.config
import pytest
from aiohttp import web

from r53emu.answer.lookup import lookup
from r53emu.api.dispatch import ApiDispatcher
from r53emu.api.hostedzones import ApiZones
from r53emu.api.ids import RandomIds
from r53emu.model import names
from r53emu.model.catalog import Catalog
from r53emu.model.dnsconstants import TYPE_A
from r53emu.model.query import QueryContext

WHEN = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


class ApiServer:
    """The dispatcher behind aiohttp, on its own event loop in a daemon thread."""

    def __init__(self, dispatcher: ApiDispatcher) -> None:
        self.dispatcher = dispatcher
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        reply = self.dispatcher.handle(
            request.method, request.raw_path, request.query, request.headers, body
        )
        return web.Response(status=reply.status, headers=reply.headers, body=reply.body)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self.runner = web.AppRunner(app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._started.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.runner.cleanup())
        self.loop.close()

    def __enter__(self) -> ApiServer:
        self._thread.start()
        assert self._started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="module")
def zones() -> ApiZones:
    return ApiZones(clock=lambda: WHEN, ids=RandomIds(random.Random(14)))


@pytest.fixture(scope="module")
def client(zones: ApiZones) -> Iterator[Any]:
    with ApiServer(ApiDispatcher(zones)) as server:
        yield boto3.client(
            "route53",
            endpoint_url=f"http://127.0.0.1:{server.port}",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )


def _a(name: str, value: str, **routing: Any) -> dict[str, Any]:
    return {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": value}], **routing}


def _change(action: str, record_set: dict[str, Any]) -> dict[str, Any]:
    return {"Action": action, "ResourceRecordSet": record_set}


def _all_record_sets(client: Any, zone_id: str) -> list[dict[str, Any]]:
    pages = client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
    return [record_set for page in pages for record_set in page["ResourceRecordSets"]]


def _ask(zones: ApiZones, name: str, seed: int) -> set[str]:
    catalog = Catalog(zones=zones.catalog_zones())
    answer = lookup(
        catalog, QueryContext(qname=names.parse(name), qtype=TYPE_A), random.Random(seed)
    )
    return {record.text for record in answer.answer}


def test_a_zone_is_created_changed_listed_and_answered(client: Any, zones: ApiZones) -> None:
    created = client.create_hosted_zone(
        Name="shop.example.com",
        CallerReference="shop-1",
        HostedZoneConfig={"Comment": "the shop"},
    )
    zone = created["HostedZone"]
    zone_id = zone["Id"]
    assert zone_id.startswith("/hostedzone/Z")
    assert (zone["Name"], zone["ResourceRecordSetCount"]) == ("shop.example.com.", 2)
    assert zone["Config"] == {"Comment": "the shop", "PrivateZone": False}
    servers = created["DelegationSet"]["NameServers"]
    assert len(servers) == 4
    assert all(".awsdns-" in server for server in servers)
    assert created["Location"] == (
        "https://route53.amazonaws.com/2013-04-01/hostedzone/" + zone_id.split("/")[-1]
    )
    assert created["ChangeInfo"]["Status"] == "INSYNC"

    with pytest.raises(client.exceptions.HostedZoneAlreadyExists):
        client.create_hosted_zone(Name="other.example.com", CallerReference="shop-1")

    changed = client.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Comment": "weighted pair and an alias",
            "Changes": [
                _change(
                    "UPSERT",
                    _a("www.shop.example.com", "192.0.2.1", SetIdentifier="blue", Weight=1),
                ),
                _change(
                    "UPSERT",
                    _a("www.shop.example.com", "192.0.2.2", SetIdentifier="green", Weight=0),
                ),
                _change(
                    "UPSERT",
                    {
                        "Name": "shop.example.com",
                        "Type": "A",
                        "AliasTarget": {
                            "HostedZoneId": zone_id.split("/")[-1],
                            "DNSName": "WWW.shop.example.com",
                            "EvaluateTargetHealth": False,
                        },
                    },
                ),
            ],
        },
    )
    info = client.get_change(Id=changed["ChangeInfo"]["Id"])["ChangeInfo"]
    assert (info["Status"], info["Comment"]) == ("INSYNC", "weighted pair and an alias")

    listed = _all_record_sets(client, zone_id)
    assert [(rs["Name"], rs["Type"], rs.get("SetIdentifier")) for rs in listed] == [
        ("shop.example.com.", "A", None),
        ("shop.example.com.", "NS", None),
        ("shop.example.com.", "SOA", None),
        ("www.shop.example.com.", "A", "blue"),
        ("www.shop.example.com.", "A", "green"),
    ]
    assert listed[0]["AliasTarget"]["DNSName"] == "www.shop.example.com."
    assert listed[3] == _a("www.shop.example.com.", "192.0.2.1", SetIdentifier="blue", Weight=1)

    # The weight-0 member is never chosen while the other has weight; the alias answers with
    # what its target's routing chose.
    for seed in range(20):
        assert _ask(zones, "www.shop.example.com", seed) == {"192.0.2.1"}
        assert _ask(zones, "shop.example.com", seed) == {"192.0.2.1"}

    with pytest.raises(client.exceptions.HostedZoneNotEmpty):
        client.delete_hosted_zone(Id=zone_id)


def test_paging_in_route53_order(client: Any) -> None:
    zone_id = client.create_hosted_zone(Name="paging.test", CallerReference="paging")["HostedZone"][
        "Id"
    ]
    changes = [_change("CREATE", _a(f"h{n:03d}.paging.test", "192.0.2.9")) for n in range(248)]
    changes.append(_change("CREATE", _a("a-b.paging.test", "192.0.2.10")))
    changes.append(_change("CREATE", _a("a.paging.test", "192.0.2.11")))
    client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})

    first = client.list_resource_record_sets(HostedZoneId=zone_id, MaxItems="100")
    assert (first["IsTruncated"], first["MaxItems"], len(first["ResourceRecordSets"])) == (
        True,
        "100",
        100,
    )
    names_seen: list[str] = []
    page = first
    pages = 0
    while True:
        pages += 1
        names_seen += [rs["Name"] for rs in page["ResourceRecordSets"]]
        if not page["IsTruncated"]:
            break
        page = client.list_resource_record_sets(
            HostedZoneId=zone_id,
            StartRecordName=page["NextRecordName"],
            StartRecordType=page["NextRecordType"],
            MaxItems="100",
        )
    assert pages == 3
    assert len(names_seen) == 252  # 250 and the apex NS and SOA
    # `-` sorts before `.`: com.paging.a-b. before com.paging.a.
    assert names_seen[:4] == ["paging.test.", "paging.test.", "a-b.paging.test.", "a.paging.test."]
    assert names_seen[4:] == [f"h{n:03d}.paging.test." for n in range(248)]
    # boto3's paginator follows Next* the same way
    assert [rs["Name"] for rs in _all_record_sets(client, zone_id)] == names_seen


def test_a_bad_batch_names_every_problem_and_changes_nothing(client: Any, zones: ApiZones) -> None:
    zone_id = client.create_hosted_zone(Name="bad.test", CallerReference="bad")["HostedZone"]["Id"]
    client.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [_change("CREATE", _a("exists.bad.test", "192.0.2.1"))]},
    )
    before = _all_record_sets(client, zone_id)
    version = zones.version
    with pytest.raises(client.exceptions.InvalidChangeBatch) as caught:
        client.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={
                "Changes": [
                    _change("CREATE", _a("fine.bad.test", "192.0.2.7")),
                    _change("CREATE", _a("exists.bad.test", "192.0.2.1")),
                    _change("DELETE", _a("missing.bad.test", "192.0.2.1")),
                    _change("CREATE", _a("broken.bad.test", "192.0.2.300")),
                ]
            },
        )
    message = caught.value.response["Error"]["Message"]
    assert (
        "Tried to create resource record set [name='exists.bad.test.', type='A'] but it already "
        "exists" in message
    )
    assert (
        "Tried to delete resource record set [name='missing.bad.test.', type='A'] but it was "
        "not found" in message
    )
    assert "ChangeBatch.Changes[3] (CREATE [name='broken.bad.test.', type='A'])" in message
    assert "192.0.2.300" in message
    assert "fine.bad.test" not in message
    assert _all_record_sets(client, zone_id) == before
    assert zones.version == version

    client.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [_change("DELETE", _a("exists.bad.test", "192.0.2.1"))]},
    )
    deleted = client.delete_hosted_zone(Id=zone_id)
    assert client.get_change(Id=deleted["ChangeInfo"]["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    with pytest.raises(client.exceptions.NoSuchHostedZone) as missing:
        client.get_hosted_zone(Id=zone_id)
    assert missing.value.response["Error"]["Message"] == (
        "No hosted zone found with ID: " + zone_id.split("/")[-1]
    )
    with pytest.raises(client.exceptions.NoSuchChange):
        client.get_change(Id="C0000000000000000000")


def test_hosted_zones_are_listed(client: Any) -> None:
    listed = client.list_hosted_zones()
    assert listed["IsTruncated"] is False
    names_listed = [zone["Name"] for zone in listed["HostedZones"]]
    assert {"shop.example.com.", "paging.test."} <= set(names_listed)
    count = client.get_hosted_zone_count()["HostedZoneCount"]
    assert count == len(names_listed)
    by_name = client.list_hosted_zones_by_name()["HostedZones"]
    assert [zone["Name"] for zone in by_name] == sorted(
        names_listed, key=lambda name: ".".join(reversed(name.rstrip(".").split("."))) + "."
    )
    zone_id = by_name[0]["Id"]
    limit = client.get_hosted_zone_limit(Type="MAX_RRSETS_BY_ZONE", HostedZoneId=zone_id)
    assert limit["Limit"] == {"Type": "MAX_RRSETS_BY_ZONE", "Value": 10_000}
    client.update_hosted_zone_comment(Id=zone_id, Comment="renamed")
    assert client.get_hosted_zone(Id=zone_id)["HostedZone"]["Config"]["Comment"] == "renamed"


def test_an_operation_not_emulated_says_so(client: Any) -> None:
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.list_traffic_policies()
    error = caught.value.response["Error"]
    assert error["Code"] == "NotImplemented"
    assert "ListTrafficPolicies" in error["Message"]

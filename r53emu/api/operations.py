"""The operations r53emu serves: each one's parameters (as `restxml.parse_request` gives them)
handed to the `ApiZones` method that does it.

One small function per operation, in one table: what the dispatcher can serve is `OPERATIONS`'
keys, and every other operation of the model answers that r53emu does not emulate it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from r53emu.api.hostedzones import ApiZones, Output

Params = dict[str, Any]
Handler = Callable[[ApiZones, Params], Output]


def _create_hosted_zone(zones: ApiZones, params: Params) -> Output:
    config = params.get("HostedZoneConfig", {})
    return zones.create_hosted_zone(
        params["Name"],
        params["CallerReference"],
        comment=config.get("Comment"),
        private=bool(config.get("PrivateZone")) or "VPC" in params,
        delegation_set_id=params.get("DelegationSetId"),
    )


def _get_hosted_zone(zones: ApiZones, params: Params) -> Output:
    return zones.get_hosted_zone(params["Id"])


def _list_hosted_zones(zones: ApiZones, params: Params) -> Output:
    return zones.list_hosted_zones(
        params.get("Marker"),
        params.get("MaxItems"),
        delegation_set_id=params.get("DelegationSetId"),
        zone_type=params.get("HostedZoneType"),
    )


def _list_hosted_zones_by_name(zones: ApiZones, params: Params) -> Output:
    return zones.list_hosted_zones_by_name(
        params.get("DNSName"), params.get("HostedZoneId"), params.get("MaxItems")
    )


def _update_hosted_zone_comment(zones: ApiZones, params: Params) -> Output:
    return zones.update_hosted_zone_comment(params["Id"], params.get("Comment"))


def _delete_hosted_zone(zones: ApiZones, params: Params) -> Output:
    return zones.delete_hosted_zone(params["Id"])


def _get_hosted_zone_count(zones: ApiZones, params: Params) -> Output:
    return zones.hosted_zone_count()


def _get_hosted_zone_limit(zones: ApiZones, params: Params) -> Output:
    return zones.hosted_zone_limit(params["HostedZoneId"], params["Type"])


def _change_resource_record_sets(zones: ApiZones, params: Params) -> Output:
    return zones.change_resource_record_sets(params["HostedZoneId"], params["ChangeBatch"])


def _list_resource_record_sets(zones: ApiZones, params: Params) -> Output:
    return zones.list_resource_record_sets(
        params["HostedZoneId"],
        params.get("StartRecordName"),
        params.get("StartRecordType"),
        params.get("StartRecordIdentifier"),
        params.get("MaxItems"),
    )


def _get_change(zones: ApiZones, params: Params) -> Output:
    return zones.get_change(params["Id"])


OPERATIONS: Mapping[str, Handler] = {
    "CreateHostedZone": _create_hosted_zone,
    "GetHostedZone": _get_hosted_zone,
    "ListHostedZones": _list_hosted_zones,
    "ListHostedZonesByName": _list_hosted_zones_by_name,
    "UpdateHostedZoneComment": _update_hosted_zone_comment,
    "DeleteHostedZone": _delete_hosted_zone,
    "GetHostedZoneCount": _get_hosted_zone_count,
    "GetHostedZoneLimit": _get_hosted_zone_limit,
    "ChangeResourceRecordSets": _change_resource_record_sets,
    "ListResourceRecordSets": _list_resource_record_sets,
    "GetChange": _get_change,
}

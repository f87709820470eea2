"""The hosted zones the API holds: Route 53's account, as pure state driven by its operations.

`ApiZones` takes a clock and an `IdSource` (no clock or randomness of its own) and answers each
operation with the members of Route 53's response (the dict `restxml.serialize_response`
writes), or raises `ApiError` with Route 53's code and words. Every zone it holds is also a
frozen `Zone`, built by the zone files' validation (`apizonebuild`); `catalog_zones()` hands the
DNS side all of them, and `version` counts the changes so a server knows when to install them.
A change is applied whole, between two calls, so the state never shows half a batch.

What Route 53 does and r53emu does too: ids `Z...`/`C...`, the four awsdns name servers of the
delegation set with the zone's SOA and NS record sets, CallerReference idempotency
(HostedZoneAlreadyExists), HostedZoneNotEmpty, paging as Route 53 pages. What r53emu does not
emulate is refused with a message that says so: private zones (VPCs), reusable delegation sets.
Zone names are unique here (Route 53 allows two public zones of one name with different name
servers; one DNS server can serve only one of them), refused as ConflictingDomainExists.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from r53emu.api.apizonebuild import MAX_RRSETS_BY_ZONE, build_api_zone
from r53emu.api.changebatch import ZoneTarget, plan_batch
from r53emu.api.errors import ApiError
from r53emu.api.ids import CHANGE_PREFIX, ZONE_PREFIX, IdSource, bare_id
from r53emu.api.rrsetindex import RecordSetIndex
from r53emu.api.rrsetnames import SortKey, key_of, listed_name, parse_name, reversed_name
from r53emu.model import apexdefaults, names
from r53emu.model.catalog import Zone
from r53emu.model.names import Name
from r53emu.zonefiles.routing_field_rules import NO_ACCOUNT, AccountRefs

MAX_HOSTED_ZONES = 500  # Route 53's quota of hosted zones per account
MAX_VPCS_ASSOCIATED_BY_ZONE = 300  # Route 53's quota for private zones (not emulated)
MAX_ZONES_PAGE = 100  # ListHostedZones / ListHostedZonesByName: at most 100 a page
MAX_RECORD_SETS_PAGE = 300  # ListResourceRecordSets: at most 300 a page
DEFAULT_PAGE = "100"  # MaxItems when absent, as Route 53 answers it
KEPT_CHANGES = 100_000  # changes GetChange still knows (the oldest are forgotten first)
LOCATION = "https://route53.amazonaws.com/2013-04-01/hostedzone/"
Output = dict[str, Any]
_WHOLE = re.compile(r"[0-9]{1,9}")


@dataclass
class HostedZone:
    """One hosted zone: what Route 53 reports of it, its record sets and the zone it serves."""

    id: str
    name: Name
    caller_reference: str
    comment: str | None
    nameservers: tuple[str, ...]
    record_sets: RecordSetIndex
    zone: Zone

    @property
    def listed(self) -> str:
        return listed_name(self.name)

    def target(self) -> ZoneTarget:
        return ZoneTarget(self.name, self.id, self.nameservers, self.record_sets)


class ApiZones:
    """Hosted zones created and changed through the API, by id."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        ids: IdSource,
        account: AccountRefs = NO_ACCOUNT,
        record_limit: int = MAX_RRSETS_BY_ZONE,
        max_zones: int = MAX_HOSTED_ZONES,
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.account = account  # what record sets may reference (health checks, CIDR)
        self.record_limit = record_limit
        self.max_zones = max_zones
        self.version = 0  # counts every change to what the zones serve
        self._zones: dict[str, HostedZone] = {}
        self._by_reference: dict[str, str] = {}
        self._by_name: dict[Name, str] = {}
        self._ids: list[str] = []  # sorted: ListHostedZones' order
        self._by_reversed_name: list[tuple[str, str]] = []  # sorted: ListHostedZonesByName's
        self._changes: dict[str, Output] = {}
        self._catalog: Mapping[Name, Zone] | None = MappingProxyType({})

    # -- what the DNS side reads ---------------------------------------------------------------

    def catalog_zones(self) -> Mapping[Name, Zone]:
        """Every zone, by lower-case name: a snapshot that later changes leave alone."""
        if self._catalog is None:
            self._catalog = MappingProxyType({z.name: z.zone for z in self._zones.values()})
        return self._catalog

    def zone(self, zone_id: str) -> HostedZone:
        """The hosted zone of `zone_id` (`/hostedzone/` prefix accepted), else NoSuchHostedZone."""
        bare = bare_id(zone_id, ZONE_PREFIX)
        found = self._zones.get(bare)
        if found is None:
            raise ApiError("NoSuchHostedZone", f"No hosted zone found with ID: {bare}", 404)
        return found

    # -- hosted zones ----------------------------------------------------------------------------

    def create_hosted_zone(
        self,
        name: str,
        caller_reference: str,
        *,
        comment: str | None = None,
        private: bool = False,
        delegation_set_id: str | None = None,
    ) -> Output:
        """CreateHostedZone: the zone with its SOA and NS, its delegation set and ChangeInfo."""
        if caller_reference in self._by_reference:
            raise ApiError(
                "HostedZoneAlreadyExists",
                "A hosted zone has already been created with the specified caller reference.",
                409,
            )
        if private:
            raise ApiError(
                "InvalidInput", "r53emu does not emulate private hosted zones (VPC, PrivateZone)"
            )
        if delegation_set_id is not None:
            raise ApiError(
                "NoSuchDelegationSet",
                f"r53emu does not emulate reusable delegation sets: {delegation_set_id}",
            )
        zone_name = _zone_name(name)
        if zone_name in self._by_name:
            raise ApiError(
                "ConflictingDomainExists",
                f"{listed_name(zone_name)} is already hosted zone {self._by_name[zone_name]}: "
                "r53emu serves one hosted zone per name (a second would share its name servers)",
            )
        if len(self._zones) >= self.max_zones:
            raise ApiError(
                "TooManyHostedZones",
                f"This operation would exceed the limit of {self.max_zones} hosted zones",
            )
        zone_id = self._new_zone_id()
        text = listed_name(zone_name)
        nameservers = apexdefaults.nameservers(text)
        record_sets = RecordSetIndex()
        apex = _apex_record_sets(text, nameservers)
        record_sets.apply({key_of(rs): rs for rs in apex})
        built = build_api_zone(
            zone_name, zone_id, apex, nameservers=nameservers, account=self.account
        )
        assert isinstance(built, Zone), built  # Route 53's defaults always build
        hosted = HostedZone(
            zone_id, zone_name, caller_reference, comment, nameservers, record_sets, built
        )
        self._zones[zone_id] = hosted
        self._by_reference[caller_reference] = zone_id
        self._by_name[zone_name] = zone_id
        bisect.insort(self._ids, zone_id)
        bisect.insort(self._by_reversed_name, (reversed_name(zone_name), zone_id))
        self._changed()
        return {
            "HostedZone": _hosted_zone(hosted),
            "ChangeInfo": self._change(None),
            "DelegationSet": _delegation_set(hosted),
            "Location": LOCATION + zone_id,
        }

    def get_hosted_zone(self, zone_id: str) -> Output:
        hosted = self.zone(zone_id)
        return {"HostedZone": _hosted_zone(hosted), "DelegationSet": _delegation_set(hosted)}

    def update_hosted_zone_comment(self, zone_id: str, comment: str | None) -> Output:
        """UpdateHostedZoneComment: an absent comment removes it."""
        hosted = self.zone(zone_id)
        hosted.comment = comment
        return {"HostedZone": _hosted_zone(hosted)}

    def delete_hosted_zone(self, zone_id: str) -> Output:
        """DeleteHostedZone: only a zone holding nothing but its apex SOA and NS."""
        hosted = self.zone(zone_id)
        if len(hosted.record_sets) > 2:
            raise ApiError(
                "HostedZoneNotEmpty",
                "The specified hosted zone contains non-required resource record sets and so "
                "cannot be deleted.",
            )
        del self._zones[hosted.id]
        del self._by_reference[hosted.caller_reference]
        del self._by_name[hosted.name]
        self._ids.remove(hosted.id)
        self._by_reversed_name.remove((reversed_name(hosted.name), hosted.id))
        self._changed()
        return {"ChangeInfo": self._change(None)}

    def hosted_zone_count(self) -> Output:
        return {"HostedZoneCount": len(self._zones)}

    def hosted_zone_limit(self, zone_id: str, limit_type: str) -> Output:
        """GetHostedZoneLimit: MAX_RRSETS_BY_ZONE; MAX_VPCS_ASSOCIATED_BY_ZONE is for private
        zones, and every zone here is public (HostedZoneNotPrivate, as Route 53 answers)."""
        hosted = self.zone(zone_id)
        if limit_type == "MAX_VPCS_ASSOCIATED_BY_ZONE":
            raise ApiError(
                "HostedZoneNotPrivate", f"The hosted zone {hosted.id} is not a private hosted zone"
            )
        return {
            "Limit": {"Type": limit_type, "Value": self.record_limit},
            "Count": len(hosted.record_sets),
        }

    def list_hosted_zones(
        self,
        marker: str | None,
        max_items: str | None,
        *,
        delegation_set_id: str | None = None,
        zone_type: str | None = None,
    ) -> Output:
        """ListHostedZones, by id: `marker` is the id of the first zone of the page."""
        if delegation_set_id is not None:
            raise ApiError(
                "NoSuchDelegationSet",
                f"r53emu does not emulate reusable delegation sets: {delegation_set_id}",
            )
        size = _page_size(max_items, MAX_ZONES_PAGE)
        ids = [] if zone_type == "PrivateHostedZone" else self._ids
        first = 0 if marker is None else bisect.bisect_left(ids, bare_id(marker, ZONE_PREFIX))
        page = ids[first : first + size + 1]
        output: Output = {
            "HostedZones": [_hosted_zone(self._zones[zone_id]) for zone_id in page[:size]],
            "Marker": marker or "",
            "IsTruncated": len(page) > size,
            "MaxItems": max_items or DEFAULT_PAGE,
        }
        if len(page) > size:
            output["NextMarker"] = page[size]
        return output

    def list_hosted_zones_by_name(
        self, dns_name: str | None, zone_id: str | None, max_items: str | None
    ) -> Output:
        """ListHostedZonesByName: by name with labels reversed, then id."""
        if zone_id is not None and dns_name is None:
            raise ApiError(
                "InvalidInput", "Invalid request: hostedzoneid requires dnsname (DNSName)"
            )
        size = _page_size(max_items, MAX_ZONES_PAGE)
        first = 0
        if dns_name is not None:
            try:
                start = reversed_name(parse_name(dns_name))
            except names.InvalidName as exc:
                raise ApiError("InvalidDomainName", str(exc)) from None
            bare = "" if zone_id is None else bare_id(zone_id, ZONE_PREFIX)
            first = bisect.bisect_left(self._by_reversed_name, (start, bare))
        page = self._by_reversed_name[first : first + size + 1]
        output: Output = {
            "HostedZones": [_hosted_zone(self._zones[zid]) for _, zid in page[:size]],
            "DNSName": dns_name,
            "HostedZoneId": zone_id,
            "IsTruncated": len(page) > size,
            "MaxItems": max_items or DEFAULT_PAGE,
        }
        if len(page) > size:
            following = self._zones[page[size][1]]
            output["NextDNSName"] = following.listed
            output["NextHostedZoneId"] = following.id
        return output

    # -- record sets and changes ------------------------------------------------------------------

    def change_resource_record_sets(self, zone_id: str, batch: Mapping[str, Any]) -> Output:
        """ChangeResourceRecordSets: the whole batch judged, then applied (`changebatch`)."""
        hosted = self.zone(zone_id)
        plan = plan_batch(
            hosted.target(),
            batch["Changes"],
            account=self.account,
            record_limit=self.record_limit,
        )
        hosted.record_sets.apply(plan.changed)
        hosted.zone = plan.zone
        self._changed()
        return {"ChangeInfo": self._change(batch.get("Comment"))}

    def list_resource_record_sets(
        self,
        zone_id: str,
        name: str | None = None,
        rtype: str | None = None,
        identifier: str | None = None,
        max_items: str | None = None,
    ) -> Output:
        """ListResourceRecordSets from the first record set at or after (name, type, id)."""
        hosted = self.zone(zone_id)
        size = _page_size(max_items, MAX_RECORD_SETS_PAGE)
        start: SortKey | None = None
        if rtype is not None and name is None:
            raise ApiError("InvalidInput", "Invalid request: type (StartRecordType) requires name")
        if identifier is not None and rtype is None:
            raise ApiError(
                "InvalidInput", "Invalid request: identifier (StartRecordIdentifier) requires type"
            )
        if name is not None:
            try:
                start = SortKey(reversed_name(parse_name(name)), rtype or "", identifier or "")
            except names.InvalidName as exc:
                raise ApiError("InvalidInput", f"Invalid request: name: {exc}") from None
        page = hosted.record_sets.page(start, size)
        output: Output = {
            "ResourceRecordSets": page.record_sets,
            "IsTruncated": page.next_key is not None,
            "MaxItems": max_items or DEFAULT_PAGE,
        }
        if page.next_key is not None:
            following = hosted.record_sets.get(page.next_key)
            assert following is not None
            output["NextRecordName"] = following["Name"]
            output["NextRecordType"] = following["Type"]
            if following.get("SetIdentifier") is not None:
                output["NextRecordIdentifier"] = following["SetIdentifier"]
        return output

    def get_change(self, change_id: str) -> Output:
        bare = bare_id(change_id, CHANGE_PREFIX)
        found = self._changes.get(bare)
        if found is None:
            raise ApiError("NoSuchChange", f"A change with the ID {bare} does not exist", 404)
        return {"ChangeInfo": found}

    # -- inside ------------------------------------------------------------------------------------

    def _changed(self) -> None:
        self.version += 1
        self._catalog = None

    def _change(self, comment: str | None) -> Output:
        """A new change, INSYNC at once: it is served before its response is sent."""
        change_id = self.ids.change_id()
        while change_id in self._changes:
            change_id = self.ids.change_id()
        info: Output = {
            "Id": CHANGE_PREFIX + change_id,
            "Status": "INSYNC",
            "SubmittedAt": self.clock(),
        }
        if comment is not None:
            info["Comment"] = comment
        self._changes[change_id] = info
        if len(self._changes) > KEPT_CHANGES:
            del self._changes[next(iter(self._changes))]
        return info

    def _new_zone_id(self) -> str:
        zone_id = self.ids.zone_id()
        while zone_id in self._zones:
            zone_id = self.ids.zone_id()
        return zone_id


def _zone_name(text: str) -> Name:
    """A new zone's name, refused as Route 53 refuses it (InvalidDomainName)."""
    try:
        name = parse_name(text)
    except names.InvalidName as exc:
        raise ApiError("InvalidDomainName", f"{text} is not a valid domain name: {exc}") from None
    if len(name) < 2:
        raise ApiError(
            "InvalidDomainName", f"{text}: Route 53 cannot host a zone for a top-level domain"
        )
    if name[0] == names.WILDCARD:
        raise ApiError(
            "InvalidDomainName", f"{text}: `*` cannot be the leftmost label of a zone name"
        )
    return name


def _apex_record_sets(text: str, nameservers: tuple[str, ...]) -> list[dict[str, Any]]:
    """The SOA and NS Route 53 puts in every new zone (semantics §1.1), in the API's shape."""
    soa = apexdefaults.SoaFields(mname=nameservers[0])
    return [
        {
            "Name": text,
            "Type": "NS",
            "TTL": apexdefaults.DEFAULT_NS_TTL,
            "ResourceRecords": [{"Value": server} for server in nameservers],
        },
        {
            "Name": text,
            "Type": "SOA",
            "TTL": soa.ttl,
            "ResourceRecords": [{"Value": soa.value()}],
        },
    ]


def _hosted_zone(hosted: HostedZone) -> Output:
    config: Output = {"PrivateZone": False}
    if hosted.comment is not None:
        config["Comment"] = hosted.comment
    return {
        "Id": ZONE_PREFIX + hosted.id,
        "Name": hosted.listed,
        "CallerReference": hosted.caller_reference,
        "Config": config,
        "ResourceRecordSetCount": len(hosted.record_sets),
    }


def _delegation_set(hosted: HostedZone) -> Output:
    # Route 53 lists a delegation set's servers without the trailing dot.
    return {"NameServers": [server.rstrip(".") for server in hosted.nameservers]}


def _page_size(max_items: str | None, cap: int) -> int:
    """MaxItems (a string in Route 53's XML): a whole number of at least 1; more than `cap`
    is `cap`, as Route 53 returns at most that many."""
    if max_items is None:
        return min(int(DEFAULT_PAGE), cap)
    text = max_items.strip()
    if not _WHOLE.fullmatch(text) or int(text) < 1:
        raise ApiError(
            "InvalidInput", f"Invalid request: maxitems must be a whole number, at least 1: {text}"
        )
    return min(int(text), cap)

"""Route 53's TestDNSAnswer API (semantics §6) as a pure function and its XML (§7.1).

`GET /2013-04-01/testdnsanswer?hostedzoneid=&recordname=&recordtype=[&resolverip=]
[&edns0clientsubnetip=][&edns0clientsubnetmask=]` reports what one of the zone's name servers
would put in the ANSWER section for that question. The answer is computed by the code that
answers real queries (`contexts.make_context` + `lookup.lookup`), restricted to the hosted zone
asked about, so the API and the wire can never disagree.

    result = test_dns_answer(catalog, request.query, rng=rng, health=health, locator=locator)
    body = response_xml(result)                       # 200
    # except TestDnsAnswerError as error: status error.status, body error_xml(error, request_id)

Decisions on the points semantics §9 item 18 calls UNCONFIRMED:
- `Nameserver` is the zone's first name server without the trailing dot, as in the API
  reference's example (`ns-2048.awsdns-64.com`).
- `RecordName` and `RecordType` echo the parameters exactly as sent (a trailing dot is kept when
  the caller sent one): the reference's example echoes its request's `www.example.com` as is.
- `RecordData` holds each ANSWER record's presentation text: TXT/SPF values quoted (`"v=spf1
  -all"`, as dig and ListResourceRecordSets show them), CNAME targets absolute with a dot.
- NXDOMAIN is reported as `NXDOMAIN`, NODATA (and a referral, whose ANSWER is empty) as
  `NOERROR`, both with an empty `RecordData`: the rcode of the real reply, as the model's
  description of `ResponseCode` says (an RCODE from the IANA list).
"""

from __future__ import annotations

import ipaddress
import random
import re
import xml.etree.ElementTree as ET  # only builds documents; nothing untrusted is parsed
from collections.abc import Mapping
from dataclasses import dataclass, replace

from r53emu.answer.contexts import make_context
from r53emu.answer.lookup import lookup
from r53emu.geo.locator import Locator
from r53emu.health.snapshot import HealthView
from r53emu.model import apexdefaults, names
from r53emu.model.catalog import Catalog, IPNetwork, Zone
from r53emu.model.dnsconstants import RCODE_NAMES, RECORD_TYPES
from r53emu.model.query import IPAddress

NAMESPACE = "https://route53.amazonaws.com/doc/2013-04-01/"
HOSTED_ZONE_PREFIX = "/hostedzone/"
PROTOCOL = "UDP"  # the checking tool asks over UDP, as make_context's transport says below

MAX_RECORD_NAME = 1024  # DNSName in the API model
_MASK = re.compile(r"[0-9]{1,3}")  # SubnetMask: a string of at most 3 characters
# Characters XML 1.0 cannot carry; echoed user input is escaped so the document stays valid.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class TestDnsAnswerError(Exception):
    """An error Route 53 would return: `code` (NoSuchHostedZone, InvalidInput), HTTP `status`
    and `message`, rendered by `error_xml`."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


@dataclass(frozen=True)
class TestDnsAnswer:
    """What the TestDNSAnswerResponse says, member for member (API model order)."""

    __test__ = False  # not a pytest test class, whatever its name

    nameserver: str
    record_name: str
    record_type: str
    record_data: tuple[str, ...]
    response_code: str
    protocol: str = PROTOCOL


@dataclass(frozen=True)
class _Question:
    """The validated parameters: which zone, what is asked, and for whom."""

    zone: Zone
    record_name: str
    qname: names.Name
    record_type: str
    client: IPAddress | None
    subnet: IPNetwork | None


def test_dns_answer(
    catalog: Catalog,
    params: Mapping[str, str],
    *,
    rng: random.Random,
    health: HealthView,
    locator: Locator | None,
) -> TestDnsAnswer:
    """The answer a name server of the zone gives, from the query parameters as received.

    Raises `TestDnsAnswerError`: InvalidInput (400) for a missing or malformed parameter,
    NoSuchHostedZone (404) for a zone that is not served.
    """
    question = _question(catalog, params)
    context = make_context(
        question.qname,
        RECORD_TYPES[question.record_type],
        locator,
        client=question.client,
        subnet=question.subnet,
        transport="udp",
    )
    # Only the zone asked about: its name servers know nothing of the other hosted zones, not
    # even of a more specific hosted zone for a name below this one.
    only_zone = replace(catalog, zones={question.zone.name: question.zone})
    answer = lookup(only_zone, context, rng, health)
    return TestDnsAnswer(
        nameserver=_nameserver(question.zone),
        record_name=question.record_name,
        record_type=question.record_type,
        record_data=tuple(record.text for record in answer.answer),
        response_code=RCODE_NAMES.get(answer.rcode, str(answer.rcode)),
    )


test_dns_answer.__test__ = False  # type: ignore[attr-defined]  # imported by tests; not a test


def response_xml(result: TestDnsAnswer) -> str:
    """The TestDNSAnswerResponse document (REST-XML, elements in the API model's order)."""
    root = ET.Element("TestDNSAnswerResponse", xmlns=NAMESPACE)
    _text(root, "Nameserver", result.nameserver)
    _text(root, "RecordName", result.record_name)
    _text(root, "RecordType", result.record_type)
    data = ET.SubElement(root, "RecordData")
    for value in result.record_data:
        _text(data, "RecordDataEntry", value)
    _text(root, "ResponseCode", result.response_code)
    _text(root, "Protocol", result.protocol)
    return _document(root)


def error_xml(error: TestDnsAnswerError, request_id: str) -> str:
    """Route 53's ErrorResponse document, the shape botocore reads for Route 53 errors."""
    root = ET.Element("ErrorResponse", xmlns=NAMESPACE)
    details = ET.SubElement(root, "Error")
    _text(details, "Type", "Sender")
    _text(details, "Code", error.code)
    _text(details, "Message", error.message)
    _text(root, "RequestId", request_id)
    return _document(root)


def _text(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, tag).text = _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", value)


def _document(root: ET.Element) -> str:
    # ElementTree escapes &, < and > in text and quotes in attributes.
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _invalid(message: str) -> TestDnsAnswerError:
    return TestDnsAnswerError("InvalidInput", 400, message)


def _violation(param: str, value: str | None, constraint: str) -> TestDnsAnswerError:
    """InvalidInput worded like AWS's validation errors, naming the query parameter."""
    shown = "null" if value is None else f"'{value}'"
    return _invalid(
        f"1 validation error detected: Value {shown} at '{param}' failed to satisfy "
        f"constraint: {constraint}"
    )


def _question(catalog: Catalog, params: Mapping[str, str]) -> _Question:
    zone_given = _required(params, "hostedzoneid")
    record_name = _required(params, "recordname")
    record_type = _required(params, "recordtype")
    if record_type not in RECORD_TYPES:
        # The RRType enum is case-sensitive in the API, so `a` is as invalid as `ANY`.
        raise _violation(
            "recordtype",
            record_type,
            "Member must satisfy enum value set: [" + ", ".join(RECORD_TYPES) + "]",
        )
    zone = _zone(catalog, zone_given)
    qname = _record_name(record_name, zone)
    client = _address(params, "resolverip")
    return _Question(
        zone=zone,
        record_name=record_name,
        qname=qname,
        record_type=record_type,
        client=client,
        subnet=_client_subnet(params),
    )


def _required(params: Mapping[str, str], param: str) -> str:
    value = params.get(param)
    if not value:
        raise _violation(param, value, "Member must not be null or empty")
    return value


def _optional(params: Mapping[str, str], param: str) -> str | None:
    # An empty value counts as absent: URL templates such as `...&resolverip=&...` (the shape
    # the admin API documents) send every parameter, most of them empty.
    return params.get(param) or None


def _zone(catalog: Catalog, given: str) -> Zone:
    """The hosted zone by id (`Z...` or `/hostedzone/Z...`, exact case) or by name.

    botocore strips `/hostedzone/` before sending (semantics §7.1); curl users may not. The zone
    name is an r53emu extension for zones whose id nobody remembers; ids are tried first.
    """
    zone_id = given.removeprefix(HOSTED_ZONE_PREFIX)
    for zone in catalog.zones.values():
        if zone.zone_id == zone_id:
            return zone
    try:
        by_name = catalog.zones.get(names.lower(names.parse(given)))
    except names.InvalidName:
        by_name = None
    if by_name is None:
        raise TestDnsAnswerError(
            "NoSuchHostedZone", 404, f"No hosted zone found with ID: {zone_id}"
        )
    return by_name


def _record_name(text: str, zone: Zone) -> names.Name:
    """The name asked about, which must lie in the zone.

    A name outside the hosted zone is InvalidInput (UNCONFIRMED: Route 53 documents no
    behaviour; its name servers would REFUSE such a query, and the API validates its input
    against the zone it names before asking, so an input error is the likely answer).
    """
    if len(text) > MAX_RECORD_NAME:
        raise _violation(
            "recordname", text, f"Member must have length less than or equal to {MAX_RECORD_NAME}"
        )
    try:
        qname = names.parse(text)
    except names.InvalidName as exc:
        raise _invalid(f"Invalid record name {text!r}: {exc}") from None
    if not names.is_within(names.lower(qname), zone.name):
        raise _invalid(
            f"RecordName {names.to_text(qname)} is not in hosted zone "
            f"{names.to_text(zone.name)} ({zone.zone_id})"
        )
    return qname


def _address(params: Mapping[str, str], param: str) -> IPAddress | None:
    text = _optional(params, param)
    if text is None:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise _violation(param, text, "Member must be an IPv4 or IPv6 address") from None


def _client_subnet(params: Mapping[str, str]) -> IPNetwork | None:
    """The EDNS0 client subnet: the address with its host bits cleared to the mask.

    The mask defaults to 24 bits for IPv4 and 64 for IPv6 (API reference); a mask without an
    address is InvalidInput, since it could only be silently ignored.
    """
    address = _address(params, "edns0clientsubnetip")
    mask_text = _optional(params, "edns0clientsubnetmask")
    if address is None:
        if mask_text is not None:
            raise _invalid("edns0clientsubnetmask is only valid with edns0clientsubnetip")
        return None
    bits = address.max_prefixlen
    if mask_text is None:
        mask = 24 if address.version == 4 else 64
    elif _MASK.fullmatch(mask_text) and int(mask_text) <= bits:
        mask = int(mask_text)
    else:
        raise _violation(
            "edns0clientsubnetmask",
            mask_text,
            f"Member must be a number of bits from 0 to {bits} for an IPv{address.version} "
            "edns0clientsubnetip",
        )
    return ipaddress.ip_network((address, mask), strict=False)


def _nameserver(zone: Zone) -> str:
    """The zone's first name server, without the trailing dot (the reference's example)."""
    first = zone.nameservers[0] if zone.nameservers else None
    if first is None:
        first = apexdefaults.nameservers(names.to_text(zone.name))[0]
    return first.removesuffix(".")

"""The values that flow through a lookup: what was asked, by whom, and what to answer.

Lookup is a pure function of (catalog, `QueryContext`, health view, rng) returning an `Answer`;
only the wire layer turns an `Answer` into bytes. Every answer carries its `why`: the steps that
chose it, which `r53emu answer` and the admin API's explain show.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field

from r53emu.model.catalog import IPNetwork, RecordGroup
from r53emu.model.location import UNLOCATED, ClientLocation
from r53emu.model.names import Name

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Outcome(enum.Enum):
    """How a lookup ended (CoreDNS's result enum, plus REFUSED for names in no hosted zone)."""

    ANSWER = "answer"
    CNAME = "cname"
    NODATA = "nodata"
    NXDOMAIN = "nxdomain"
    REFERRAL = "referral"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class QueryContext:
    """One question and who asked it.

    `qname` keeps the bytes the client sent (echoed in answers); `key` is its lower-case form
    used for matching. `subnet` is the EDNS Client Subnet when the query carried one.
    """

    qname: Name
    qtype: int
    client: IPAddress | None = None
    subnet: IPNetwork | None = None
    transport: str = "udp"
    location: ClientLocation = UNLOCATED

    @property
    def key(self) -> Name:
        return tuple(label.lower() for label in self.qname)


@dataclass(frozen=True, slots=True)
class ResourceRecord:
    """One record to put on the wire: owner, type, TTL and uncompressed rdata.

    `target` is the name a CNAME/MX/SRV/NS value points at (for the additional section).
    """

    name: Name
    rtype: int
    ttl: int
    rdata: bytes
    text: str
    target: Name | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One step of the why: which policy chose what among which candidates, and why."""

    name: Name
    rtype: int
    policy: str
    candidates: tuple[str, ...]
    chosen: tuple[str, ...]
    reason: str
    healthy: tuple[bool, ...] = ()  # health of each candidate, in the order of `candidates`


@dataclass(frozen=True, slots=True)
class Routed:
    """One routing decision, for machines: the group whose policy chose, and the positions in
    `group.members` of the record sets it chose (in members' order). `Decision` says the same
    for people."""

    group: RecordGroup
    chosen: tuple[int, ...]


@dataclass(frozen=True)
class Answer:
    """What to answer: rcode, AA flag, the three sections, and why.

    `location_dependent` tells the wire layer whether the choice used the client's location
    (then ECS is echoed with a non-zero scope). `routed` holds each routing decision, in the
    order of `why`, as values code may act on (the reply cache redraws from it).
    """

    outcome: Outcome
    rcode: int
    authoritative: bool
    answer: tuple[ResourceRecord, ...] = ()
    authority: tuple[ResourceRecord, ...] = ()
    additional: tuple[ResourceRecord, ...] = ()
    zone: Name | None = None
    why: tuple[Decision, ...] = ()
    notes: tuple[str, ...] = field(default=())
    location_dependent: bool = False
    routed: tuple[Routed, ...] = ()

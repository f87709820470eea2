"""What Route 53 puts in every new hosted zone: its id, four awsdns name servers and the SOA.

All three are derived from the zone name with a hash, so the same zone gets the same values on
every machine and every run (tests and TestDNSAnswer rely on stable ids and name servers).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

DEFAULT_NS_TTL = 172800  # semantics §1.1
DEFAULT_SOA_TTL = 900
DEFAULT_SOA_RNAME = "awsdns-hostmaster.amazon.com."
# SERIAL REFRESH RETRY EXPIRE MINIMUM as Route 53 creates them (semantics §1.1).
DEFAULT_SOA_TIMERS = (1, 7200, 900, 1209600, 86400)

# One server per top-level domain, in blocks of 512 numbers (semantics §1.1 naming pattern).
_NS_BLOCKS = (("com", 0), ("net", 512), ("org", 1024), ("co.uk", 1536))


def _digest(zone_text: str) -> bytes:
    return hashlib.sha256(zone_text.lower().encode("utf-8")).digest()


def zone_id(zone_text: str) -> str:
    """A stable Route 53-style hosted zone id: `Z` and 20 upper-case letters and digits."""
    encoded = base64.b32encode(_digest(zone_text)).decode("ascii")
    return "Z" + encoded[:20]


def nameservers(zone_text: str) -> tuple[str, ...]:
    """Four awsdns-style names `ns-N.awsdns-XX.TLD.` following Route 53's numbering.

    N is in 0..511 for .com, 512..1023 for .net, 1024..1535 for .org, 1536..2047 for .co.uk, and
    XX = (N mod 512) // 8 with two digits. This pattern is Inferred from real delegation sets
    (semantics §1.1); Route 53 publishes no rule.
    """
    digest = _digest(zone_text)
    names = []
    for index, (tld, base) in enumerate(_NS_BLOCKS):
        offset = int.from_bytes(digest[index * 2 : index * 2 + 2], "big") % 512
        number = base + offset
        names.append(f"ns-{number}.awsdns-{offset // 8:02d}.{tld}.")
    return tuple(names)


@dataclass(frozen=True, slots=True)
class SoaFields:
    """The seven SOA fields plus the record's TTL.

    An empty `mname` stands for the zone's first name server, which is only known once the
    zone's apex NS (defaults, `nameservers:` or an NS record set) is.
    """

    mname: str = ""
    rname: str = DEFAULT_SOA_RNAME
    serial: int = DEFAULT_SOA_TIMERS[0]
    refresh: int = DEFAULT_SOA_TIMERS[1]
    retry: int = DEFAULT_SOA_TIMERS[2]
    expire: int = DEFAULT_SOA_TIMERS[3]
    minimum: int = DEFAULT_SOA_TIMERS[4]
    ttl: int = DEFAULT_SOA_TTL

    def value(self) -> str:
        """The SOA value in presentation format."""
        return (
            f"{self.mname} {self.rname} {self.serial} {self.refresh} {self.retry} "
            f"{self.expire} {self.minimum}"
        )

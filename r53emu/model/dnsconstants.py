"""DNS code points, each defined once: rcodes, record types, classes and EDNS option codes.

The wire reader and renderer, the fast path, the lookup, the zone loader, the explanation, the
query log, the metrics and TestDNSAnswer all take these numbers (IANA's DNS parameters) and
their names from here. Presentation-format parsing of record values is `r53emu.model.rdata`.
"""

from __future__ import annotations

# --- Response codes (RFC 1035 §4.1.1; BADVERS is an extended rcode, RFC 6891 §6.1.3) ---------

RCODE_NOERROR = 0
RCODE_FORMERR = 1
RCODE_SERVFAIL = 2
RCODE_NXDOMAIN = 3
RCODE_NOTIMP = 4
RCODE_REFUSED = 5
RCODE_BADVERS = 16

# The names of the rcodes an answered query can get, as the explanation, the query log, the
# metrics and TestDNSAnswer's ResponseCode show them; any other rcode is shown as its number.
RCODE_NAMES: dict[int, str] = {
    RCODE_NOERROR: "NOERROR",
    RCODE_FORMERR: "FORMERR",
    RCODE_SERVFAIL: "SERVFAIL",
    RCODE_NXDOMAIN: "NXDOMAIN",
    RCODE_NOTIMP: "NOTIMP",
    RCODE_REFUSED: "REFUSED",
}

# --- Record types ----------------------------------------------------------------------------

# The Route 53 RRType enum (semantics §1.3), with wire type codes.
TYPE_A = 1
TYPE_NS = 2
TYPE_CNAME = 5
TYPE_SOA = 6
TYPE_PTR = 12
TYPE_MX = 15
TYPE_TXT = 16
TYPE_AAAA = 28
TYPE_SRV = 33
TYPE_NAPTR = 35
TYPE_DS = 43
TYPE_SSHFP = 44
TYPE_TLSA = 52
TYPE_SVCB = 64
TYPE_HTTPS = 65
TYPE_SPF = 99
TYPE_CAA = 257

# The Route 53 types by name, in the enum's order (TestDNSAnswer's error lists them so).
RECORD_TYPES: dict[str, int] = {
    "A": TYPE_A,
    "NS": TYPE_NS,
    "CNAME": TYPE_CNAME,
    "SOA": TYPE_SOA,
    "PTR": TYPE_PTR,
    "MX": TYPE_MX,
    "TXT": TYPE_TXT,
    "AAAA": TYPE_AAAA,
    "SRV": TYPE_SRV,
    "NAPTR": TYPE_NAPTR,
    "DS": TYPE_DS,
    "SSHFP": TYPE_SSHFP,
    "TLSA": TYPE_TLSA,
    "SVCB": TYPE_SVCB,
    "HTTPS": TYPE_HTTPS,
    "SPF": TYPE_SPF,
    "CAA": TYPE_CAA,
}
TYPE_NAMES: dict[int, str] = {code: name for name, code in RECORD_TYPES.items()}

# Meta types the server handles: the EDNS pseudo-record (RFC 6891), zone transfers (refused)
# and ANY questions (RFC 1035 §3.2.3).
TYPE_OPT = 41
TYPE_IXFR = 251
TYPE_AXFR = 252
TYPE_ANY = 255


def type_name(rtype: int) -> str:
    """A type's mnemonic: `A`, `ANY`, else `TYPE<number>` (RFC 3597) for a type Route 53 lacks."""
    return TYPE_NAMES.get(rtype, "ANY" if rtype == TYPE_ANY else f"TYPE{rtype}")


# --- Classes (RFC 1035 §3.2.4) ---------------------------------------------------------------

CLASS_IN = 1
CLASS_ANY = 255  # QCLASS `*` (RFC 1035 §3.2.5)

# --- EDNS option codes (RFC 6891 §6.1.2) -----------------------------------------------------

OPTION_ECS = 8  # EDNS Client Subnet (RFC 7871)

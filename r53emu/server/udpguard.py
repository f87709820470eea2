"""The amplification guard: what UDP clients beyond loopback get instead of Route 53's full answers.

Route 53 answers ANY with every record set at the name and sends replies as large as the client's
EDNS payload allows; r53emu does the same for loopback clients (tests), which must see exactly
what Route 53 answers. Anyone else reaching r53emu over UDP could use it as a reflector (a 40-byte
query with a spoofed source; a 4,000-byte reply at the victim), so for them, by default:

* ANY is answered as RFC 8482 §4.2 recommends: one synthesized `HINFO "RFC8482" ""` record at
  the name (TTL 3600) when the name has records; NXDOMAIN and NODATA as usual. Over TCP (no
  source is spoofed there) ANY keeps the full answer.
* A reply is at most `AMPLIFICATION_FACTOR` times the size of its query; a larger one is cut as
  a client's small EDNS payload would cut it (the additional section first, then TC=1 with the
  question only), so the client asks again over TCP.
* At most `rate` replies per second go to each /24 or /56 (`ratelimit.ResponseRateLimit`); over
  it, every second one is a bare TC=1 reply and the others are dropped.

`--amplification-guard` chooses whom it applies to: `beyond-loopback` (the default), `all`
(loopback too: how tests see what a remote client gets) or `off`; `--rate-limit N` sets the rate
(0: no rate limit, the other two still apply). docs/limits.md lists them.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable
from typing import Protocol

from r53emu.model.query import Answer, Outcome, ResourceRecord
from r53emu.server.logthrottle import LogThrottle
from r53emu.server.quickread import NO_EDNS, read_query
from r53emu.server.ratelimit import ResponseRateLimit, Verdict, client_prefix, prefix_text
from r53emu.server.wire import FLAG_QR, FLAG_TC, reply_opt

logger = logging.getLogger("r53emu.guard")

GUARD_SCOPES = ("beyond-loopback", "all", "off")
DEFAULT_SCOPE = "beyond-loopback"
RATE_LIMIT = 100  # replies per second per client prefix
AMPLIFICATION_FACTOR = 10  # a guarded UDP reply is at most this many times its query's size
HINFO_TTL = 3600  # RFC 8482 §4.2 leaves it to the operator and gives 3600 as an example
TYPE_HINFO = 13  # RFC 1035 §3.3.2; not a type Route 53 serves, only this synthesized record
_HINFO_RDATA = b"\x07RFC8482\x00"  # CPU "RFC8482", OS "" (RFC 8482 §4.2)
_HEADER = struct.Struct("!HHHHHH")


class GuardedHandler(Protocol):
    """What the guard needs of the query handler."""

    def handle(
        self, packet: bytes, client_ip: str, transport: str, cap: int | None = None
    ) -> bytes | None: ...


def is_loopback(ip: str) -> bool:
    """127.0.0.0/8, ::1 and IPv4-mapped loopback (text as the socket gives it)."""
    return ip.startswith("127.") or ip == "::1" or ip.startswith("::ffff:127.")


class UdpGuard:
    """Applies the guard (module docstring) to the UDP clients `scope` names."""

    def __init__(
        self,
        scope: str = DEFAULT_SCOPE,
        rate: int = RATE_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if scope not in GUARD_SCOPES:
            raise ValueError(f"amplification guard {scope!r}: choose one of {GUARD_SCOPES}")
        self.scope = scope
        self.limit = ResponseRateLimit(rate) if rate > 0 else None
        self._clock = clock
        self._log = LogThrottle(logger)

    def applies(self, client_ip: str) -> bool:
        if self.scope == "beyond-loopback":
            return not is_loopback(client_ip)
        return self.scope == "all"

    def reply(self, handler: GuardedHandler, packet: bytes, client_ip: str) -> bytes | None:
        """The reply to a UDP query from a guarded client (None: send nothing)."""
        limit = self.limit
        if limit is not None:
            verdict = limit.admit(client_prefix(client_ip), self._clock())
            if verdict is not Verdict.ANSWER:
                self._log.log(
                    logging.WARNING,
                    "rate",
                    "UDP replies to %s over %d per second: dropped, every %s sent truncated "
                    "(--rate-limit)",
                    prefix_text(client_ip),
                    limit.rate,
                    "second" if limit.slip == 2 else f"{limit.slip}th",
                )
                return slip_reply(packet) if verdict is Verdict.SLIP else None
        return handler.handle(packet, client_ip, "udp", AMPLIFICATION_FACTOR * len(packet))


def slip_reply(packet: bytes) -> bytes | None:
    """A truncated reply to an ordinary query (TC=1, question only, a bare OPT if it had one),
    never larger than the query; None for anything else (then nothing is sent)."""
    quick = read_query(packet)
    if quick is None:
        return None
    question, edns, _subnet = quick
    flags = FLAG_QR | FLAG_TC | (int.from_bytes(packet[2:4]) & 0x0110)  # RD and CD copied
    opt = b"" if edns == NO_EDNS else reply_opt(bool(edns))
    head = _HEADER.pack(int.from_bytes(packet[:2]), flags, 1, 0, 0, 1 if opt else 0)
    return head + question + opt


def minimal_any(answer: Answer) -> Answer:
    """An ANY answer as RFC 8482 §4.2 recommends: one HINFO "RFC8482" "" record at the name
    in place of every record set (negative answers stay as they are). It keeps whether the
    location chose, but not the draws: which records a weighted or multivalue policy drew does
    not change it, so the reply cache keeps it as one reply."""
    if answer.outcome is not Outcome.ANSWER or not answer.answer:
        return answer
    owner = answer.answer[0].name
    hinfo = ResourceRecord(owner, TYPE_HINFO, HINFO_TTL, _HINFO_RDATA, 'HINFO "RFC8482" ""')
    note = "ANY over UDP from a guarded client: one HINFO record (RFC 8482 §4.2); ask over TCP"
    return Answer(
        outcome=answer.outcome,
        rcode=answer.rcode,
        authoritative=answer.authoritative,
        answer=(hinfo,),
        authority=answer.authority,
        zone=answer.zone,
        why=answer.why,
        notes=(*answer.notes, note),
        location_dependent=answer.location_dependent,
    )

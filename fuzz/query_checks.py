"""What a reply to a query must be, worked out from the query's bytes alone.

`expect` reads a query with the fuzzer's own reader (`dnswire`) and says which reply r53emu owes
it, following the rules wire.py documents (and the RFCs it cites): none for a packet shorter
than a header or with QR=1; NOTIMP (header only, RD clear) for another opcode; FORMERR (header
only, RD copied) when QDCOUNT is not 1, the counted records cannot be read, there is more than
one OPT, an OPT not owned by the root, or a bad option or ECS option (RFC 7871 §6); BADVERS for an
EDNS version above 0; else an answer. `check_reply` raises `Broken` when a reply breaks that or
any rule every reply keeps: ID and question echoed (same bytes, case kept), QR set, opcode
copied, RA/Z/AD clear, RD and CD copied, never SERVFAIL (an internal error), OPT exactly when
the query had one (payload 4096, DO copied, ECS echoed with scope 0 or the source prefix), a
UDP reply within max(512, min(payload, 4096)) bytes (512 without EDNS), TC only over UDP and
then with empty sections, and a reply dnspython reads.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass

import dns.exception
import dns.message

from fuzz import dnswire
from fuzz.dnswire import Message, Question, WireError
from fuzz.engine import Broken

UDP_PLAIN_LIMIT, EDNS_PAYLOAD, TCP_LIMIT = 512, 4096, 65535
NONE, NOTIMP, FORMERR, BADVERS, ANSWER = "none", "notimp", "formerr", "badvers", "answer"
ANSWER_RCODES = frozenset({dnswire.RCODE_NOERROR, dnswire.RCODE_NXDOMAIN, dnswire.RCODE_REFUSED})


@dataclass(frozen=True, slots=True)
class Expectation:
    """The reply a query is owed (`kind`), and what it must copy from the query."""

    kind: str
    why: str
    ident: int = 0
    opcode: int = 0
    rd: bool = False
    cd: bool = False
    question: Question | None = None
    edns: bool = False  # the query had one OPT
    dnssec_ok: bool = False
    payload: int = 0  # the OPT's UDP payload field, as sent
    ecs: bytes | None = None  # the ECS option's data

    @property
    def udp_limit(self) -> int:
        if not self.edns:
            return UDP_PLAIN_LIMIT
        return max(UDP_PLAIN_LIMIT, min(self.payload, EDNS_PAYLOAD))


def expect(packet: bytes) -> Expectation:
    if len(packet) < dnswire.HEADER.size:
        return Expectation(NONE, "shorter than a header")
    ident, flags, qdcount, _an, _ns, _ar = dnswire.HEADER.unpack_from(packet)
    opcode, rd, cd = (flags >> 11) & 0xF, bool(flags & dnswire.FLAG_RD), bool(flags & 0x10)
    if flags & dnswire.FLAG_QR:
        return Expectation(NONE, "QR=1")
    if opcode != 0:
        return Expectation(NOTIMP, f"opcode {opcode}", ident, opcode, rd)
    formerr = Expectation(FORMERR, "", ident, opcode, rd)
    if qdcount != 1:
        return _why(formerr, f"QDCOUNT {qdcount}")
    try:
        message = dnswire.read_message(packet, trailing_ok=True)
    except WireError as exc:
        return _why(formerr, str(exc))
    question = message.questions[0]
    opts = message.opts
    if len(opts) > 1:
        return _why(formerr, "more than one OPT")
    answer = Expectation(ANSWER, "a query", ident, opcode, rd, cd, question)
    if not opts:
        return answer
    opt = opts[0]
    if opt.owner:
        return _why(formerr, "OPT owner not the root")
    version, dnssec_ok = (opt.ttl >> 16) & 0xFF, bool(opt.ttl & 0x8000)
    if version:
        return Expectation(
            BADVERS, f"EDNS version {version}", ident, opcode, rd, cd, question, True, dnssec_ok
        )
    try:
        options = dnswire.read_options(opt.rdata)
    except WireError as exc:
        return _why(formerr, str(exc))
    subnets = [data for code, data in options if code == dnswire.OPTION_ECS]
    if len(subnets) > 1:
        return _why(formerr, "two ECS options")
    ecs = subnets[0] if subnets else None
    problem = ecs_problem(ecs)
    if problem is not None:
        return _why(formerr, problem)
    return Expectation(
        ANSWER, "an EDNS query", ident, opcode, rd, cd, question, True, dnssec_ok, opt.rclass, ecs
    )


def ecs_problem(ecs: bytes | None) -> str | None:
    return None if ecs is None else dnswire.ecs_problem(ecs)


def _why(expectation: Expectation, why: str) -> Expectation:
    return Expectation(expectation.kind, why, expectation.ident, expectation.opcode, expectation.rd)


def check_reply(expected: Expectation, reply: bytes | None, transport: str) -> Message | None:
    """The reply read, or None when none is owed; raises `Broken` at the first rule broken."""
    if expected.kind == NONE:
        if reply is not None:
            raise Broken("reply-to-no-query", f"a {len(reply)}-byte reply ({expected.why})")
        return None
    if reply is None:
        raise Broken("no-reply", f"no reply, but {expected.kind} was owed ({expected.why})")
    try:
        message = dnswire.read_message(reply)
    except WireError as exc:
        raise Broken(
            "unreadable-reply",
            f"{exc} in the {len(reply)}-byte reply over {transport}: {reply.hex()}",
        ) from None
    flags = message.flags
    problems = _header_problems(expected, message, len(reply), transport)
    if not problems and expected.kind in (NOTIMP, FORMERR):
        want = dnswire.RCODE_NOTIMP if expected.kind == NOTIMP else dnswire.RCODE_FORMERR
        if len(reply) != dnswire.HEADER.size or flags & 0xF != want:
            problems.append(f"not a header-only {expected.kind} ({expected.why})")
    elif not problems:
        problems = _answer_problems(expected, message)
    if problems:
        raise Broken(problems[0].split(":")[0], "; ".join(problems) + f"\nreply: {reply.hex()}")
    readable_by_dnspython(reply, message)
    return message


def _header_problems(
    expected: Expectation, message: Message, size: int, transport: str
) -> list[str]:
    flags, problems = message.flags, []
    if message.ident != expected.ident:
        problems.append(f"id: {message.ident} for query {expected.ident}")
    if not flags & dnswire.FLAG_QR:
        problems.append("qr: QR clear in a reply")
    if message.opcode != expected.opcode:
        problems.append(f"opcode: {message.opcode} for query opcode {expected.opcode}")
    if flags & (dnswire.FLAG_RA | dnswire.FLAG_Z | dnswire.FLAG_AD):
        problems.append(f"flags: RA, Z or AD set ({flags:#06x})")
    rd_owed = expected.rd and expected.opcode == 0
    if bool(flags & dnswire.FLAG_RD) != rd_owed:
        problems.append(f"rd: RD {'set' if flags & dnswire.FLAG_RD else 'clear'} ({expected.why})")
    if transport == "udp" and size > expected.udp_limit:
        problems.append(f"udp-size: {size} bytes over UDP, limit {expected.udp_limit}")
    if size > TCP_LIMIT:
        problems.append(f"size: {size} bytes")
    if flags & dnswire.FLAG_TC and transport != "udp":
        problems.append("tc: TC over TCP")
    if flags & 0xF == dnswire.RCODE_SERVFAIL:
        problems.append("servfail: SERVFAIL (an internal error)")
    return problems


def _answer_problems(expected: Expectation, message: Message) -> list[str]:
    problems = []
    if message.questions != (expected.question,):
        problems.append(f"question: {message.questions} for {expected.question}")
    if bool(message.flags & dnswire.FLAG_CD) != expected.cd:
        problems.append("cd: CD not copied")
    opts = message.opts
    if not expected.edns:
        if opts:
            problems.append("opt: an OPT in the reply to a query without one")
        elif message.rcode not in ANSWER_RCODES:
            problems.append(f"rcode: {message.rcode}")
    elif len(opts) != 1 or message.additional[-1].rtype != dnswire.TYPE_OPT:
        problems.append("opt: not one OPT, last in the additional section")
    else:
        problems += _opt_problems(expected, message, opts[0])
    if message.flags & dnswire.FLAG_TC and (
        message.answer or message.authority or len(message.additional) != len(opts)
    ):
        problems.append("tc: TC with records left in")
    return problems


def _opt_problems(expected: Expectation, message: Message, opt: dnswire.Record) -> list[str]:
    problems = []
    rcode = message.rcode
    if expected.kind == BADVERS and rcode != dnswire.RCODE_BADVERS:
        problems.append(f"rcode: {rcode} for EDNS version above 0")
    if expected.kind == ANSWER and rcode not in ANSWER_RCODES:
        problems.append(f"rcode: {rcode}")
    if opt.owner or opt.rclass != EDNS_PAYLOAD or (opt.ttl >> 16) & 0xFF:
        problems.append(f"opt: owner, payload {opt.rclass} or version {(opt.ttl >> 16) & 0xFF}")
    if bool(opt.ttl & 0x8000) != expected.dnssec_ok or opt.ttl & 0x7FFF:
        problems.append(f"opt: EDNS flags {opt.ttl & 0xFFFF:#06x}, DO not copied or others set")
    try:
        options = dnswire.read_options(opt.rdata)
    except WireError as exc:
        return [*problems, f"opt: {exc}"]
    echoed = [data for code, data in options if code == dnswire.OPTION_ECS]
    if expected.kind == BADVERS or expected.ecs is None:
        if echoed:
            problems.append("ecs: an ECS option the query did not send")
        return problems
    sent = expected.ecs
    if len(echoed) != 1 or len(echoed[0]) != len(sent):
        return [*problems, "ecs: the ECS option not echoed once"]
    _family, source, scope = struct.unpack_from("!HBB", echoed[0])
    if echoed[0][:3] != sent[:3] or echoed[0][4:] != sent[4:] or scope not in (0, source):
        problems.append(f"ecs: echoed {echoed[0].hex()} for {sent.hex()}")
    return problems


# Replies dnspython read, by what they hold (most recent last): replies that differ only in the
# order of their records (and so in their compression pointers, which `dnswire` checked) are
# read once, as reading costs ~0.5 ms a reply.
_READABLE: OrderedDict[tuple[object, ...], None] = OrderedDict()


def readable_by_dnspython(reply: bytes, message: Message) -> None:
    """dnspython reads the reply (its records' values included)."""
    key = message.summary[1:]
    if key in _READABLE:
        _READABLE.move_to_end(key)
        return
    try:
        dns.message.from_wire(reply)
    except dns.exception.DNSException as exc:
        raise Broken(
            "dnspython",
            f"dnspython cannot read the {len(reply)}-byte reply: {exc!r}: {reply.hex()}",
        ) from None
    _READABLE[key] = None
    if len(_READABLE) > 20_000:
        _READABLE.popitem(last=False)

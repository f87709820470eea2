"""ANY answers too large for any DNS message: the record sets that fit, whole (defect 6).

A name and type whose answer cannot fit 65,535 bytes is refused when zones load
(`zonefiles.zonebuild`), but ANY puts every type at a name in one answer: six types of 400 values
each come to more than a TCP message can carry, and the reply was TC=1 with no records even over
TCP, which no client can use. RFC 8482 §4.1 lets a responder answer ANY with a subset of the
record sets at the name; r53emu keeps them in type order for as long as they fit whole, with the
authority section, and drops the additional section. What Route 53 does here is not documented.
"""

from __future__ import annotations

from dataclasses import replace

from r53emu.model.query import Answer
from r53emu.server.wire import OPT_ROOM, TCP_LIMIT, ParsedQuery, pack_sections

HEADER_BYTES = 12
ROOM = TCP_LIMIT - HEADER_BYTES - OPT_ROOM


def fit_any(query: ParsedQuery, answer: Answer) -> Answer:
    """`answer` itself when its reply fits a TCP message whatever the OPT; else the longest run
    of its answer record sets, from the first, that fits with the authority section."""
    if _fits(query, answer):
        return answer
    boundaries = _rrset_starts(answer)
    for end in reversed(boundaries):
        candidate = replace(answer, answer=answer.answer[:end], additional=())
        if _fits(query, candidate):
            kept = len({(r.rtype) for r in candidate.answer})
            note = (
                f"ANY: {kept} of {len(boundaries)} record sets fit a 65,535-byte message "
                "(RFC 8482 §4.1); ask for each type for the rest"
            )
            return replace(candidate, notes=(*answer.notes, note))
    return replace(answer, answer=(), additional=())


def _fits(query: ParsedQuery, answer: Answer) -> bool:
    packed = pack_sections(query, answer, ROOM)
    return packed.complete and len(packed.body) <= ROOM


def _rrset_starts(answer: Answer) -> list[int]:
    """Where each record set of the answer section starts, after the first (a cut there keeps
    whole record sets)."""
    records = answer.answer
    return [
        index
        for index in range(1, len(records))
        if (records[index].name, records[index].rtype)
        != (records[index - 1].name, records[index - 1].rtype)
    ]

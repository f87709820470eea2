"""Why an answer was chosen, as data (for JSON) and as text (for `r53emu answer`).

The data come straight from the `Answer` value the lookup returned: the hosted zone, the client
location used, and one decision per record group consulted (policy, candidates with their health,
the record chosen, the reason), in the order they were made.
"""

from __future__ import annotations

from typing import Any

import dns.rdatatype

from r53emu.model import names
from r53emu.model.dnsconstants import RCODE_NAMES, type_name
from r53emu.model.names import Name
from r53emu.model.query import Answer, QueryContext, ResourceRecord


def parse_question(name: str, type_text: str) -> tuple[Name, int]:
    """(qname, qtype) from text, e.g. ("www.example.test", "A"); ValueError says what is wrong."""
    try:
        qtype = int(dns.rdatatype.from_text(type_text.upper()))
    except dns.rdatatype.UnknownRdatatype:
        raise ValueError(f"{type_text!r} is not a DNS record type") from None
    if not name:
        raise ValueError("a name to ask for is needed, e.g. www.example.test")
    try:
        return names.parse(name), qtype
    except names.InvalidName as exc:
        raise ValueError(str(exc)) from None


def record_text(record: ResourceRecord) -> str:
    """One record as a zone-file line: `www.example.test. 60 IN A 192.0.2.1`."""
    return f"{names.to_text(record.name)} {record.ttl} IN {type_name(record.rtype)} {record.text}"


def explanation(query: QueryContext, answer: Answer) -> dict[str, Any]:
    """The answer and its why as plain JSON-ready data."""
    client: dict[str, Any] = {
        "address": str(query.client) if query.client else None,
        "subnet": str(query.subnet) if query.subnet else None,
        "location": query.location.describe(),
        "country": query.location.country,
        "subdivision": query.location.subdivision,
        "continent": query.location.continent,
        "coordinates": list(query.location.point),
    }
    return {
        "question": {"name": names.to_text(query.qname), "type": type_name(query.qtype)},
        "rcode": RCODE_NAMES.get(answer.rcode, str(answer.rcode)),
        "authoritative": answer.authoritative,
        "outcome": answer.outcome.value,
        "zone": names.to_text(answer.zone) if answer.zone is not None else None,
        "client": client,
        "answer": [record_text(record) for record in answer.answer],
        "authority": [record_text(record) for record in answer.authority],
        "additional": [record_text(record) for record in answer.additional],
        "decisions": [
            {
                "name": names.to_text(decision.name),
                "type": type_name(decision.rtype),
                "policy": decision.policy,
                "candidates": [
                    {"record": label, "healthy": healthy}
                    for label, healthy in zip(decision.candidates, decision.healthy, strict=False)
                ],
                "chosen": list(decision.chosen),
                "reason": decision.reason,
            }
            for decision in answer.why
        ],
        "notes": list(answer.notes),
    }


def render_text(data: dict[str, Any]) -> str:
    """The explanation as dig-like sections followed by the why."""
    question = data["question"]
    flags = "qr aa" if data["authoritative"] else "qr"
    lines = [
        f";; {question['name']} {question['type']}: status {data['rcode']}, flags {flags}",
        f";; client: {_client_text(data['client'])}",
    ]
    for section in ("answer", "authority", "additional"):
        if data[section]:
            lines.append(f";; {section.upper()}")
            lines.extend(data[section])
    lines.append(";; WHY")
    lines.extend(f"- {note}" for note in data["notes"])
    for decision in data["decisions"]:
        candidates = ", ".join(
            f"{c['record']} ({'healthy' if c['healthy'] else 'unhealthy'})"
            for c in decision["candidates"]
        )
        lines.append(
            f"- {decision['name']} {decision['type']}: {decision['policy']} routing among "
            f"[{candidates}] chose [{', '.join(decision['chosen'])}]: {decision['reason']}"
        )
    return "\n".join(lines)


def _client_text(client: dict[str, Any]) -> str:
    where = client["subnet"] or client["address"] or "no address"
    return f"{where}, located {client['location']}"

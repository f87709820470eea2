"""`--query-log FILE|-`: one JSON line per answered query, flushed line by line.

The fields are those of Route 53's DNS query logging, in its order (version, timestamp, hosted
zone id, query name, query type, response code, protocol, edge location, resolver IP, EDNS
client subnet), as JSON keys, plus what r53emu knows that Route 53 doesn't log: the hosted
zone's name, the routing policy and the set identifiers chosen (none for simple routing, whose
record sets have no SetIdentifier). Example:

    {"version": "1.100000", "timestamp": "2026-11-24T12:00:00.123Z",
     "hosted_zone_id": "Z0EXAMPLETEST", "zone": "example.test.",
     "query_name": "www.example.test", "query_type": "A", "response_code": "NOERROR",
     "protocol": "UDP", "edge_location": "r53emu", "resolver_ip": "127.0.0.1",
     "edns_client_subnet": "198.51.100.0/24", "policy": "weighted", "set_identifiers": ["blue"]}

Route 53 writes the query name without the final dot and "-" for an absent subnet; JSON uses
null for absent values instead.

A query log that cannot be written (standard output piped to a reader that has gone, a full
disk) is given up with one warning: the server goes on answering.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from r53emu.model import names
from r53emu.model.dnsconstants import RCODE_NAMES, type_name
from r53emu.server.queryevents import QueryEvent

logger = logging.getLogger("r53emu")

LOG_FORMAT_VERSION = "1.100000"  # the version field Route 53's query logs carry
EDGE_LOCATION = "r53emu"


def log_record(event: QueryEvent) -> dict[str, Any]:
    """The JSON object logged for one query."""
    stamp = datetime.fromtimestamp(event.timestamp, UTC)
    return {
        "version": LOG_FORMAT_VERSION,
        "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
        "hosted_zone_id": event.zone_id,
        "zone": names.to_text(event.zone) if event.zone is not None else None,
        "query_name": names.to_text(event.qname).rstrip(".") or ".",
        "query_type": type_name(event.qtype),
        "response_code": RCODE_NAMES.get(event.rcode, str(event.rcode)),
        "protocol": event.transport.upper(),
        "edge_location": EDGE_LOCATION,
        "resolver_ip": event.client_ip,
        "edns_client_subnet": event.client_subnet,
        "policy": event.policy,
        "set_identifiers": list(event.set_identifiers),
    }


def discard_output(stream: TextIO) -> None:
    """Point `stream`'s file descriptor at /dev/null: what is still buffered cannot be written
    (its reader is gone, its disk full), and would otherwise fail again, and complain on
    stderr, when the stream is flushed at exit. Used for the query log and for stdout."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)


class QueryLog:
    """Writes `log_record(event)` lines to an open text stream; `observe` is a QueryObserver."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.given_up = False  # a write failed: nothing more is written

    def observe(self, event: QueryEvent) -> None:
        if self.given_up:
            return
        try:
            self.stream.write(json.dumps(log_record(event), separators=(", ", ": ")) + "\n")
            self.stream.flush()
        except (OSError, ValueError) as exc:  # ValueError: a closed stream
            # Raised here, it would reach the handler (which survives it, but counts it).
            self._give_up(exc)

    def _give_up(self, exc: OSError | ValueError) -> None:
        self.given_up = True
        where = "standard output" if self.stream is sys.stdout else getattr(self.stream, "name", "")
        logger.warning("query log: cannot write to %s (%s); no more queries are logged", where, exc)
        if isinstance(exc, OSError):
            # What is still buffered would be written, and fail again, when the stream is
            # closed at exit (a broken pipe, a full disk, /dev/full): send it nowhere.
            with contextlib.suppress(OSError, ValueError):  # ValueError: a stream without fd
                discard_output(self.stream)

"""One HTTP request of Route 53's API in, one `Reply` out: route, parse, run, serialize.

    dispatcher = ApiDispatcher(zones)
    reply = dispatcher.handle("POST", "/2013-04-01/hostedzone", query, headers, body)
    # reply.status, reply.headers, reply.body: send them as they are

It knows nothing of aiohttp or sockets, so any HTTP server can mount it: pass the method, the
raw path (percent-escapes kept, as aiohttp's `request.raw_path`), the query (a multidict or
`parse_qs` lists), the headers and the body (read with at most `max_body(...)` bytes). Every
failure is Route 53's error document: a path no operation takes (InvalidAction, 404 or 405), an
operation r53emu does not emulate (NotImplemented, 501, naming it), the client's mistakes
(`ApiError`), and r53emu's own bugs (InternalFailure, 500, logged with the traceback, which never
goes to the client).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from r53emu.api.errors import ApiError, Reply, no_such_operation, render_error
from r53emu.api.hostedzones import ApiZones
from r53emu.api.operations import OPERATIONS
from r53emu.api.restxml import DEFAULT_MAX_BODY, body_limit, parse_request, serialize_response
from r53emu.api.servicemodel import API_VERSION, route_table

_log = logging.getLogger(__name__)


class ChangeJournal(Protocol):
    """Told of each operation before it runs (it may refuse it: `ApiError`) and of each one
    that succeeded, before its reply is made (`durable.DurableZones`: on disk by then)."""

    def starting(self, operation: str) -> None: ...

    def changed(self, operation: str, params: dict[str, Any]) -> None: ...


class ApiDispatcher:
    """Serves Route 53's API from `zones`; one call per request, never raising. With a
    `journal`, every change is kept before it is acknowledged."""

    def __init__(self, zones: ApiZones, journal: ChangeJournal | None = None) -> None:
        self.zones = zones
        self.journal = journal

    def handle(
        self,
        method: str,
        raw_path: str,
        query: Mapping[str, str] | Mapping[str, Sequence[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Reply:
        request_id = self.zones.ids.request_id()
        name = "?"
        try:
            match = route_table().find(method, raw_path)
            if match is None:
                allowed = route_table().allowed_methods(raw_path)
                raise no_such_operation(method, raw_path, allowed)
            name = match.operation.name
            handler = OPERATIONS.get(name)
            if handler is None:
                raise ApiError(
                    "NotImplemented",
                    f"r53emu does not emulate {name} (Route 53 API {API_VERSION}) yet",
                    501,
                    sender=False,
                )
            params = parse_request(match.operation, match.uri_params, query, headers, body)
            if self.journal is not None:
                self.journal.starting(name)
            output = handler(self.zones, params)
            if self.journal is not None:
                self.journal.changed(name, params)
            return serialize_response(match.operation, output, request_id=request_id)
        except ApiError as error:
            return render_error(error, request_id)
        except Exception:
            _log.exception("Route 53 API: %s %s (%s) failed", method, raw_path[:200], name)
            failure = ApiError(
                "InternalFailure",
                f"r53emu failed on {name}: an internal error (its log has the details)",
                500,
                sender=False,
            )
            return render_error(failure, request_id)


def max_body(method: str, raw_path: str) -> int:
    """The most body bytes to read for this request (the operation's limit, else the default):
    an HTTP server enforces it before reading (413 beyond it)."""
    match = route_table().find(method, raw_path)
    return DEFAULT_MAX_BODY if match is None else body_limit(match.operation)

"""The admin HTTP API (aiohttp): watch, steer and reload a running r53emu.

JSON in and out; every error is `{"error": "<message>"}` with a fitting status. With a token,
every request that changes something (any method but GET and HEAD) needs `Authorization: Bearer
<token>`, else 401. Steering calls take effect before their reply is sent, so they apply to
every query received after it.

    GET    /                                 this list, as JSON (`ENDPOINTS`)
    GET    /healthz                          200 once zones are loaded and listeners bound, else 503
    GET    /metrics                          Prometheus text format (r53emu.ops.metrics)
    GET    /zones                            the hosted zones: name, id, record sets, file
    GET    /zones/{zone}                     one zone (by name or id) with its record sets as loaded
    GET    /health-checks                    every health check's status
    GET    /health-checks/{id}               status, last observations, last transition, reason
    PUT    /health-checks/{id}/override      {"healthy": false}: force it; replies with the check
    DELETE /health-checks/{id}/override      clear the override; replies with the check
    PUT    /health-checks/{id}/switch        {"state": "Off"}: flip a RECOVERY_CONTROL /
                                             CLOUDWATCH_METRIC check; replies with the check
    DELETE /overrides                        clear every override
    POST   /reload                           200 with the zones now served; 422 with the errors
                                             (file:line: field: message), the old zones kept
    GET    /explain?name=&type=&client_ip=&subnet=     the answer and why (`r53emu answer`'s data)
    GET    /2013-04-01/testdnsanswer?...      Route 53's TestDNSAnswer, XML (ops.testdnsanswer)

Limits (docs/limits.md): a request's headers must arrive within `request_timeout` seconds of
connecting (or of the previous reply on a kept-alive connection), else the connection is closed;
a JSON body must arrive within `request_timeout` once the headers have (else 408); at most
`max_connections` connections are open, a new one over that closing the least recently active
one (`ConnectionRegistry`). Requests aiohttp's parser rejects get its 400 and one short log line;
every such line is rate-limited per kind (`LogThrottle`), so no input floods the log. An `Expect`
other than `100-continue` is a 417; a client that goes away mid-request is counted, not logged
as an error (`adminhttp.HttpFront`, with the rest of the HTTP plumbing). On the server's loop,
requests start a few per turn, large zone bodies are made and written a slice per turn, and
`/metrics` is rendered once for the requests that wait together (`server.fairshare`), so that
no stream of requests holds up DNS answers.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from aiohttp import web

from r53emu.answer.contexts import make_context
from r53emu.answer.explain import explanation, parse_question
from r53emu.answer.lookup import lookup
from r53emu.geo.locator import Locator
from r53emu.health.scheduler import HealthScheduler, SteeringError
from r53emu.health.snapshot import HealthView
from r53emu.model import names
from r53emu.model.catalog import Catalog, Zone
from r53emu.ops.adminhttp import (
    AdminConnection,
    ClientGone,
    Handler,
    HttpFront,
    ThrottledHttpLog,
)
from r53emu.ops.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from r53emu.ops.metrics import Metrics
from r53emu.ops.pacedbody import CHUNK as PACED_CHUNK
from r53emu.ops.pacedbody import PacedBody
from r53emu.ops.reloading import ReloadResult
from r53emu.ops.sharedrender import SharedRender
from r53emu.ops.testdnsanswer import TestDnsAnswerError, error_xml, response_xml, test_dns_answer
from r53emu.ops.zonebody import zone_json
from r53emu.ops.zoneview import RenderedZones, zone_summary
from r53emu.server.binderrors import BindError, bind_failure_message, is_in_use
from r53emu.server.fairshare import LoopShare
from r53emu.server.listeners import ConnectionRegistry
from r53emu.zonefiles.errors import ZoneLoadError

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
XML_CONTENT_TYPE = "text/xml"
REQUEST_TIMEOUT = 10.0  # seconds for a request's headers, and then for its body
SHUTDOWN_TIMEOUT = 2.0  # seconds stop() lets a request in progress finish
http_logger = logging.getLogger("r53emu.admin")


# Method, path, the AdminApi method answering it, and what it does (GET / lists them).
ENDPOINTS = (
    ("GET", "/", "index", "this list"),
    ("GET", "/healthz", "healthz", "200 once zones are loaded and listeners bound, else 503"),
    ("GET", "/metrics", "metrics", "Prometheus text format"),
    ("GET", "/zones", "zones", "the hosted zones: name, id, record sets, file"),
    ("GET", "/zones/{zone}", "zone", "one zone (by name or id) with its record sets"),
    ("GET", "/health-checks", "health_checks", "every health check's status"),
    ("GET", "/health-checks/{id}", "health_check", "one check's status and last observations"),
    ("PUT", "/health-checks/{id}/override", "set_override", '{"healthy": false}: force it'),
    ("DELETE", "/health-checks/{id}/override", "clear_override", "clear the override"),
    ("PUT", "/health-checks/{id}/switch", "set_switch", '{"state": "Off"}: flip a switch'),
    ("DELETE", "/overrides", "clear_overrides", "clear every override"),
    ("POST", "/reload", "reload", "load the zones again; 422 with the errors, old zones kept"),
    ("GET", "/explain", "explain", "?name=&type=&client_ip=&subnet=: the answer and why"),
    ("GET", "/2013-04-01/testdnsanswer", "testdnsanswer", "Route 53's TestDNSAnswer (XML)"),
)


class Served(Protocol):
    """What the admin API reads and calls of the server it belongs to (an `R53Emu`)."""

    @property
    def ready(self) -> bool: ...  # zones loaded and listeners bound

    @property
    def catalog(self) -> Catalog: ...

    @property
    def locator(self) -> Locator | None: ...

    @property
    def health(self) -> HealthView: ...

    @property
    def health_checks(self) -> HealthScheduler | None: ...  # None while not running

    @property
    def metrics(self) -> Metrics: ...

    async def reload(self) -> ReloadResult: ...


class AdminApi:
    """The admin API of one server; `start` binds it, `stop` closes it."""

    def __init__(
        self,
        server: Served,
        token: str | None = None,
        seed: int | None = None,
        max_connections: int | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
        share: LoopShare | None = None,
    ) -> None:
        self.server = server
        # The server loop's turns (server.fairshare): requests start a few per turn, and UDP
        # is drained around each handler. None: requests start at once (a loop of its own).
        self.share = share
        self.token = token
        self.request_timeout = request_timeout
        self.connections: ConnectionRegistry[AdminConnection] = ConnectionRegistry(
            "admin API", "--max-admin-connections", max_connections
        )
        self._by_transport: dict[asyncio.BaseTransport, AdminConnection] = {}
        self.port: int | None = None
        # Explanations draw their own randomness, so that asking why never shifts the
        # sequence of answers a --seed makes reproducible.
        self.rng = random.Random(seed)
        self.app = web.Application(middlewares=[self._track, self._json_errors, self._authorize])
        self.front = HttpFront(self.app, http_logger, share.admit if share is not None else None)
        self.app.add_routes(
            [
                # web.get answers HEAD too, as GET routes always have here.
                web.get(path, getattr(self, handler), expect_handler=self.front.expect)
                if method == "GET"
                else web.route(
                    method, path, getattr(self, handler), expect_handler=self.front.expect
                )
                for method, path, handler, _what in ENDPOINTS
            ]
        )
        # The token as compared: bytes, as `_token_bytes` makes of what a client sent.
        self._token = _token_bytes(token) if token is not None else None
        # GET /metrics' bodies, one render (in a worker thread) at a time, shared by the
        # requests that came while the previous one was made.
        self._metrics = SharedRender(lambda: self.server.metrics.render_async())
        # GET /zones/{zone}'s bodies, made on the loop in slices between other work
        # (`zonebody`), one at a time, and kept.
        self._rendered = RenderedZones()
        self._rendering = asyncio.Lock()
        self._next_turn: Callable[[], Awaitable[None]] = (
            share.admit if share is not None else _one_turn
        )
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen on host:port (0: a free port, then in `self.port`); raises `BindError`."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            sock = socket.create_server((host, port), family=family)
        except OSError as exc:
            message = bind_failure_message(exc, host, port, admin=True)
            raise BindError(message, in_use=is_in_use(exc)) from exc
        self._runner = web.AppRunner(
            self.app,
            access_log=None,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            # The keep-alive timer runs from connecting and from each reply; when it fires
            # while the request's headers are still incomplete (or none came), aiohttp closes
            # the connection: a slowloris is cut after request_timeout.
            keepalive_timeout=self.request_timeout,
            lingering_time=self.request_timeout,  # reading an unread body after the reply
            logger=ThrottledHttpLog(http_logger),
        )
        await self._runner.setup()
        web_server = self._runner.server
        assert web_server is not None
        self.front.install(web_server)
        # Our own listener rather than a web.SockSite: each connection is counted (and the
        # least recently active one closed over the cap) before aiohttp's protocol sees it.
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(
            lambda: AdminConnection(
                web_server(),
                self.connections,
                self._by_transport,
                self.share.udp_first if self.share is not None else None,
            ),
            sock=sock,
        )
        self.port = sock.getsockname()[1]

    async def stop(self) -> None:
        """Stop listening, give requests in progress `SHUTDOWN_TIMEOUT` s, close every
        connection, and return once aiohttp's handler tasks have all ended (one still reading
        an unread body after its client left would else be destroyed pending)."""
        if self._listener is not None:
            self._listener.close()
        self._metrics.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._listener is not None:
            for connection in self.connections:
                connection.evict()
            await self.front.finish(SHUTDOWN_TIMEOUT)
            await self._listener.wait_closed()
            self._listener = None

    # --- middlewares -------------------------------------------------------------------------

    @web.middleware
    async def _track(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """A connection is busy while a request is handled, and active when one starts or ends
        (what orders the cap's choice of the connection to close)."""
        transport = request.transport
        connection = self._by_transport.get(transport) if transport is not None else None
        if connection is None:
            return await handler(request)
        connection.busy = True
        self.connections.touch(connection)
        try:
            return await handler(request)
        finally:
            connection.busy = False
            self.connections.touch(connection)
            if self.share is not None:
                self.share.udp_first()

    @web.middleware
    async def _json_errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """aiohttp's own errors (404, 405, ...) as JSON with a message, like ours."""
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            message = exc.reason
            if exc.status == 404:
                message = f"no such endpoint: {request.path}"
            elif exc.status == 405:
                message = f"{request.method} is not allowed on {request.path}"
            allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
            return _error(exc.status, message, headers=allow)

    @web.middleware
    async def _authorize(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self._token is None or request.method in READ_ONLY_METHODS:
            return await handler(request)
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(_token_bytes(given), self._token):
            return _error(
                401,
                "this request needs the admin token: Authorization: Bearer <token>",
                headers={"WWW-Authenticate": 'Bearer realm="r53emu"'},
            )
        return await handler(request)

    # --- read-only endpoints -----------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        endpoints = [
            {"method": method, "path": path, "what": what}
            for method, path, _handler, what in ENDPOINTS
        ]
        return web.json_response({"service": "r53emu admin API", "endpoints": endpoints})

    async def healthz(self, request: web.Request) -> web.Response:
        if not self.server.ready:
            return web.json_response({"status": "starting"}, status=503)
        return web.json_response({"status": "ok", "zones": len(self.server.catalog.zones)})

    async def metrics(self, request: web.Request) -> web.Response:
        response = web.Response(body=await self._metrics.get())
        response.headers["Content-Type"] = METRICS_CONTENT_TYPE
        return response

    async def zones(self, request: web.Request) -> web.Response:
        zones = sorted(self.server.catalog.zones.values(), key=lambda zone: zone.name[::-1])
        return web.json_response({"zones": [zone_summary(zone) for zone in zones]})

    async def zone(self, request: web.Request) -> web.Response:
        wanted = request.match_info["zone"]
        zone = find_zone(self.server.catalog.zones.values(), wanted)
        if zone is None:
            return _error(404, f"no hosted zone {wanted!r} (give its name or its id)")
        body = self._rendered.get(zone)
        if body is None:
            async with self._rendering:
                body = self._rendered.get(zone)
                if body is None:
                    body = await zone_json(zone, self._next_turn)
                    self._rendered.put(zone, body)
        if self.share is not None and len(body) > PACED_CHUNK:
            return web.Response(body=PacedBody(body, self.share.admit, "application/json"))
        return web.Response(body=body, content_type="application/json")

    async def health_checks(self, request: web.Request) -> web.Response:
        scheduler = self._scheduler()
        checks = [scheduler.describe(check_id) for check_id in sorted(scheduler.specs)]
        return web.json_response({"health_checks": checks})

    async def health_check(self, request: web.Request) -> web.Response:
        return self._steer(request, lambda scheduler, check_id: None)

    async def explain(self, request: web.Request) -> web.Response:
        params = request.query
        try:
            qname, qtype = parse_question(params.get("name", ""), params.get("type", "A"))
            client = ipaddress.ip_address(params["client_ip"]) if "client_ip" in params else None
            subnet = (
                ipaddress.ip_network(params["subnet"], strict=False) if "subnet" in params else None
            )
        except ValueError as exc:
            return _error(400, str(exc))
        context = make_context(qname, qtype, self.server.locator, client=client, subnet=subnet)
        answer = lookup(self.server.catalog, context, self.rng, self.server.health)
        return web.json_response(explanation(context, answer))

    async def testdnsanswer(self, request: web.Request) -> web.Response:
        try:
            result = test_dns_answer(
                self.server.catalog,
                request.query,
                rng=self.rng,
                health=self.server.health,
                locator=self.server.locator,
            )
        except TestDnsAnswerError as exc:
            return web.Response(
                text=error_xml(exc, str(uuid.uuid4())),
                status=exc.status,
                content_type=XML_CONTENT_TYPE,
            )
        return web.Response(text=response_xml(result), content_type=XML_CONTENT_TYPE)

    # --- steering ----------------------------------------------------------------------------

    async def set_override(self, request: web.Request) -> web.Response:
        body = await _json_body(request, self.request_timeout)
        healthy = body.get("healthy")
        if not isinstance(healthy, bool):
            return _error(400, 'the body must be {"healthy": true} or {"healthy": false}')
        return self._steer(
            request, lambda scheduler, check_id: scheduler.set_override(check_id, healthy)
        )

    async def clear_override(self, request: web.Request) -> web.Response:
        return self._steer(request, lambda scheduler, check_id: scheduler.clear_override(check_id))

    async def set_switch(self, request: web.Request) -> web.Response:
        body = await _json_body(request, self.request_timeout)
        state = body.get("state")
        if not isinstance(state, str):
            return _error(400, 'the body must be {"state": "<state>"}, e.g. {"state": "Off"}')
        return self._steer(
            request, lambda scheduler, check_id: scheduler.set_switch(check_id, state)
        )

    async def clear_overrides(self, request: web.Request) -> web.Response:
        self._scheduler().clear_overrides()
        return web.json_response({"overrides": {}})

    def _steer(
        self, request: web.Request, action: Callable[[HealthScheduler, str], None]
    ) -> web.Response:
        """Apply `action` to the check named in the path and reply with the check's status."""
        scheduler = self._scheduler()
        check_id = request.match_info["id"]
        try:
            action(scheduler, check_id)
            return web.json_response(scheduler.describe(check_id))
        except SteeringError as exc:
            status = 404 if check_id not in scheduler.specs else 400
            return _error(status, str(exc))

    def _scheduler(self) -> HealthScheduler:
        scheduler = self.server.health_checks
        if scheduler is None:
            raise web.HTTPServiceUnavailable(reason="the server is not running")
        return scheduler

    # --- reload ------------------------------------------------------------------------------

    async def reload(self, request: web.Request) -> web.Response:
        try:
            result = await self.server.reload()
        except ZoneLoadError as exc:
            errors = [str(error) for error in exc.errors]
            return web.json_response(
                {
                    "error": f"{len(errors)} error(s): the last good zones are still served",
                    "errors": errors,
                },
                status=422,
            )
        except ValueError as exc:
            return web.json_response(
                {"error": f"{exc}: the last good zones are still served", "errors": [str(exc)]},
                status=422,
            )
        return web.json_response(result.summary())


def find_zone(zones: Iterable[Zone], wanted: str) -> Zone | None:
    """The zone named `wanted` (trailing dot optional, any case) or with that id."""
    key = wanted.strip().lower().rstrip(".")
    for zone in zones:
        if zone.zone_id.lower() == key or names.to_text(zone.name).lower().rstrip(".") == key:
            return zone
    return None


async def _json_body(request: web.Request, timeout: float) -> dict[str, Any]:
    """The request's body as a JSON object; 400 when it is not UTF-8 JSON or not an object, 408
    when it does not arrive within `timeout` seconds (413 above aiohttp's 1 MiB)."""
    try:
        async with asyncio.timeout(timeout):
            raw = await request.read()
    except TimeoutError:
        raise web.HTTPRequestTimeout(
            reason=f"the body did not arrive within {timeout:g} s"
        ) from None
    except ConnectionError:  # the client closed, or half-closed, its connection: not an error
        raise ClientGone("its body was read") from None
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise web.HTTPBadRequest(reason=f"the body is not UTF-8: {exc}") from None
    except json.JSONDecodeError as exc:
        raise web.HTTPBadRequest(reason=f"the body is not JSON: {exc}") from None
    except RecursionError:
        raise web.HTTPBadRequest(reason="the body is not JSON: nested too deeply") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(reason="the body must be a JSON object")
    return body


async def _one_turn() -> None:
    await asyncio.sleep(0)


def _error(status: int, message: str, headers: Any = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def _token_bytes(text: str) -> bytes:
    """A token (ours, or what an Authorization header gave) as the bytes compared: UTF-8,
    surrogates passed through, so that no header can fail to encode (aiohttp decodes bytes that
    are not UTF-8 into lone surrogates) and different texts never give the same bytes."""
    return text.encode("utf-8", "surrogatepass")

"""Probes: one health-check request to one endpoint, judged as Route 53's checkers judge it.

This is the only code in r53emu that dials out. The rules are those of semantics §5:

* HTTP / HTTPS: the TCP connection must be made within 4 s (`ProbeTimeouts.connect`), then the
  status line and headers must arrive within 2 s (`first_byte`); status 200-399 is healthy and
  redirects are never followed (a 3xx is a success in itself). HTTPS does not validate the
  certificate (self-signed is fine; TLS 1.0 and up where the platform's OpenSSL allows) and sends
  the check's `fqdn` as SNI when `enable_sni` is set. The TLS handshake counts towards the connect
  budget: Route 53 only says "2 s after connecting" (UNCONFIRMED where the handshake falls; the
  generous reading is taken).
* HTTP_STR_MATCH / HTTPS_STR_MATCH: as above, then the first 5,120 bytes of the body (the whole
  body if shorter; gzip and deflate bodies decompressed) must arrive within 2 more s (`body`) and
  contain the search string, case-sensitively.
* TCP: the connection must be made within 10 s (`tcp_connect`); nothing is sent.
* Every request is `GET` on a new connection (closed afterwards, so a dead endpoint is never hidden
  by a kept-alive one) with Route 53's headers: `Host` = the fqdn if the check has one, else the IP,
  with `:port` unless the port is the scheme's default (`host_header`); `User-Agent:
  Amazon-Route53-Health-Check-Service (ref <check id>; report http://amzn.to/1vsZADi)`; `Accept:
  */*`; `Accept-Encoding: identity,gzip,deflate`. The resource path gets a leading `/` if missing.
* Response headers larger than 16 KB in total (name, ": ", value and CRLF of every field; the
  status line is not counted) fail the check.

API:

* `Observation(healthy, status, checked_at, address)`: one result. `status` is worded like Route
  53's `StatusReport.Status`; every wording is a constant or template below (the `STATUS_*`
  names). When the endpoint came from an `fqdn` (no `ip_address`), `. Resolved IP: <address>` is
  appended, as Route 53 does.
* `ProbeTimeouts`: the four limits, Route 53's values by default; tests inject shorter ones.
* `Prober(timeouts)`: `await probe(spec, address, now)` probes `address` (an IP: the scheduler
  resolves fqdn checks itself) and never raises: every failure, including unexpected errors, is a
  failure `Observation` (cancellation still propagates). One `aiohttp.ClientSession` is shared by
  all probes, created on first use in the running loop; `await close()` ends it. Probes are
  independent coroutines: the connection pool is unbounded and every limit is an asyncio timeout,
  so a hanging endpoint delays nothing but its own probe. When `probe` returns, its connection is
  shut down: nothing of it lingers (not even a TLS close_notify exchange with a silent peer).
* `dns_resolution_failed(checked_at)`: the observation for an fqdn that does not resolve.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import http
import socket
import ssl
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace, TracebackType

import aiohttp
from aiohttp import http_exceptions
from yarl import URL

from r53emu.model import HealthCheckSpec

_CLOSING_TURNS = 5  # EOF seen, TLS shutdown done, transport closed, socket closed (+1 to spare)
HTTP_TYPES = frozenset({"HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH"})
STR_MATCH_TYPES = frozenset({"HTTP_STR_MATCH", "HTTPS_STR_MATCH"})
BODY_WINDOW = 5120  # bytes of the (decompressed) body searched for the string (§5)
HEADERS_LIMIT = 16 * 1024  # total size of the response headers (§5, semantics §1.5 limits)
DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = "Amazon-Route53-Health-Check-Service (ref {check_id}; report http://amzn.to/1vsZADi)"

# --- every status wording, in one place ------------------------------------------------------
# Observed in Route 53 (semantics §5): the HTTP status form, the "Resolved IP" suffix and the
# connection-timed-out text with its firewall hint. The others follow the same style.
FIREWALL_HINT = (
    "The endpoint or the internet connection is down, or requests are being blocked by your "
    "firewall. See https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/"
    "dns-failover-router-firewall-rules.html"
)
STATUS_HTTP = "{outcome}: HTTP Status Code {code}, {reason}"  # outcome: Success | Failure
STATUS_RESOLVED_IP = "{status}. Resolved IP: {address}"
STATUS_CONNECTION_TIMED_OUT = f"Failure: Connection timed out. {FIREWALL_HINT}"
STATUS_CONNECTION_REFUSED = f"Failure: Connection refused. {FIREWALL_HINT}"
STATUS_CONNECTION_FAILED = "Failure: Connection failed ({reason}). " + FIREWALL_HINT
STATUS_TLS_FAILED = "Failure: The SSL/TLS handshake with the endpoint failed."
STATUS_RESPONSE_TIMED_OUT = (
    "Failure: Timed out waiting for the HTTP response. The endpoint did not send a status code "
    "within {seconds:g} seconds after the connection was established."
)
STATUS_BODY_TIMED_OUT = (
    "Failure: Timed out waiting for the response body. The first 5120 bytes of the body did not "
    "arrive within {seconds:g} seconds after the status code."
)
STATUS_SEARCH_STRING_NOT_FOUND = (
    "Failure: The search string was not found in the first 5120 bytes of the response body."
)
STATUS_HEADERS_TOO_LARGE = "Failure: The response headers are larger than 16 KB (16384 bytes)."
STATUS_INVALID_RESPONSE = "Failure: The endpoint's response is not valid HTTP (RFC 7230)."
STATUS_BODY_NOT_DECOMPRESSED = "Failure: The response body could not be decompressed."
STATUS_CONNECTION_CLOSED = (
    "Failure: The endpoint closed the connection before sending a complete response."
)
STATUS_TCP_CONNECTED = "Success: TCP connection established."
STATUS_DNS_RESOLUTION_FAILED = "Failure: DNS resolution failed."
STATUS_NOT_PROBED = "Failure: {type} health checks are not probed."
STATUS_UNEXPECTED = "Failure: The health checker could not complete the check ({error})."


@dataclass(frozen=True)
class Observation:
    """One probe result: healthy or not, Route 53's status text, when (UTC), which IP."""

    healthy: bool
    status: str
    checked_at: datetime
    address: str | None = None


@dataclass(frozen=True)
class ProbeTimeouts:
    """Seconds allowed per phase; the defaults are Route 53's (semantics §5)."""

    connect: float = 4.0  # HTTP(S): TCP connection (and TLS handshake) made
    first_byte: float = 2.0  # HTTP(S): status line and headers, counted from the connection
    body: float = 2.0  # *_STR_MATCH: first 5,120 body bytes, counted from the headers
    tcp_connect: float = 10.0  # TCP checks: connection made


def dns_resolution_failed(checked_at: datetime) -> Observation:
    """The failure of a check whose fqdn has no A record (or whose lookup failed) (§5)."""
    return Observation(False, STATUS_DNS_RESOLUTION_FAILED, checked_at, None)


def host_header(spec: HealthCheckSpec, address: str, port: int) -> str:
    """The Host header Route 53 sends: fqdn (else IP), `:port` unless the scheme's default (§5)."""
    host = spec.fqdn or (f"[{address}]" if ":" in address else address)
    if port == DEFAULT_PORTS[_scheme(spec)]:
        return host
    return f"{host}:{port}"


class Prober:
    """Probes endpoints with one shared HTTP session; `probe` never raises (see module doc)."""

    def __init__(self, timeouts: ProbeTimeouts | None = None) -> None:
        self.timeouts = timeouts or ProbeTimeouts()
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Prober:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the shared session (a later probe opens a new one), and let the connections of
        finished probes finish closing: their sockets are shut down, but the transports close
        on the next loop turns, which a loop about to be closed would never run."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        for _ in range(_CLOSING_TURNS):
            await asyncio.sleep(0)

    async def probe(
        self, spec: HealthCheckSpec, address: str, now: Callable[[], datetime]
    ) -> Observation:
        """Probe `address` as `spec` says; the observation is stamped with `now()` at the end."""
        try:
            if spec.type == "TCP":
                healthy, status = await self._tcp(spec, address)
            elif spec.type in HTTP_TYPES:
                healthy, status = await self._http(spec, address)
            else:
                healthy, status = False, STATUS_NOT_PROBED.format(type=spec.type)
        except Exception as exc:  # a probe never raises: the check fails and says why
            healthy, status = False, STATUS_UNEXPECTED.format(error=type(exc).__name__)
        if spec.ip_address is None and spec.fqdn is not None:
            status = STATUS_RESOLVED_IP.format(status=status.rstrip("."), address=address)
        return Observation(healthy, status, now(), address)

    # --- TCP ---------------------------------------------------------------------------------

    async def _tcp(self, spec: HealthCheckSpec, address: str) -> tuple[bool, str]:
        if spec.port is None:  # the zone loader requires one for TCP checks
            return False, STATUS_UNEXPECTED.format(error="no port")
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeouts.tcp_connect):
                transport, _ = await loop.create_connection(asyncio.Protocol, address, spec.port)
        except TimeoutError:
            return False, STATUS_CONNECTION_TIMED_OUT
        except OSError as exc:
            return False, _connect_failure(exc)
        # Nothing is sent: a TCP check only connects. Shut the connection down at once (close()
        # alone waits for the next loop turn), so nothing of the probe outlives it.
        with contextlib.suppress(OSError):
            transport.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
        transport.close()
        return True, STATUS_TCP_CONNECTED

    # --- HTTP and HTTPS ----------------------------------------------------------------------

    async def _http(self, spec: HealthCheckSpec, address: str) -> tuple[bool, str]:
        scheme = _scheme(spec)
        port = spec.port or DEFAULT_PORTS[scheme]
        path, _, query = spec.resource_path.partition("?")
        url = URL.build(
            scheme=scheme,
            host=address,
            port=port,
            path=path if path.startswith("/") else "/" + path,
            query_string=query,
        )
        headers = {
            "Host": host_header(spec, address, port),
            "User-Agent": USER_AGENT.format(check_id=spec.id),
            "Accept": "*/*",
            "Accept-Encoding": "identity,gzip,deflate",
        }
        sni = spec.fqdn if spec.enable_sni and scheme == "https" else None
        attempt = _Attempt(self.timeouts)
        sockets: list[socket.socket] = []
        collecting = _PROBE_SOCKETS.set(sockets)
        try:
            async with asyncio.timeout(self.timeouts.connect) as deadline:
                attempt.deadline = deadline
                async with self._get_session().get(
                    url,
                    headers=headers,
                    allow_redirects=False,
                    server_hostname=sni,
                    trace_request_ctx=attempt,
                ) as response:
                    return await self._judge(spec, response, attempt)
        except TimeoutError:
            return False, attempt.timed_out_status()
        except aiohttp.ClientError as exc:
            return False, _client_error_status(exc)
        finally:
            _PROBE_SOCKETS.reset(collecting)
            for sock in sockets:
                # aiohttp has closed the transport, but a TLS one may still be waiting for the
                # peer's close_notify (up to 30 s): end the TCP connection now. A socket that
                # asyncio has already closed has no descriptor any more, hence OSError.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    async def _judge(
        self, spec: HealthCheckSpec, response: aiohttp.ClientResponse, attempt: _Attempt
    ) -> tuple[bool, str]:
        """The verdict once the status line and headers are in (and the body, for STR_MATCH)."""
        if sum(len(name) + len(value) + 4 for name, value in response.raw_headers) > HEADERS_LIMIT:
            return False, STATUS_HEADERS_TOO_LARGE
        healthy = 200 <= response.status < 400
        status = _http_status(response, healthy)
        if not healthy or spec.type not in STR_MATCH_TYPES:
            return healthy, status
        attempt.headers_received()
        body = bytearray()
        while len(body) < BODY_WINDOW:
            chunk = await response.content.read(BODY_WINDOW - len(body))
            if not chunk:
                break
            body += chunk
        if (spec.search_string or "").encode() not in body:
            return False, STATUS_SEARCH_STRING_NOT_FOUND
        return True, status

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            trace = aiohttp.TraceConfig()
            trace.on_connection_create_end.append(_on_connected)
            self._session = aiohttp.ClientSession(
                # force_close: a new connection per probe, as Route 53 opens; limit=0: no pool
                # limit, so probes never queue behind each other.
                connector=aiohttp.TCPConnector(
                    force_close=True, limit=0, ssl=_no_verify_tls(), socket_factory=_probe_socket
                ),
                timeout=aiohttp.ClientTimeout(total=None, connect=None, sock_connect=None),
                trace_configs=[trace],
                middlewares=(_no_retry,),
                cookie_jar=aiohttp.DummyCookieJar(),
                # Parse anything up to the 16 KB limit; larger headers fail in `_judge` or in the
                # parser (LineTooLong). Every header line is >= 4 bytes, so 4,096 headers is 16 KB.
                max_line_size=HEADERS_LIMIT,
                max_field_size=HEADERS_LIMIT,
                max_headers=HEADERS_LIMIT // 4,
            )
        return self._session


class _Attempt:
    """The phase of one HTTP probe; moves its deadline on as each phase completes."""

    def __init__(self, timeouts: ProbeTimeouts) -> None:
        self.timeouts = timeouts
        self.phase = "connect"
        self.deadline: asyncio.Timeout | None = None

    def connected(self) -> None:
        self._next("response", self.timeouts.first_byte)

    def headers_received(self) -> None:
        self._next("body", self.timeouts.body)

    def _next(self, phase: str, seconds: float) -> None:
        self.phase = phase
        if self.deadline is not None:
            self.deadline.reschedule(asyncio.get_running_loop().time() + seconds)

    def timed_out_status(self) -> str:
        if self.phase == "response":
            return STATUS_RESPONSE_TIMED_OUT.format(seconds=self.timeouts.first_byte)
        if self.phase == "body":
            return STATUS_BODY_TIMED_OUT.format(seconds=self.timeouts.body)
        return STATUS_CONNECTION_TIMED_OUT


async def _on_connected(
    session: aiohttp.ClientSession,
    context: SimpleNamespace,
    params: aiohttp.TraceConnectionCreateEndParams,
) -> None:
    """Trace hook: the connection (with its TLS handshake) is up; the 2 s response budget starts."""
    attempt = context.trace_request_ctx
    if isinstance(attempt, _Attempt):
        attempt.connected()


# The sockets opened by the probe running in this context (see `_http`'s `finally`).
_PROBE_SOCKETS: ContextVar[list[socket.socket] | None] = ContextVar("probe_sockets", default=None)


def _probe_socket(addr_info: aiohttp.AddrInfoType) -> socket.socket:
    """aiohttp's socket factory: a plain socket, remembered by the probe that asked for it."""
    family, kind, proto, _, _ = addr_info
    sock = socket.socket(family, kind, proto)
    sockets = _PROBE_SOCKETS.get()
    if sockets is not None:
        sockets.append(sock)
    return sock


class _Dropped(aiohttp.ClientConnectionError):
    """The endpoint dropped the connection; wrapped so that aiohttp does not retry the GET."""


async def _no_retry(
    request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    """aiohttp retries an idempotent request once when the peer disconnects; Route 53 makes one
    request per check, so such a disconnect must fail the probe instead."""
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise  # never retried by aiohttp anyway, and its errno is wanted as is
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
        raise _Dropped(str(exc)) from exc


def _scheme(spec: HealthCheckSpec) -> str:
    return "https" if spec.type.startswith("HTTPS") else "http"


def _http_status(response: aiohttp.ClientResponse, healthy: bool) -> str:
    reason = response.reason
    if not reason:
        try:
            reason = http.HTTPStatus(response.status).phrase
        except ValueError:
            reason = "Unknown"
    outcome = "Success" if healthy else "Failure"
    return STATUS_HTTP.format(outcome=outcome, code=response.status, reason=reason)


def _connect_failure(exc: OSError) -> str:
    if exc.errno == errno.ECONNREFUSED:
        return STATUS_CONNECTION_REFUSED
    if exc.errno == errno.ETIMEDOUT:
        return STATUS_CONNECTION_TIMED_OUT
    return STATUS_CONNECTION_FAILED.format(reason=exc.strerror or type(exc).__name__)


def _client_error_status(exc: aiohttp.ClientError) -> str:
    if isinstance(exc, aiohttp.ClientConnectorSSLError | aiohttp.ClientSSLError):
        return STATUS_TLS_FAILED
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _connect_failure(exc.os_error)
    causes = _causes(exc)
    if isinstance(exc, aiohttp.ClientResponseError):  # the status line or headers didn't parse
        too_large = any(
            isinstance(cause, http_exceptions.LineTooLong)
            or "Too many headers" in str(cause)  # aiohttp's max_headers (> 16 KB, see above)
            for cause in causes
        )
        return STATUS_HEADERS_TOO_LARGE if too_large else STATUS_INVALID_RESPONSE
    if isinstance(exc, aiohttp.ClientPayloadError) and any(
        isinstance(cause, http_exceptions.ContentEncodingError) for cause in causes
    ):
        return STATUS_BODY_NOT_DECOMPRESSED
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return STATUS_CONNECTION_CLOSED
    return STATUS_UNEXPECTED.format(error=type(exc).__name__)


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and its chain of causes (aiohttp wraps parser errors twice)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


@functools.cache
def _no_verify_tls() -> ssl.SSLContext:
    """The client TLS context shared by every HTTPS probe: no certificate or name validation,
    TLS 1.0 and up where OpenSSL allows it (Route 53 accepts endpoints with TLS >= 1.0)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with warnings.catch_warnings():  # TLSv1 is deprecated in Python, and wanted here
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 refuses TLS < 1.2 at level >= 1
    except (ValueError, ssl.SSLError):  # a platform without old TLS: its defaults stand
        pass
    return context

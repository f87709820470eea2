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
  */*`; `Accept-Encoding: identity,gzip,deflate`; `Connection: close`. The resource path gets a
  leading `/` if missing; characters a request target can't hold are percent-encoded.
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
  failure `Observation` (cancellation still propagates). Each probe is its own coroutine on
  its own connection (`r53emu.health.httpexchange` speaks HTTP on it) and every limit is an asyncio
  timeout, so a hanging endpoint delays nothing but its own probe. When `probe` returns, its
  connection is aborted: nothing of it lingers (not even a TLS close_notify exchange with a
  silent peer). `await close()` lets the aborted transports finish closing.
* `request_bytes(spec, address, port)`: the request a probe sends.
* `dns_resolution_failed(checked_at)`: the observation for an fqdn that does not resolve.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import http
import ssl
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from urllib.parse import quote

from r53emu.health import httpexchange
from r53emu.health.httpexchange import HttpExchange
from r53emu.model.catalog import HealthCheckSpec
from r53emu.model.healthtypes import HTTP_TYPES, STR_MATCH_TYPES

_CLOSING_TURNS = 3  # aborted transports close on the next turn (+2 to spare)
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
    """Probes endpoints; `probe` never raises (see the module doc)."""

    def __init__(self, timeouts: ProbeTimeouts | None = None) -> None:
        self.timeouts = timeouts or ProbeTimeouts()

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
        """Let the connections of finished probes finish closing: they are aborted when their
        probe returns, but transports close on the next loop turns, which a loop about to be
        closed would never run."""
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
        transport.abort()  # nothing is sent: a TCP check only connects
        return True, STATUS_TCP_CONNECTED

    # --- HTTP and HTTPS ----------------------------------------------------------------------

    async def _http(self, spec: HealthCheckSpec, address: str) -> tuple[bool, str]:
        scheme = _scheme(spec)
        port = spec.port or DEFAULT_PORTS[scheme]
        tls = _no_verify_tls() if scheme == "https" else None
        sni = spec.fqdn if tls is not None and spec.enable_sni else None
        read_body = spec.type in STR_MATCH_TYPES
        search = (spec.search_string or "").encode()
        exchange = HttpExchange(
            request_bytes(spec, address, port),
            read_body=read_body,
            search=search,
            body_window=BODY_WINDOW,
            headers_limit=HEADERS_LIMIT,
        )
        loop = asyncio.get_running_loop()
        phase = "connect"
        transport: asyncio.Transport | None = None
        try:
            async with asyncio.timeout(self.timeouts.connect) as deadline:
                try:
                    # With TLS and no SNI, asyncio passes the IP as server_hostname, and
                    # OpenSSL never sends an IP address as SNI.
                    transport, _ = await loop.create_connection(
                        lambda: exchange, address, port, ssl=tls, server_hostname=sni
                    )
                except ssl.SSLError:
                    return False, STATUS_TLS_FAILED
                except OSError as exc:
                    return False, _connect_failure(exc)
                phase = "response"
                deadline.reschedule(loop.time() + self.timeouts.first_byte)
                await exchange.head
                if exchange.error is not None:
                    return False, _EXCHANGE_FAILURES[exchange.error]
                healthy = 200 <= exchange.status_code < 400
                status = _http_status(exchange.status_code, exchange.reason, healthy)
                if not healthy or not read_body:
                    return healthy, status
                phase = "body"
                deadline.reschedule(loop.time() + self.timeouts.body)
                await exchange.body
                if exchange.error is not None:
                    return False, _EXCHANGE_FAILURES[exchange.error]
                if search not in exchange.window:
                    return False, STATUS_SEARCH_STRING_NOT_FOUND
                return True, status
        except TimeoutError:
            return False, _timed_out_status(phase, self.timeouts)
        finally:
            if transport is not None:
                # No lingering: not even a TLS close_notify exchange with a silent peer.
                transport.abort()


def request_bytes(spec: HealthCheckSpec, address: str, port: int) -> bytes:
    """The GET Route 53 sends (§5): the resource path with a leading /, and its headers."""
    path, mark, query = spec.resource_path.partition("?")
    target = quote(path if path.startswith("/") else "/" + path, safe=_PATH_SAFE)
    if mark and query:
        target += "?" + quote(query, safe=_QUERY_SAFE)
    host = host_header(spec, address, port)
    try:
        host_bytes = host.encode("ascii")
    except UnicodeEncodeError:
        host_bytes = host.encode("idna")
    return b"".join(
        (
            f"GET {target} HTTP/1.1\r\n".encode("ascii"),
            b"Host: " + host_bytes + b"\r\n",
            b"User-Agent: " + USER_AGENT.format(check_id=spec.id).encode("utf-8"),
            b"\r\nAccept: */*\r\nAccept-Encoding: identity,gzip,deflate\r\n",
            b"Connection: close\r\n\r\n",
        )
    )


# Characters left as they are in the request target (RFC 3986 pchar, and existing %XX escapes).
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"

_EXCHANGE_FAILURES = {
    httpexchange.CLOSED: STATUS_CONNECTION_CLOSED,
    httpexchange.INVALID: STATUS_INVALID_RESPONSE,
    httpexchange.HEADERS_TOO_LARGE: STATUS_HEADERS_TOO_LARGE,
    httpexchange.UNDECODABLE: STATUS_BODY_NOT_DECOMPRESSED,
}


def _timed_out_status(phase: str, timeouts: ProbeTimeouts) -> str:
    if phase == "response":
        return STATUS_RESPONSE_TIMED_OUT.format(seconds=timeouts.first_byte)
    if phase == "body":
        return STATUS_BODY_TIMED_OUT.format(seconds=timeouts.body)
    return STATUS_CONNECTION_TIMED_OUT


def _scheme(spec: HealthCheckSpec) -> str:
    return "https" if spec.type.startswith("HTTPS") else "http"


def _http_status(code: int, reason: str, healthy: bool) -> str:
    if not reason:
        try:
            reason = http.HTTPStatus(code).phrase
        except ValueError:
            reason = "Unknown"
    outcome = "Success" if healthy else "Failure"
    return STATUS_HTTP.format(outcome=outcome, code=code, reason=reason)


def _connect_failure(exc: OSError) -> str:
    if exc.errno == errno.ECONNREFUSED:
        return STATUS_CONNECTION_REFUSED
    if exc.errno == errno.ETIMEDOUT:
        return STATUS_CONNECTION_TIMED_OUT
    return STATUS_CONNECTION_FAILED.format(reason=exc.strerror or type(exc).__name__)


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

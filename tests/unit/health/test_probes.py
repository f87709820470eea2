"""Health-check probes against real endpoints on 127.0.0.1 (semantics §5), via `health.probes`.

Every rule is checked through a real target from `tests.support.targets`: status codes and their
Route 53-style status strings, the request Route 53 sends (path, Host, SNI, headers, a new
connection each time), string matching in plain, gzip and deflate bodies, the 16 KB header limit,
and each timeout, measured to be bounded. Where only the kind of timeout matters, short injected
timeouts keep the tests fast; the hanging-target tests run with Route 53's own defaults.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from r53emu.health.probes import (
    STATUS_BODY_NOT_DECOMPRESSED,
    STATUS_CONNECTION_CLOSED,
    STATUS_CONNECTION_REFUSED,
    STATUS_CONNECTION_TIMED_OUT,
    STATUS_HEADERS_TOO_LARGE,
    STATUS_INVALID_RESPONSE,
    STATUS_SEARCH_STRING_NOT_FOUND,
    STATUS_TCP_CONNECTED,
    STATUS_TLS_FAILED,
    Observation,
    Prober,
    ProbeTimeouts,
    dns_resolution_failed,
    host_header,
)
from r53emu.model.catalog import HealthCheckSpec, Source
from tests.support.targets import HttpTarget, StalledPort, TcpListener

SOURCE = Source("zones/checks.yaml", 1)
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LOCAL = "127.0.0.1"
FAST = ProbeTimeouts(connect=0.5, first_byte=0.5, body=0.5, tcp_connect=0.5)
EARLY = 0.05  # asyncio may fire a timer up to its clock resolution early
FIREWALL = (
    "The endpoint or the internet connection is down, or requests are being blocked by your "
    "firewall. See https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/"
    "dns-failover-router-firewall-rules.html"
)
OK = "Success: HTTP Status Code 200, OK"
RAW_DEFLATE = zlib.compress(b"status: ALL GOOD", wbits=-zlib.MAX_WBITS)


def now() -> datetime:
    return NOW


def check(check_type: str = "HTTP", **fields: Any) -> HealthCheckSpec:
    """A health check of `check_type` on 127.0.0.1 (unless `fields` say otherwise)."""
    fields.setdefault("ip_address", LOCAL)
    return HealthCheckSpec(id="web-check", type=check_type, source=SOURCE, **fields)


async def probe(
    spec: HealthCheckSpec, timeouts: ProbeTimeouts = FAST, address: str = LOCAL
) -> Observation:
    async with Prober(timeouts) as prober:
        return await prober.probe(spec, address, now)


async def timed(spec: HealthCheckSpec, timeouts: ProbeTimeouts = FAST) -> tuple[Observation, float]:
    started = time.monotonic()
    observation = await probe(spec, timeouts)
    return observation, time.monotonic() - started


@pytest.fixture
def web() -> Iterator[HttpTarget]:
    with HttpTarget() as target:
        yield target


@pytest.fixture
def tls_web() -> Iterator[HttpTarget]:
    with HttpTarget(tls=True) as target:
        yield target


@pytest.fixture
def listener() -> Iterator[TcpListener]:
    with TcpListener() as target:
        yield target


@pytest.fixture
def stalled() -> Iterator[StalledPort]:
    with StalledPort() as port:
        yield port


# --- defaults and pure rules ----------------------------------------------------------------------


def test_default_timeouts_are_route53s() -> None:
    """Without injected timeouts a Prober uses Route 53's 4 s / 2 s / 2 s / 10 s (§5)."""
    assert Prober().timeouts == ProbeTimeouts(
        connect=4.0, first_byte=2.0, body=2.0, tcp_connect=10.0
    )


@pytest.mark.parametrize(
    ("check_type", "fqdn", "address", "port", "expected"),
    [
        ("HTTP", None, "192.0.2.1", 80, "192.0.2.1"),
        ("HTTP", None, "192.0.2.1", 8080, "192.0.2.1:8080"),
        ("HTTP", None, "192.0.2.1", 443, "192.0.2.1:443"),
        ("HTTPS", None, "192.0.2.1", 443, "192.0.2.1"),
        ("HTTPS", None, "192.0.2.1", 80, "192.0.2.1:80"),
        ("HTTP_STR_MATCH", "www.example.test", "192.0.2.1", 80, "www.example.test"),
        ("HTTPS_STR_MATCH", "www.example.test", "192.0.2.1", 8443, "www.example.test:8443"),
        ("HTTP", None, "2001:db8::1", 8080, "[2001:db8::1]:8080"),
        ("HTTPS", None, "2001:db8::1", 443, "[2001:db8::1]"),
    ],
)
def test_host_header(
    check_type: str, fqdn: str | None, address: str, port: int, expected: str
) -> None:
    """Host is the fqdn, else the IP, with :port unless it is the scheme's default port."""
    assert host_header(check(check_type, fqdn=fqdn), address, port) == expected


def test_dns_resolution_failure_observation() -> None:
    """An fqdn that doesn't resolve is a failure named as Route 53 names it, with no address."""
    assert dns_resolution_failed(NOW) == Observation(
        False, "Failure: DNS resolution failed.", NOW, None
    )


@pytest.mark.asyncio
async def test_unprobed_type_is_a_failure_not_an_exception() -> None:
    """Probing a CALCULATED check returns a failure observation instead of raising."""
    observation = await probe(check("CALCULATED", ip_address=None))
    assert observation == Observation(
        False, "Failure: CALCULATED health checks are not probed.", NOW, LOCAL
    )


@pytest.mark.asyncio
async def test_tcp_check_without_port_is_a_failure_not_an_exception() -> None:
    """A TCP check with no port (the loader never makes one) fails instead of raising."""
    observation = await probe(check("TCP"))
    assert observation == Observation(
        False, "Failure: The health checker could not complete the check (no port).", NOW, LOCAL
    )


# --- HTTP status codes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "healthy"),
    [
        (200, "OK", True),
        (204, "No Content", True),
        (299, "Custom Success", True),
        (300, "Multiple Choices", True),
        (304, "Not Modified", True),
        (399, "Custom Redirect", True),
        (400, "Bad Request", False),
        (404, "Not Found", False),
        (499, "Client Closed Request", False),
        (500, "Internal Server Error", False),
        (503, "Service Unavailable", False),
        (599, "Network Connect Timeout Error", False),
    ],
)
@pytest.mark.asyncio
async def test_status_code_boundaries(
    web: HttpTarget, status: int, reason: str, healthy: bool
) -> None:
    """200-399 are healthy and 400-599 are not; the status names the code and reason."""
    web.behave(status=status, reason=reason)
    observation = await probe(check(port=web.port))
    outcome = "Success" if healthy else "Failure"
    assert observation == Observation(
        healthy, f"{outcome}: HTTP Status Code {status}, {reason}", NOW, LOCAL
    )


@pytest.mark.parametrize(
    ("status_line", "expected"),
    [
        (b"HTTP/1.1 503 ", "Failure: HTTP Status Code 503, Service Unavailable"),
        (b"HTTP/1.1 299 ", "Success: HTTP Status Code 299, Unknown"),
    ],
)
@pytest.mark.asyncio
async def test_missing_reason_phrase(
    listener: TcpListener, status_line: bytes, expected: str
) -> None:
    """Without a reason phrase the status names the standard one, else "Unknown"."""
    listener.reply = status_line + b"\r\nContent-Length: 0\r\n\r\n"
    assert (await probe(check(port=listener.port))).status == expected


@pytest.mark.asyncio
async def test_reason_phrase_is_the_endpoints_own(web: HttpTarget) -> None:
    """The status echoes the reason phrase the endpoint sent (nginx's 503 wording here)."""
    web.behave(status=503, reason="Service Temporarily Unavailable")
    observation = await probe(check(port=web.port))
    assert observation.status == "Failure: HTTP Status Code 503, Service Temporarily Unavailable"


@pytest.mark.asyncio
async def test_redirect_is_not_followed(web: HttpTarget) -> None:
    """A 301 is a success in itself: its Location is never requested."""
    web.behave(status=301, headers=(("Location", "/elsewhere"),))
    observation = await probe(check(port=web.port))
    assert (observation.healthy, observation.status) == (
        True,
        "Success: HTTP Status Code 301, Moved Permanently",
    )
    assert [request.path for request in web.requests] == ["/"]


@pytest.mark.asyncio
async def test_target_switched_at_run_time(web: HttpTarget) -> None:
    """The same check follows the endpoint: 200, then 503, then a closed port, then 200 again."""
    spec = check(port=web.port)
    async with Prober(FAST) as prober:
        statuses = []
        statuses.append((await prober.probe(spec, LOCAL, now)).status)
        web.behave(status=503)
        statuses.append((await prober.probe(spec, LOCAL, now)).status)
        web.close_port()
        statuses.append((await prober.probe(spec, LOCAL, now)).status)
        web.reopen_port()
        web.behave(status=200)
        statuses.append((await prober.probe(spec, LOCAL, now)).status)
    assert statuses == [
        OK,
        "Failure: HTTP Status Code 503, Service Unavailable",
        f"Failure: Connection refused. {FIREWALL}",
        OK,
    ]


# --- the request Route 53 sends -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_request_headers(web: HttpTarget) -> None:
    """A GET with Route 53's User-Agent (naming the check), Accept and Accept-Encoding headers."""
    await probe(check(port=web.port))
    (request,) = web.requests
    assert request.method == "GET"
    assert request.headers["Host"] == f"127.0.0.1:{web.port}"
    assert request.headers["User-Agent"] == (
        "Amazon-Route53-Health-Check-Service (ref web-check; report http://amzn.to/1vsZADi)"
    )
    assert request.headers["Accept"] == "*/*"
    assert request.headers["Accept-Encoding"] == "identity,gzip,deflate"


@pytest.mark.asyncio
async def test_every_probe_opens_a_new_connection(web: HttpTarget) -> None:
    """Probes sharing one Prober never reuse a connection: each asks to close and comes anew."""
    async with Prober(FAST) as prober:
        for _ in range(3):
            assert (await prober.probe(check(port=web.port), LOCAL, now)).healthy
    requests = web.requests
    assert {request.headers["Connection"] for request in requests} == {"close"}
    assert len({request.client_port for request in requests}) == 3


@pytest.mark.parametrize(
    ("resource_path", "seen"),
    [("/healthz", "/healthz"), ("healthz?deep=1", "/healthz?deep=1"), ("/", "/")],
)
@pytest.mark.asyncio
async def test_resource_path_gets_a_leading_slash(
    web: HttpTarget, resource_path: str, seen: str
) -> None:
    """The resource path (with its query) is requested as given, with a leading / if missing."""
    await probe(check(port=web.port, resource_path=resource_path))
    assert [request.path for request in web.requests] == [seen]


@pytest.mark.asyncio
async def test_fqdn_with_ip_address(web: HttpTarget) -> None:
    """With both fqdn and ip_address, Host is the fqdn and the status has no Resolved IP."""
    observation = await probe(check(port=web.port, fqdn="www.example.test"))
    assert web.requests[0].headers["Host"] == f"www.example.test:{web.port}"
    assert observation == Observation(True, OK, NOW, LOCAL)


@pytest.mark.asyncio
async def test_fqdn_target_reports_the_resolved_ip(web: HttpTarget) -> None:
    """A check by fqdn alone says which IP it reached, as Route 53 does."""
    observation = await probe(check(port=web.port, ip_address=None, fqdn="www.example.test"))
    assert web.requests[0].headers["Host"] == f"www.example.test:{web.port}"
    assert observation == Observation(True, f"{OK}. Resolved IP: 127.0.0.1", NOW, LOCAL)


@pytest.mark.asyncio
async def test_fqdn_target_failure_reports_the_resolved_ip(listener: TcpListener) -> None:
    """The Resolved IP suffix is on failures too."""
    listener.close_port()
    observation = await probe(check(port=listener.port, ip_address=None, fqdn="a.example.test"))
    assert observation.status == (
        f"Failure: Connection refused. {FIREWALL}. Resolved IP: 127.0.0.1"
    )


# --- string matching ------------------------------------------------------------------------------


def str_match(port: int, search: str, check_type: str = "HTTP_STR_MATCH") -> HealthCheckSpec:
    return check(check_type, port=port, search_string=search)


@pytest.mark.parametrize("encoding", [None, "gzip", "deflate"])
@pytest.mark.asyncio
async def test_search_string_found(web: HttpTarget, encoding: str | None) -> None:
    """The search string is found in plain, gzip and deflate bodies."""
    web.behave(body=b"<html>status: ALL GOOD</html>", content_encoding=encoding)
    observation = await probe(str_match(web.port, "ALL GOOD"))
    assert (observation.healthy, observation.status) == (True, OK)


@pytest.mark.asyncio
async def test_search_string_is_case_sensitive(web: HttpTarget) -> None:
    """A body saying "all good" does not match "ALL GOOD"."""
    web.behave(body=b"all good")
    observation = await probe(str_match(web.port, "ALL GOOD"))
    assert (observation.healthy, observation.status) == (False, STATUS_SEARCH_STRING_NOT_FOUND)
    assert STATUS_SEARCH_STRING_NOT_FOUND == (
        "Failure: The search string was not found in the first 5120 bytes of the response body."
    )


@pytest.mark.asyncio
async def test_non_ascii_search_string(web: HttpTarget) -> None:
    """A non-ASCII search string matches its UTF-8 bytes in the body."""
    web.behave(body="état: prêt".encode())
    assert (await probe(str_match(web.port, "prêt"))).healthy


@pytest.mark.parametrize("encoding", [None, "gzip", "deflate"])
@pytest.mark.parametrize(("padding", "healthy"), [(5120 - 4, True), (5120 - 3, False)])
@pytest.mark.asyncio
async def test_search_window_is_the_first_5120_decompressed_bytes(
    web: HttpTarget, encoding: str | None, padding: int, healthy: bool
) -> None:
    """The string must end within byte 5,120 of the body after decompression, not straddle it."""
    web.behave(body=b"x" * padding + b"GOOD" + b"y" * 10_000, content_encoding=encoding)
    observation = await probe(str_match(web.port, "GOOD"))
    assert (observation.healthy, observation.status) == (
        (True, OK) if healthy else (False, STATUS_SEARCH_STRING_NOT_FOUND)
    )


@pytest.mark.asyncio
async def test_failing_status_fails_even_with_the_string(web: HttpTarget) -> None:
    """A 503 whose body holds the string is a failure, named by its status code."""
    web.behave(status=503, body=b"ALL GOOD")
    observation = await probe(str_match(web.port, "ALL GOOD"))
    assert (observation.healthy, observation.status) == (
        False,
        "Failure: HTTP Status Code 503, Service Unavailable",
    )


@pytest.mark.asyncio
async def test_redirect_with_the_string_is_healthy(web: HttpTarget) -> None:
    """A 302 whose body holds the string passes a string-match check."""
    web.behave(status=302, body=b"moved, ALL GOOD", headers=(("Location", "/x"),))
    observation = await probe(str_match(web.port, "ALL GOOD"))
    assert (observation.healthy, observation.status) == (
        True,
        "Success: HTTP Status Code 302, Found",
    )


@pytest.mark.asyncio
async def test_corrupt_gzip_body(web: HttpTarget) -> None:
    """A body labelled gzip that isn't fails as undecompressable."""
    web.behave(body=b"ALL GOOD, not gzip", headers=(("Content-Encoding", "gzip"),))
    observation = await probe(str_match(web.port, "ALL GOOD"))
    assert (observation.healthy, observation.status) == (False, STATUS_BODY_NOT_DECOMPRESSED)


@pytest.mark.asyncio
async def test_https_string_match(tls_web: HttpTarget) -> None:
    """HTTPS_STR_MATCH reads the body over TLS (gzip here) and finds the string."""
    tls_web.behave(body=b"ALL GOOD", content_encoding="gzip")
    observation = await probe(str_match(tls_web.port, "ALL GOOD", "HTTPS_STR_MATCH"))
    assert (observation.healthy, observation.status) == (True, OK)


@pytest.mark.parametrize(
    ("response", "status"),
    [
        # chunked: the string spans two chunks
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nALL G\r\n4\r\nOOD!\r\n0\r\n\r\n",
            OK,
        ),
        # neither Content-Length nor chunked: the body ends when the endpoint closes
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nstatus: ALL GOOD", OK),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nstatus: poor", None),
        # a 100 Continue before the final response is skipped
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nALL GOOD",
            OK,
        ),
        # raw deflate (no zlib header), as some servers send it
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: "
            + str(len(RAW_DEFLATE)).encode()
            + b"\r\n\r\n"
            + RAW_DEFLATE,
            OK,
        ),
        # the endpoint closes before the Content-Length it announced
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstatus:",
            STATUS_CONNECTION_CLOSED,
        ),
    ],
    ids=["chunked", "until-close", "until-close-no-string", "interim-100", "raw-deflate", "cut"],
)
@pytest.mark.asyncio
async def test_body_framings(listener: TcpListener, response: bytes, status: str | None) -> None:
    """The body is read however the endpoint frames it; None means "string not found"."""
    listener.reply = response
    observation = await probe(str_match(listener.port, "ALL GOOD"))
    expected = STATUS_SEARCH_STRING_NOT_FOUND if status is None else status
    assert (observation.healthy, observation.status) == (expected == OK, expected)


@pytest.mark.asyncio
async def test_endless_header_line_is_too_large(listener: TcpListener) -> None:
    """A header line that never ends fails as too large once it passes the limit, and early:
    nothing waits for the endpoint to finish it."""
    listener.reply = b"HTTP/1.1 200 OK\r\nX-Endless: " + b"a" * 40_000
    observation = await probe(check(port=listener.port))
    assert (observation.healthy, observation.status) == (False, STATUS_HEADERS_TOO_LARGE)


@pytest.mark.asyncio
async def test_resource_path_is_percent_encoded(web: HttpTarget) -> None:
    """Characters a request target cannot hold are percent-encoded; existing escapes stay."""
    await probe(check(port=web.port, resource_path="/health check?q=a b&r=%41"))
    (request,) = web.requests
    assert request.path == "/health%20check?q=a%20b&r=%41"


# --- response headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "healthy"), [(16384, True), (16385, False)])
@pytest.mark.asyncio
async def test_headers_up_to_16_kb(web: HttpTarget, size: int, healthy: bool) -> None:
    """Response headers of exactly 16 KB pass; one byte more fails the check."""
    web.behave(header_bytes=size)
    observation = await probe(check(port=web.port))
    assert (observation.healthy, observation.status) == (
        (True, OK) if healthy else (False, STATUS_HEADERS_TOO_LARGE)
    )


@pytest.mark.asyncio
async def test_many_small_headers_over_16_kb(listener: TcpListener) -> None:
    """4,097 empty header fields (4 bytes each, 16,388 in all) fail as too large."""
    listener.reply = b"HTTP/1.1 200 OK\r\n" + b"a:\r\n" * 4097 + b"Content-Length: 0\r\n\r\n"
    observation = await probe(check(port=listener.port))
    assert (observation.healthy, observation.status) == (False, STATUS_HEADERS_TOO_LARGE)


@pytest.mark.asyncio
async def test_one_header_over_16_kb(web: HttpTarget) -> None:
    """A single header field larger than 16 KB fails as too large, not as a parse error."""
    web.behave(headers=(("X-Big", "b" * 17_000),))
    observation = await probe(check(port=web.port))
    assert (observation.healthy, observation.status) == (False, STATUS_HEADERS_TOO_LARGE)


# --- connection failures --------------------------------------------------------------------------


@pytest.mark.parametrize("check_type", ["HTTP", "HTTPS", "TCP"])
@pytest.mark.asyncio
async def test_connection_refused(listener: TcpListener, check_type: str) -> None:
    """A closed port fails at once with Route 53's connection-refused wording."""
    listener.close_port()
    observation, elapsed = await timed(check(check_type, port=listener.port))
    assert observation == Observation(False, f"Failure: Connection refused. {FIREWALL}", NOW, LOCAL)
    assert observation.status == STATUS_CONNECTION_REFUSED
    assert elapsed < 0.3


@pytest.mark.asyncio
async def test_dropped_connection_is_one_failure_without_retry(listener: TcpListener) -> None:
    """An endpoint that closes without answering fails the probe; the GET is not retried."""
    listener.reply = b""
    observation = await probe(check(port=listener.port))
    assert (observation.healthy, observation.status) == (False, STATUS_CONNECTION_CLOSED)
    received = await asyncio.to_thread(listener.wait_for_connections, 1)
    await asyncio.sleep(0.1)  # a retry would have reached the listener by now
    assert len(listener.received) == len(received) == 1
    assert received[0].startswith(b"GET / HTTP/1.1\r\n")


@pytest.mark.asyncio
async def test_malformed_response(listener: TcpListener) -> None:
    """A response that isn't HTTP fails as invalid."""
    listener.reply = b"HELLO THERE\r\n\r\n"
    observation = await probe(check(port=listener.port))
    assert (observation.healthy, observation.status) == (False, STATUS_INVALID_RESPONSE)


@pytest.mark.asyncio
async def test_hand_made_response_is_judged_like_any_other(listener: TcpListener) -> None:
    """A minimal raw HTTP/1.1 response with a 200 passes (the parser is not the test target's)."""
    listener.reply = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    assert (await probe(check(port=listener.port))).status == OK


# --- TCP checks -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_tcp_connects_and_sends_nothing(listener: TcpListener) -> None:
    """A TCP check succeeds on connecting, and the endpoint receives not a single byte."""
    observation = await probe(check("TCP", port=listener.port))
    assert observation == Observation(True, "Success: TCP connection established.", NOW, LOCAL)
    assert observation.status == STATUS_TCP_CONNECTED
    assert await asyncio.to_thread(listener.wait_for_connections, 1) == [b""]


@pytest.mark.asyncio
async def test_tcp_check_on_a_silent_http_port(web: HttpTarget) -> None:
    """A TCP check only needs the connection: a web server returning 503 still passes it."""
    web.behave(status=503)
    assert (await probe(check("TCP", port=web.port))).healthy
    assert web.requests == []


# --- HTTPS ----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_https_accepts_a_self_signed_certificate(tls_web: HttpTarget) -> None:
    """HTTPS checks don't validate certificates: a self-signed one for another name is fine."""
    observation = await probe(check("HTTPS", port=tls_web.port, fqdn="www.example.test"))
    assert observation == Observation(True, OK, NOW, LOCAL)


@pytest.mark.parametrize(
    ("enable_sni", "fqdn", "sni"),
    [
        (True, "www.example.test", "www.example.test"),
        (False, "www.example.test", None),
        (True, None, None),  # an IP is never sent as SNI
    ],
)
@pytest.mark.asyncio
async def test_sni(
    tls_web: HttpTarget, enable_sni: bool, fqdn: str | None, sni: str | None
) -> None:
    """The ClientHello names the fqdn exactly when enable_sni is set and there is an fqdn."""
    await probe(check("HTTPS", port=tls_web.port, fqdn=fqdn, enable_sni=enable_sni))
    (request,) = tls_web.requests
    assert request.sni == sni
    assert request.headers["Host"] == f"{fqdn or LOCAL}:{tls_web.port}"


@pytest.mark.asyncio
async def test_https_to_a_plain_http_port(web: HttpTarget) -> None:
    """An HTTPS check against a port that doesn't speak TLS fails its handshake."""
    observation = await probe(check("HTTPS", port=web.port))
    assert (observation.healthy, observation.status) == (False, STATUS_TLS_FAILED)


# --- timeouts, measured ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_hanging_endpoint_fails_after_route53s_2_seconds(listener: TcpListener) -> None:
    """With the default timeouts, an endpoint that accepts and never answers fails in ~2 s."""
    observation, elapsed = await timed(check(port=listener.port), ProbeTimeouts())
    assert observation.status == (
        "Failure: Timed out waiting for the HTTP response. The endpoint did not send a status "
        "code within 2 seconds after the connection was established."
    )
    assert 2.0 - EARLY <= elapsed < 2.6


@pytest.mark.asyncio
async def test_hanging_probes_run_concurrently(listener: TcpListener) -> None:
    """20 probes of a hanging endpoint on one Prober all end together after ~2 s, not 40 s."""
    spec = check(port=listener.port)
    started = time.monotonic()
    async with Prober() as prober:
        observations = await asyncio.gather(*(prober.probe(spec, LOCAL, now) for _ in range(20)))
    elapsed = time.monotonic() - started
    assert {(o.healthy, o.status.split(".")[0]) for o in observations} == {
        (False, "Failure: Timed out waiting for the HTTP response")
    }
    assert 2.0 - EARLY <= elapsed < 2.8


@pytest.mark.asyncio
async def test_slow_headers_time_out(web: HttpTarget) -> None:
    """Headers later than the first-byte budget fail the probe when the budget ends."""
    web.behave(header_delay=1.0)
    timeouts = ProbeTimeouts(connect=5, first_byte=0.3, body=5, tcp_connect=5)
    observation, elapsed = await timed(check(port=web.port), timeouts)
    assert observation.status == (
        "Failure: Timed out waiting for the HTTP response. The endpoint did not send a status "
        "code within 0.3 seconds after the connection was established."
    )
    assert 0.3 - EARLY <= elapsed < 0.7


@pytest.mark.asyncio
async def test_slow_headers_within_the_budget_pass(web: HttpTarget) -> None:
    """Headers that arrive within the first-byte budget are waited for."""
    web.behave(header_delay=0.3)
    timeouts = ProbeTimeouts(connect=5, first_byte=1.0, body=5, tcp_connect=5)
    observation, elapsed = await timed(check(port=web.port), timeouts)
    assert observation.status == OK
    assert elapsed >= 0.3 - EARLY


@pytest.mark.asyncio
async def test_slow_body_times_out_for_string_match(web: HttpTarget) -> None:
    """A body later than the body budget fails a string-match check when the budget ends."""
    web.behave(body=b"ALL GOOD", body_delay=1.0)
    timeouts = ProbeTimeouts(connect=5, first_byte=5, body=0.3, tcp_connect=5)
    observation, elapsed = await timed(str_match(web.port, "ALL GOOD"), timeouts)
    assert observation.status == (
        "Failure: Timed out waiting for the response body. The first 5120 bytes of the body did "
        "not arrive within 0.3 seconds after the status code."
    )
    assert 0.3 - EARLY <= elapsed < 0.7


@pytest.mark.asyncio
async def test_each_phase_has_its_own_budget(web: HttpTarget) -> None:
    """Headers after 0.3 s and the body 0.3 s later pass budgets of 0.45 s each (0.6 s in all)."""
    web.behave(body=b"ALL GOOD", header_delay=0.3, body_delay=0.3)
    timeouts = ProbeTimeouts(connect=5, first_byte=0.45, body=0.45, tcp_connect=5)
    observation, elapsed = await timed(str_match(web.port, "ALL GOOD"), timeouts)
    assert observation.status == OK
    assert elapsed >= 0.6 - EARLY


@pytest.mark.asyncio
async def test_plain_http_check_does_not_wait_for_the_body(web: HttpTarget) -> None:
    """An HTTP check is judged on its headers: a body that is late changes nothing."""
    web.behave(body_delay=2.0)
    observation, elapsed = await timed(check(port=web.port))
    assert observation.status == OK
    assert elapsed < 0.5


@pytest.mark.parametrize("check_type", ["HTTP", "HTTPS_STR_MATCH"])
@pytest.mark.asyncio
async def test_connect_timeout(stalled: StalledPort, check_type: str) -> None:
    """A connection that never completes fails when the connect budget ends."""
    timeouts = ProbeTimeouts(connect=0.3, first_byte=5, body=5, tcp_connect=5)
    spec = check(check_type, port=stalled.port, search_string="x")
    observation, elapsed = await timed(spec, timeouts)
    assert observation.status == STATUS_CONNECTION_TIMED_OUT
    assert observation.status == f"Failure: Connection timed out. {FIREWALL}"
    assert 0.3 - EARLY <= elapsed < 0.7


@pytest.mark.asyncio
async def test_tls_handshake_counts_towards_the_connect_budget(listener: TcpListener) -> None:
    """An HTTPS endpoint that accepts TCP but never completes TLS times out as a connection."""
    timeouts = ProbeTimeouts(connect=0.3, first_byte=5, body=5, tcp_connect=5)
    observation, elapsed = await timed(check("HTTPS", port=listener.port), timeouts)
    assert observation.status == STATUS_CONNECTION_TIMED_OUT
    assert 0.3 - EARLY <= elapsed < 0.7


@pytest.mark.asyncio
async def test_tcp_check_uses_its_own_connect_budget(stalled: StalledPort) -> None:
    """A TCP check waits `tcp_connect` (10 s by default), not the HTTP connect budget."""
    timeouts = ProbeTimeouts(connect=0.1, first_byte=0.1, body=0.1, tcp_connect=0.5)
    observation, elapsed = await timed(check("TCP", port=stalled.port), timeouts)
    assert observation.status == STATUS_CONNECTION_TIMED_OUT
    assert 0.5 - EARLY <= elapsed < 0.9


@pytest.mark.asyncio
async def test_a_hanging_probe_does_not_delay_a_healthy_one(
    listener: TcpListener, web: HttpTarget
) -> None:
    """While one probe waits on a hanging endpoint, a probe of a healthy one returns at once."""
    async with Prober(ProbeTimeouts()) as prober:
        hanging = asyncio.create_task(prober.probe(check(port=listener.port), LOCAL, now))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        healthy = await prober.probe(check(port=web.port), LOCAL, now)
        elapsed = time.monotonic() - started
        hanging.cancel()
        with pytest.raises(asyncio.CancelledError):
            await hanging
    assert healthy.status == OK
    assert elapsed < 0.5

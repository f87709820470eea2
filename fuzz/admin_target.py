"""The admin target: mutated HTTP requests to a running server's admin API.

A `BackgroundServer` serves a copy of the bundled zones on 127.0.0.1 (DNS and the admin API on
free ports, a token, a request timeout of `REQUEST_TIMEOUT`). Each input is a raw request
(`.http`): sent as written over a socket (then read until a whole response or the server
closes; sometimes after closing our side for writing), and, when it is well formed, also through
aiohttp's client. Invariants: never a 5xx; never a traceback (or aiohttp's "Server got itself in
trouble") in a body; a JSON response is JSON; a response, or the connection closed, within
`REQUEST_TIMEOUT` + `SLACK` seconds; nothing logged with a traceback, and nothing at ERROR but
the short line a rejected request gets (`admin API: ... (answered 4xx)`, docs/limits.md); and
now and then (every corpus input, every `HEALTH_EVERY` inputs) GET /healthz answers 200 and a
DNS query the right records.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from fuzz import dnswire
from fuzz.engine import CORPUS, Broken, Case, collecting, load_corpus, shown
from fuzz.http_mutate import METHODS, mutate_request, parse_request
from fuzz.query_target import BUNDLED_ZONES, PROBE_NAME, PROBE_VALUES, _Datas
from r53emu.app import ServerConfig
from r53emu.testing.background import BackgroundServer

TOKEN = "fuzz-token"  # noqa: S105 (the test server's admin token)
REQUEST_TIMEOUT = 0.5  # the server's admin_request_timeout
SLACK = 3.0  # seconds beyond the request timeout a response (or a close) may take
HEALTH_EVERY = 25
LOGGERS = ("r53emu", "aiohttp", "asyncio")
ALLOWED_ERROR = re.compile(
    r"admin API: .* \(answered 4\d\d\)( \([\d,]+ more like it not logged since the "
    r"previous one\))?",
    re.DOTALL,
)
TRACEBACKS = (b"Traceback (most recent call last)", b"Server got itself in trouble")


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class AdminTarget:
    name = "admin"
    hang_seconds = 60.0

    def __init__(self, corpus: Path = CORPUS / "admin") -> None:
        self.corpus_dir = corpus
        self._directory = tempfile.TemporaryDirectory(prefix="r53emu-fuzz-admin-")
        zones = Path(self._directory.name) / "zones"
        zones.mkdir()
        for path in sorted(BUNDLED_ZONES.iterdir()):
            shutil.copy(path, zones / path.name)
        self._logging = collecting(LOGGERS)
        self.log = self._logging.__enter__()
        config = ServerConfig(
            zones=zones,
            address="127.0.0.1",
            port=0,
            seed=1,
            admin_port=0,
            admin_address="127.0.0.1",
            admin_token=TOKEN,
            admin_request_timeout=REQUEST_TIMEOUT,
        )
        self.background = BackgroundServer(config).start()
        admin = self.background.server.admin
        assert admin is not None
        assert admin.port is not None
        self.port = admin.port
        self.loop = asyncio.new_event_loop()
        self.session = self.loop.run_until_complete(_session())
        self.checked = 0

    def corpus(self) -> list[Case]:
        return load_corpus(self.corpus_dir, (".http",))

    def mutate(self, case: Case, rng: random.Random, pool: Sequence[Case]) -> Case:
        return Case("mutant.http", mutate_request(case.data, rng, _Datas(pool)))

    def check(self, case: Case, deep: bool) -> str:
        try:
            return self._check(case, deep)
        except Broken as broken:
            # The request line and the headers known bugs are told by: the server's log may
            # leave a traceback out (one per kind per 10 s).
            line = case.data.split(b"\r\n", 1)[0][:200]
            shown_headers = ""
            for header in ("authorization", "expect"):
                found = re.search(rb"(?im)^" + header.encode() + rb":([^\r\n]*)", case.data)
                shown_headers += f", {header} {found.group(1)[:80]!r}" if found else ""
            detail = f"{broken.detail}\nrequest: {line!r}{shown_headers}"
            raise Broken(broken.invariant, detail) from None

    def _check(self, case: Case, deep: bool) -> str:
        self.checked += 1
        digest = hashlib.sha256(case.data).digest()
        well_formed = _aiohttp_request(case.data)
        if deep:
            modes = ["raw", "half-closed"] + (["aiohttp"] if well_formed else [])
        elif well_formed is not None and digest[0] % 3 == 0:
            modes = ["aiohttp"]
        else:
            modes = ["half-closed" if digest[1] % 8 == 0 or b"\r\n\r\n" not in case.data else "raw"]
        outcomes = []
        for mode in modes:
            self.log.take()
            started = time.monotonic()
            responses = self._send(case.data, mode, well_formed)
            seconds = time.monotonic() - started
            try:
                for response in responses:
                    _check_response(response)
            except Broken as broken:  # with what the server logged about it
                logged = "\n".join(map(shown, self._logged()))
                raise Broken(broken.invariant, f"{broken.detail}\nlogged: {logged}") from None
            self._check_log()
            status = ",".join(str(response.status) for response in responses) or "closed"
            # The label must be the same run to run: after a half-close the server answers or
            # closes first as timing has it, and of pipelined requests as many responses come
            # in one read as happen to. So: the first response's status, none after half-close.
            first = str(responses[0].status) if responses else "closed"
            shown_status = "" if mode == "half-closed" else first
            outcomes.append(f"{mode} {_route(case.data)} {shown_status}".rstrip())
            if seconds > REQUEST_TIMEOUT + SLACK:
                raise Broken("slow", f"{mode}: {seconds:.2f} s for {status}")
        if deep or self.checked % HEALTH_EVERY == 0:
            self.still_serving()
        return " | ".join(outcomes)

    def _send(
        self, data: bytes, mode: str, request: tuple[str, str, CIMultiDict[str], bytes] | None
    ) -> list[Response]:
        if mode == "aiohttp" and request is not None:
            return self.loop.run_until_complete(self._aiohttp(*request))
        return _raw(self.port, data, mode == "half-closed")

    async def _aiohttp(
        self, method: str, target: str, headers: CIMultiDict[str], body: bytes
    ) -> list[Response]:
        url = URL(f"http://127.0.0.1:{self.port}{target}", encoded=True)
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT + SLACK)
        try:
            async with self.session.request(
                method, url, headers=headers, data=body or None, timeout=timeout
            ) as reply:
                content = await reply.read()
                return [Response(reply.status, dict(reply.headers), content)]
        except TimeoutError:
            raise Broken("no-response", "aiohttp: no response in time") from None
        except aiohttp.ClientError:
            return []  # the server closed the connection

    def _logged(self) -> list[logging.LogRecord]:
        """What the server logged since the last call (after one turn of its loop)."""

        async def barrier() -> None:
            await asyncio.sleep(0)

        future = asyncio.run_coroutine_threadsafe(barrier(), self.background._loop)
        future.result(timeout=10)
        return self.log.take()

    def _check_log(self) -> None:
        for record in self._logged():
            message = record.getMessage()
            if record.exc_info or "Traceback" in message:
                raise Broken("logged-traceback", shown(record))
            if record.name.startswith("aiohttp") and record.levelno >= 30:
                raise Broken("logged-error", shown(record))
            if record.levelno >= 40 and not ALLOWED_ERROR.fullmatch(message):
                raise Broken("logged-error", shown(record))

    def still_serving(self) -> None:
        """GET /healthz is 200 and a DNS query gets its records."""
        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        responses = _raw(self.port, request, False)
        if not responses or responses[0].status != 200:
            raise Broken("healthz", f"GET /healthz afterwards: {responses}")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.settimeout(2.0)
            udp.sendto(dnswire.query(PROBE_NAME, ident=0x4242), self.background.address)
            try:
                reply = dnswire.read_message(udp.recv(65535))
            except (TimeoutError, dnswire.WireError) as exc:
                raise Broken("dns-afterwards", f"no good DNS reply: {exc!r}") from None
        if {record.rdata for record in reply.answer} != PROBE_VALUES:
            raise Broken("dns-afterwards", f"DNS answered {reply}")

    def close(self) -> None:
        self.loop.run_until_complete(self.session.close())
        self.loop.close()
        self.background.stop()
        self._logging.__exit__(None, None, None)
        self._directory.cleanup()


async def _session() -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(force_close=True)
    return aiohttp.ClientSession(connector=connector, auto_decompress=False)


def _aiohttp_request(data: bytes) -> tuple[str, str, CIMultiDict[str], bytes] | None:
    """The request as aiohttp's client can send it, when it is well formed enough."""
    request = parse_request(data)
    if request is None or request.method not in METHODS or request.version != b"HTTP/1.1":
        return None
    if not re.fullmatch(rb"/[\x21-\x7e]*", request.target):
        return None
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in request.headers:
        lowered = name.lower()
        if lowered == b"content-length":
            if value != str(len(request.body)).encode():
                return None
            continue
        if lowered in (b"transfer-encoding", b"host", b"expect"):
            return None
        if not re.fullmatch(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
            return None
        if not re.fullmatch(rb"[\x20-\x7e]*", value):
            return None
        headers.add(name.decode(), value.decode())
    return request.method.decode(), request.target.decode(), headers, request.body


def _raw(port: int, data: bytes, half_close: bool) -> list[Response]:
    """Send `data` as it is; the responses read before the server closed (or, with the
    connection still open, the first whole one)."""
    deadline = time.monotonic() + REQUEST_TIMEOUT + SLACK
    head_only = data.split(b" ", 1)[0] == b"HEAD"
    buffer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT + SLACK) as sock:
        # The server may close early (a rejected request line): read what it sent.
        with contextlib.suppress(OSError):
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        while True:
            responses, complete = _responses(buffer, head_only)
            if responses and complete and not half_close:
                return responses
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                raise Broken("no-response", f"{len(buffer)} bytes and no close in time") from None
            except OSError:
                chunk = b""
            if not chunk:
                return _responses(buffer, head_only)[0]
            buffer += chunk


def _responses(buffer: bytes, head_only: bool) -> tuple[list[Response], bool]:
    """The whole responses at the start of `buffer`, and whether it ends after one."""
    responses: list[Response] = []
    while buffer:
        head, separator, rest = buffer.partition(b"\r\n\r\n")
        if not separator:
            return responses, False
        lines = head.split(b"\r\n")
        match = re.match(rb"HTTP/\d\.\d (\d{3}) ", lines[0])
        if match is None:
            raise Broken("bad-response", f"not an HTTP response: {buffer[:200]!r}")
        status = int(match.group(1))
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.decode("latin-1").lower()] = value.strip().decode("latin-1")
        if 100 <= status < 200:
            buffer = rest
            continue
        length = int(headers.get("content-length", "0") or 0)
        if head_only or status in (204, 304):
            length = 0
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body, rest, whole = _dechunked(rest)
            if not whole:
                return responses, False
        else:
            if len(rest) < length:
                return responses, False
            body, rest = rest[:length], rest[length:]
        responses.append(Response(status, headers, body))
        buffer = rest
    return responses, bool(responses)


def _dechunked(data: bytes) -> tuple[bytes, bytes, bool]:
    body = b""
    while True:
        size_line, separator, rest = data.partition(b"\r\n")
        if not separator:
            return body, data, False
        size = int(size_line.split(b";")[0] or b"0", 16)
        if len(rest) < size + 2:
            return body, data, False
        body, data = body + rest[:size], rest[size + 2 :]
        if size == 0:
            return body, data, True


def _check_response(response: Response) -> None:
    if response.status >= 500:
        raise Broken("status-5xx", f"{response.status}: {response.body[:500]!r}")
    if any(marker in response.body for marker in TRACEBACKS):
        raise Broken("traceback-in-body", f"{response.status}: {response.body[:2000]!r}")
    if response.headers.get("content-type", "").startswith("application/json") and response.body:
        try:
            json.loads(response.body)
        except ValueError:
            raise Broken("bad-json", f"{response.status}: {response.body[:500]!r}") from None


def _route(data: bytes) -> str:
    """The method and the endpoint a request was for, roughly (for the outcome label)."""
    line = data.split(b"\r\n", 1)[0].decode("latin-1")[:200]
    parts = line.split(" ")
    if len(parts) < 2:
        return "unreadable"
    path = parts[1].split("?", 1)[0].split("/")
    shape = "/".join(segment if segment in _KNOWN else "*" for segment in path[:4])
    return f"{parts[0][:10]} {shape}"


_KNOWN = frozenset(
    {"", "healthz", "metrics", "zones", "health-checks", "override", "switch", "overrides"}
    | {"reload", "explain", "2013-04-01", "testdnsanswer"}
)

"""Real endpoints on 127.0.0.1 for health-check tests, switchable while they run.

Every target serves from one asyncio loop in a daemon thread shared by the whole process (never
closed, see `_targets_loop`) and binds a free port before `start()` returns, so the same object
works in synchronous tests (end to end through dnspython, benchmarks) and in pytest-asyncio
tests: the loop under test only talks to a target over real sockets, and a target that is told
to stall never blocks that loop. Switching behaviour is a plain attribute write, safe from any
thread; it applies to the next request. `stop()` (or leaving the `with` block) closes the port
and drops open connections.

* `HttpTarget()` / `HttpTarget(tls=True)`: an aiohttp.web server answering every path as its
  current `Behaviour` says (status, body, gzip/deflate encoding, extra or padded headers, delays
  before the headers and before the body). HTTPS uses a self-signed certificate made once per
  process with the `openssl` command line. It records every request (`SeenRequest`: path and
  query, headers, SNI name). `close_port()` makes the port refuse connections, `reopen_port()`
  serves on the same port again.
* `TcpListener()`: accepts connections and never sends a byte: a healthy TCP-check target, and an
  HTTP endpoint that hangs. With `reply` set it answers the request head with raw bytes and
  closes (a dropped connection, a malformed response). Records what each connection sent;
  `close_port()` / `reopen_port()`.
* `StalledPort()`: a port whose connections never complete (a listener whose accept queue is full
  and never drained, so Linux drops further SYNs): the connect-timeout target. Linux only.

    with HttpTarget() as web:
        web.behave(status=503)              # every request now gets a 503
        web.behave(body=b"OK", content_encoding="gzip", header_delay=0.5)
        web.requests[-1].headers["Host"]
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

HOST = "127.0.0.1"
SERVER = "r53emu-test-target"
DATE = "Thu, 01 Jan 2026 00:00:00 GMT"  # fixed, so header sizes are exact
T = TypeVar("T")


@dataclass(frozen=True)
class Behaviour:
    """What an `HttpTarget` answers to every request.

    `headers` are added to the response; `header_bytes` pads it with one `X-Padding` field so that
    the header block the client parses totals exactly that many bytes (name + ": " + value + CRLF
    per field, status line excluded, as `r53emu.health.probes` counts). `header_delay` waits before
    the status line; `body_delay` waits after the headers, before the body.
    """

    status: int = 200
    reason: str | None = None
    body: bytes = b"OK"
    content_encoding: str | None = None  # "gzip" or "deflate": the body is sent compressed
    headers: tuple[tuple[str, str], ...] = ()
    header_bytes: int | None = None
    header_delay: float = 0.0
    body_delay: float = 0.0


@dataclass(frozen=True)
class SeenRequest:
    """A request as the target received it: method, raw path with query, headers, SNI name,
    and the client's port (a new port per request means a new connection per request)."""

    method: str
    path: str
    headers: Mapping[str, str]
    sni: str | None
    client_port: int


class _LoopThread:
    """An asyncio loop running forever in a daemon thread; `call(coro)` runs a coroutine there."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name=name, daemon=True).start()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@cache
def _targets_loop() -> _LoopThread:
    """The one loop every target of the process serves from.

    It is never closed: whatever a target still has in flight when it stops (a socket being
    closed, a handler finishing) completes on a live loop. A closed loop would orphan it, and
    the garbage collector would report it later as an unclosed socket: a ResourceWarning, an
    error under pytest's `filterwarnings = error`, in whichever test happens to be running.
    """
    return _LoopThread("r53emu-test-targets")


async def _settle(turns: int = 3) -> None:
    """Run a few loop turns: enough for aborted transports to close their sockets."""
    for _ in range(turns):
        await asyncio.sleep(0)


class _Target:
    """Start/stop plumbing shared by the targets, and the context manager."""

    port: int

    def __init__(self) -> None:
        self._started = False

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve; `port` is set when this returns."""
        _targets_loop().call(self._start())
        self._started = True
        return self

    def stop(self) -> None:
        """Stop serving and drop the connections still open."""
        if self._started:
            self._started = False
            _targets_loop().call(self._stop())

    def close_port(self) -> None:
        """Stop listening and drop open connections: the port refuses until `reopen_port()`."""
        self._call(self._close_port())

    def reopen_port(self) -> None:
        """Listen on the same port again."""
        self._call(self._open_port(self.port))

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._started, "start() the target first"
        return _targets_loop().call(coro)

    async def _start(self) -> None:
        await self._open_port(0)

    async def _stop(self) -> None:
        await self._close_port()

    async def _open_port(self, port: int) -> None:
        raise NotImplementedError

    async def _close_port(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class HttpTarget(_Target):
    """An HTTP (or, with `tls=True`, HTTPS) endpoint whose answers tests switch at run time."""

    def __init__(self, *, tls: bool = False) -> None:
        super().__init__()
        self.tls = tls
        self.behaviour = Behaviour()
        self._requests: list[SeenRequest] = []
        self._runner: web.AppRunner | None = None
        self._listener: _Listener | None = None
        self._connections = _Connections()

    def behave(self, **fields: Any) -> None:
        """Answer every following request with `Behaviour(**fields)` (unnamed fields: defaults)."""
        self.behaviour = Behaviour(**fields)

    @property
    def requests(self) -> list[SeenRequest]:
        """The requests received so far, oldest first."""
        return list(self._requests)

    def clear_requests(self) -> None:
        self._requests.clear()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a client that gives up (a timed-out probe) ends its handler;
        # shutdown_timeout: stopping never waits long for a delayed answer nobody will read.
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            handler_cancellation=True,
            shutdown_timeout=0.1,
        )
        await self._runner.setup()
        await self._open_port(0)

    async def _stop(self) -> None:
        await self._close_port()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _open_port(self, port: int) -> None:
        assert self._runner is not None
        assert self._runner.server is not None
        factory = self._runner.server  # aiohttp's low-level server: one handler per connection
        self._connections.listening = True
        self._listener = _Listener(
            lambda: _Recorded(factory(), self._connections),
            port,
            self._server_tls() if self.tls else None,
        )
        self.port = self._listener.port

    async def _close_port(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        await self._connections.drop_all()

    def _server_tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*self_signed_certificate())

        def remember_sni(conn: Any, name: str | None, _context: ssl.SSLContext) -> None:
            conn.r53emu_sni = name  # read back from the request's ssl_object in `_handle`

        context.sni_callback = remember_sni
        return context

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        behaviour = self.behaviour
        transport = request.transport
        tls_object = transport.get_extra_info("ssl_object") if transport else None
        peer = transport.get_extra_info("peername") if transport else None
        self._requests.append(
            SeenRequest(
                method=request.method,
                path=request.raw_path,
                headers=dict(request.headers),
                sni=getattr(tls_object, "r53emu_sni", None),
                client_port=peer[1] if peer else 0,
            )
        )
        if behaviour.header_delay:
            await asyncio.sleep(behaviour.header_delay)
        body = _encode(behaviour.body, behaviour.content_encoding)
        if behaviour.status < 200 or behaviour.status in (204, 304):
            body = b""  # these statuses never have a body (RFC 9110 §6.4.1)
        response = web.StreamResponse(status=behaviour.status, reason=behaviour.reason)
        response.force_close()
        # Every header is set here (none left for aiohttp to add), so `header_bytes` is exact.
        fields = [
            ("Server", SERVER),
            ("Date", DATE),
            ("Connection", "close"),
            ("Content-Type", "text/plain"),
            ("Content-Length", str(len(body))),
            *behaviour.headers,
        ]
        if behaviour.content_encoding:
            fields.append(("Content-Encoding", behaviour.content_encoding))
        if behaviour.header_bytes is not None:
            fields.append(_padding(behaviour.header_bytes - _header_bytes(fields)))
        for name, value in fields:
            response.headers.add(name, value)
        try:
            await response.prepare(request)  # a StreamResponse sends its headers right here
            if behaviour.body_delay:
                await asyncio.sleep(behaviour.body_delay)
            await response.write(body)
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client gave up first (a probe that timed out): nothing left to do
        return response


class _Listener:
    """A listening socket on 127.0.0.1 whose connections go to `factory`'s protocols.

    Not `loop.create_server`: Python 3.11's asyncio server loses a connection accepted just
    before `Server.close()` (its transport fails on `Server._attach`'s assertion, and the socket
    is left unclosed: a ResourceWarning, an error under pytest). Here accepting is a reader
    callback, removed synchronously on `close()`, and each accepted socket is handed to
    `loop.connect_accepted_socket` with no server attached.
    """

    def __init__(
        self, factory: Callable[[], asyncio.Protocol], port: int, tls: ssl.SSLContext | None = None
    ) -> None:
        self._factory = factory
        self._tls = tls
        self._loop = asyncio.get_running_loop()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, port))
        self._sock.listen(128)
        self._sock.setblocking(False)
        self.port: int = self._sock.getsockname()[1]
        self._loop.add_reader(self._sock.fileno(), self._accept)
        self._pending: set[asyncio.Task[None]] = set()

    def close(self) -> None:
        self._loop.remove_reader(self._sock.fileno())
        self._sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. the client reset it already
                continue
            conn.setblocking(False)
            task = self._loop.create_task(self._connect(conn))
            self._pending.add(task)  # held until done: a task is only weakly referenced
            task.add_done_callback(self._pending.discard)

    async def _connect(self, conn: socket.socket) -> None:
        # A TLS handshake that fails raises here, and its transport has closed the socket.
        with contextlib.suppress(OSError):
            await self._loop.connect_accepted_socket(self._factory, conn, ssl=self._tls)


class _Connections:
    """Every connection a listener accepted, until `drop_all` aborts them together.

    So a closed port really has nothing open: a connection a `TcpListener` holds, an answer an
    `HttpTarget` is still delaying, and a connection whose set-up completes after the port
    closed (a TLS handshake, say) are all dropped, whatever the server code would do.
    """

    def __init__(self) -> None:
        self.listening = False
        self._transports: list[asyncio.Transport] = []

    def add(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # TCP or TLS streams, both abortable
        if not self.listening:  # made after the port closed: drop it at once
            transport.abort()
            return
        if len(self._transports) >= 1000:  # long runs (benchmarks): forget the closed ones
            self._transports = [kept for kept in self._transports if not kept.is_closing()]
        self._transports.append(transport)

    async def drop_all(self) -> None:
        self.listening = False
        transports, self._transports = self._transports, []
        for transport in transports:
            transport.abort()  # a no-op for a closed one
        await _settle()  # their sockets close


class _Recorded(asyncio.Protocol):
    """A protocol that records its transport in `_Connections`, then defers to `inner`."""

    def __init__(self, inner: asyncio.Protocol, connections: _Connections) -> None:
        self.inner = inner
        self.connections = connections

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connections.add(transport)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class TcpListener(_Target):
    """Accepts TCP connections and records what each one sent.

    `reply` is None by default: every connection is held open and nothing is ever sent (a TCP
    check succeeds, an HTTP check hangs). Set to bytes, the listener reads the request head (up to
    the blank line, or EOF), sends exactly those bytes and closes: `b""` drops the connection
    without an answer, anything else is a hand-made (e.g. malformed) response.
    """

    def __init__(self) -> None:
        super().__init__()
        self.reply: bytes | None = None
        self._listener: _Listener | None = None
        self._received: list[bytes] = []
        self._connections = _Connections()

    @property
    def received(self) -> list[bytes]:
        """What each connection that has ended sent, in order of ending."""
        return list(self._received)

    def wait_for_connections(self, count: int, timeout: float = 5.0) -> list[bytes]:
        """Block until `count` connections have ended; return what each sent."""
        deadline = time.monotonic() + timeout
        while len(self._received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self._received)} of {count} connections ended")
            time.sleep(0.01)
        return self.received

    async def _open_port(self, port: int) -> None:
        self._connections.listening = True
        self._listener = _Listener(lambda: _Recorded(_Connection(self), self._connections), port)
        self.port = self._listener.port

    async def _close_port(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        await self._connections.drop_all()  # also the connections being held


class _Connection(asyncio.Protocol):
    """One connection to a `TcpListener`."""

    def __init__(self, listener: TcpListener) -> None:
        self.listener = listener
        self.reply = listener.reply
        self.data = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.data += data
        if self.reply is not None and b"\r\n\r\n" in self.data:
            self._answer()

    def eof_received(self) -> bool:
        if self.reply is not None:
            self._answer()
        return False  # close

    def connection_lost(self, exc: Exception | None) -> None:
        self.listener._received.append(bytes(self.data))

    def _answer(self) -> None:
        assert self.transport is not None
        assert self.reply is not None
        if not self.transport.is_closing():
            self.transport.write(self.reply)
            self.transport.close()


class StalledPort:
    """A port where TCP connections never complete (Linux drops SYNs to a full accept queue)."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._fillers: list[socket.socket] = []
        self.port = 0

    def start(self) -> Self:
        self._listener.bind((HOST, 0))
        self._listener.listen(0)  # room for one queued connection, which is never accepted
        self.port = self._listener.getsockname()[1]
        for _ in range(2):  # fill the queue (the second filler itself stays half-open)
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect((HOST, self.port))
            self._fillers.append(filler)
        time.sleep(0.05)  # let the first handshake complete so the queue is full
        return self

    def stop(self) -> None:
        for sock in (*self._fillers, self._listener):
            sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@cache
def self_signed_certificate() -> tuple[str, str]:
    """(certificate, key) PEM file paths of a self-signed EC certificate, made once per process."""
    directory = Path(tempfile.mkdtemp(prefix="r53emu-tls-"))
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
    subprocess.run(
        [*command.split(), "-subj", f"/CN={SERVER}", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def _encode(body: bytes, encoding: str | None) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body)
    if encoding == "deflate":
        return zlib.compress(body)  # HTTP "deflate" is the zlib format (RFC 9110 §8.4.1.2)
    return body


def _header_bytes(fields: list[tuple[str, str]]) -> int:
    return sum(len(name) + len(value) + 4 for name, value in fields)


def _padding(size: int) -> tuple[str, str]:
    name = "X-Padding"
    overhead = len(name) + 4
    if size < overhead:
        raise ValueError(f"header_bytes too small to pad ({size} bytes left)")
    return name, "p" * (size - overhead)

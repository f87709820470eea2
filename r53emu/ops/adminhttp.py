"""The admin API's HTTP plumbing beneath its endpoints (r53emu.ops.admin): what aiohttp would
otherwise get wrong with hostile or vanishing clients.

- `AdminConnection`: each connection counted in a `ConnectionRegistry` (over the cap, the least
  recently active one is closed) before aiohttp's protocol sees it.
- `HttpFront`, in front of the application's handler: each request waits for its turn to
  start (`admit`: `LoopShare.admit`, a few per loop turn, in order, so that 32 clients
  streaming requests are served in turn instead of all in one turn of the loop that answers
  DNS), `Expect` answered without raising (417
  for anything but `100-continue`, whatever bytes it holds; aiohttp's own expect handler, which
  runs before the middlewares, raised on non-ASCII and was a 500), a client that goes away while
  its body is read or its `100 Continue` written ends its request quietly (counted, one DEBUG
  line per 10 s; not aiohttp's "Error handling request" and a traceback), and the handler tasks
  of every connection kept, so that `finish` can end them when the API stops (aiohttp forgets a
  connection's task once the client has gone, and the loop would destroy it pending).
- `ThrottledHttpLog`: the logger aiohttp's protocol gets: a request its parser rejects is one
  short line, and every kind of line at most one per 10 s.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, cast

from aiohttp import hdrs, web
from aiohttp.http import HttpVersion11
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from r53emu.server.listeners import ConnectionRegistry
from r53emu.server.logthrottle import LogThrottle
from r53emu.server.logthrottle import suffix as suffix_for

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]
LOGGED_DETAIL = 200  # characters of a rejected request's error message kept in its log line
SHOWN_EXPECT = 60  # characters of a refused Expect header quoted in the 417's message


class ClientGone(Exception):
    """The client closed its connection (or its sending side) before its request was answered;
    `while_` says what the server was doing then. Raised where a body is read; `HttpFront` ends
    the request quietly."""

    def __init__(self, while_: str) -> None:
        super().__init__(f"the client went away while {while_}")
        self.while_ = while_


class HttpFront:
    """What aiohttp's server calls for each request instead of the application's handler
    (`install`), and the routes' expect handler (`expect`)."""

    def __init__(
        self,
        app: web.Application,
        logger: logging.Logger,
        admit: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.admit = admit
        self.clients_gone = 0  # requests ended because their client went away, since the start
        self.tasks: set[asyncio.Task[None]] = set()  # aiohttp's handler task of each connection
        self._log = LogThrottle(logger)
        self._inner: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]] | None = None

    def install(self, server: web.Server) -> None:
        """Stand in front of `server`'s request handler (the application's); before the first
        connection, as each connection's protocol takes the handler when it is made."""
        self._inner = server.request_handler
        server.request_handler = self.handle

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Each request: its connection's task kept, its turn waited for, then the
        application's handler (or, for an unrouted request with an Expect header, the
        middlewares), a `ClientGone` ended."""
        assert self._inner is not None, "install() first"
        task = request.task
        if task not in self.tasks:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        if self.admit is not None:
            await self.admit()
        try:
            if request.headers.get(hdrs.EXPECT):
                # aiohttp calls the route's expect handler before the middlewares; a request no
                # route matches (404, 405) gets aiohttp's own, which raises on a non-ASCII
                # value and may write a 100 Continue to a closed connection. Such a request is
                # answered here, by the middlewares around the route's error, without it.
                unmatched = (
                    await self.app.router.resolve(cast(web.Request, request))
                ).http_exception
                if unmatched is not None:
                    return await self._unrouted(cast(web.Request, request), unmatched)
            return await self._inner(request)
        except ClientGone as gone:
            return self.gone(request, gone.while_)

    async def expect(self, request: web.Request) -> web.StreamResponse | None:
        """The routes' expect handler: 417 for an expectation other than `100-continue` (any
        case; an HTTP/1.1 request's, as aiohttp's: RFC 9110 has HTTP/1.0 ones ignored), else
        `100 Continue` written, and None so that the route's handler runs."""
        refused = _refused_expectation(request)
        if refused is not None or request.version != HttpVersion11:
            return refused
        try:
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        except ConnectionError:
            return self.gone(request, "its 100 Continue was written")
        finally:
            request.writer.output_size = 0  # the response proper has not started
        return None

    def gone(self, request: web.BaseRequest, while_: str) -> web.StreamResponse:
        """Count a request whose client went away and log it at DEBUG (one line per 10 s);
        the response returned is never sent: writing it fails, which aiohttp takes quietly."""
        self.clients_gone += 1
        self._log.log(
            logging.DEBUG,
            ("client-gone", while_),
            "admin API: a client went away while %s (%s %s); %d such requests so far",
            while_,
            request.method,
            _printable(request.path)[:LOGGED_DETAIL],
            self.clients_gone,
        )
        response = web.json_response({"error": f"the client went away while {while_}"}, status=400)
        response.force_close()
        return response

    async def finish(self, timeout: float) -> None:
        """Cancel the handler tasks still running (the server is stopping, and has given those
        in the middle of a request their time) and wait up to `timeout` s for them to end."""
        running = [task for task in self.tasks if task is not asyncio.current_task()]
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=timeout)

    async def _unrouted(self, request: web.Request, error: web.HTTPException) -> web.StreamResponse:
        refused = _refused_expectation(request)
        if refused is not None:
            return refused

        async def route(request: web.Request) -> web.StreamResponse:
            raise error

        handler: Handler = route
        for middleware in reversed(self.app.middlewares):
            handler = _wrapped(cast(Middleware, middleware), handler)
        return await handler(request)


def _wrapped(middleware: Middleware, handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        return await middleware(request, handler)

    return wrapped


def _refused_expectation(request: web.BaseRequest) -> web.Response | None:
    """A 417 for an HTTP/1.1 request's Expect other than `100-continue` (ASCII, any case)."""
    expect = request.headers.get(hdrs.EXPECT, "")
    if request.version != HttpVersion11 or (expect.isascii() and expect.lower() == "100-continue"):
        return None
    shown = _printable(expect)
    if len(shown) > SHOWN_EXPECT:
        shown = f"{shown[:SHOWN_EXPECT]}... ({len(expect)} characters)"
    return web.json_response(
        {"error": f"Expect: {shown}: only 100-continue is supported"}, status=417
    )


class AdminConnection(asyncio.Protocol):
    """One admin connection: aiohttp's protocol (`inner`) behind a wrapper that registers it in
    the API's `ConnectionRegistry` (admitted on connecting, over the cap closing another; gone
    on closing) and maps its transport to it for the `_track` middleware; with `udp_first`, the
    UDP socket is drained (when due) before each connection and each read is handled."""

    def __init__(
        self,
        inner: RequestHandler,
        registry: ConnectionRegistry[AdminConnection],
        by_transport: dict[asyncio.BaseTransport, AdminConnection],
        udp_first: Callable[[], None] | None = None,
    ) -> None:
        self.inner = inner
        self.registry = registry
        self.by_transport = by_transport
        self.udp_first = udp_first  # `LoopShare.udp_first`: called before each step here
        self.transport: asyncio.Transport | None = None
        self.busy = False  # a request is being handled

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.udp_first is not None:
            self.udp_first()
        self.transport = cast(asyncio.Transport, transport)
        self.by_transport[transport] = self
        self.registry.admit(self)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.udp_first is not None:
            self.udp_first()
        self.inner.data_received(data)

    def eof_received(self) -> None:
        self.inner.eof_received()  # aiohttp's: None, so the transport closes

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.registry.discard(self)
        if self.transport is not None:
            self.by_transport.pop(self.transport, None)
        self.inner.connection_lost(exc)

    def evict(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class ThrottledHttpLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The logger aiohttp's protocol is given: a request its parser rejects (a bad request
    line, oversized headers; it answers 400) is one short line, not a traceback; other errors
    keep theirs; every kind (message and exception class) at most once per 10 s."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger, {})
        self.throttle = LogThrottle(logger)

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        exc_info = kwargs.pop("exc_info", None)
        exc = exc_info if isinstance(exc_info, BaseException) else None
        if exc_info is True or isinstance(exc_info, tuple):
            exc = sys.exc_info()[1] if exc_info is True else exc_info[1]
        allowed, suppressed = self.throttle.allow((level, str(msg), type(exc).__name__))
        if not allowed:
            return
        text = str(msg) % args if args else str(msg)
        if isinstance(exc, HttpProcessingError):
            detail = _printable(" ".join(str(exc.message or exc).split()))[:LOGGED_DETAIL]
            text = f"admin API: {text}: {detail} (answered {exc.code or 400})"
            exc = None
        text += suffix_for(suppressed)
        self.logger.log(level, "%s", text, exc_info=exc, **kwargs)

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        return msg, kwargs


def _printable(text: str) -> str:
    """`text` with control characters escaped (`\\x00`): what a client sent, made safe to log
    and to quote. A byte that was not UTF-8 (aiohttp decodes it as a lone surrogate, U+DC80 to
    U+DCFF) is shown as the byte: `\\xe9`."""
    return "".join(_shown_character(ch) for ch in text)


def _shown_character(ch: str) -> str:
    if ch.isprintable():
        return ch
    if "\udc80" <= ch <= "\udcff":
        return f"\\x{ord(ch) - 0xDC00:02x}"
    return ascii(ch)[1:-1]

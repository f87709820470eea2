"""One HTTP/1.1 request on a fresh connection, read as far as a health check needs it.

`HttpExchange` is the asyncio protocol of one probe's connection. When the connection is made it
sends the request bytes it was given; every byte that comes back goes through httptools'
response parser (llhttp, the parser of Node.js) and the exchange resolves two futures:

* `head`: the final status line and headers are in (`status_code`, `reason`); interim 1xx
  responses are skipped. Headers larger than `headers_limit` in total (name, ": ", value and
  CRLF of every field, the status line not counted) end the exchange with `HEADERS_TOO_LARGE`;
  so does a peer that sends twice that many bytes without ever finishing its headers.
* `body` (when `read_body`): the first `body_window` bytes of the decoded body are in, or
  `search` is among them, or the body ended (its length reached, its last chunk, or the
  connection closed when the response has neither Content-Length nor chunked encoding).
  Content-Encoding gzip and deflate (zlib-wrapped or raw) are inflated with zlib, never more
  than the window.

Futures only ever carry `None`: a failure sets `error` (one of the kinds below) and resolves
whatever is pending, so the caller reads `error` after each await and an unawaited future never
holds an exception nobody retrieves. The caller owns the transport and timeouts.

Why not aiohttp's `ClientSession`: a health check needs one GET per connection and the status
line, nothing of a session's pooling, cookies, redirects or retries, and measured on the
benchmark machine (uvloop, benchmarks/health_scheduler.py) a session request cost about 0.33 ms
of CPU against 0.10 ms for this protocol on the same loop. A thousand checks every 10 s run a
hundred probes a second, so that difference is most of the scheduler's budget.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Final, cast

import httptools

# Kinds of failure, in `HttpExchange.error`.
CLOSED: Final = "closed"  # the connection ended before the response (or its body) was complete
INVALID: Final = "invalid"  # not a valid HTTP/1.x response
HEADERS_TOO_LARGE: Final = "headers-too-large"
UNDECODABLE: Final = "undecodable"  # a gzip or deflate body that does not inflate

_HEADER_OVERHEAD = len(b": ") + len(b"\r\n")
_INTERIM = range(100, 200)  # 1xx responses precede the final one (101 never comes to a GET)


class _Stop(Exception):
    """Raised in a parser callback to stop parsing; `kind` is the failure."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class HttpExchange(asyncio.Protocol):
    """Sends `request`, then parses the response into `head` and `body`; see the module doc."""

    def __init__(
        self,
        request: bytes,
        *,
        read_body: bool,
        search: bytes,
        body_window: int,
        headers_limit: int,
    ) -> None:
        loop = asyncio.get_running_loop()
        self.head: asyncio.Future[None] = loop.create_future()
        self.body: asyncio.Future[None] = loop.create_future()
        self.error: str | None = None
        self.status_code = 0
        self.reason = ""
        self.window = bytearray()  # the decoded body, at most `body_window` bytes
        self._request = request
        self._read_body = read_body
        self._search = search
        self._body_window = body_window
        self._headers_limit = headers_limit
        self._parser = httptools.HttpResponseParser(self)
        self._reason = bytearray()
        self._header_bytes = 0  # by the counting rule above, for the current message
        self._head_bytes = 0  # raw bytes received before the final headers ended
        self._coding = b""
        self._until_close = True  # no Content-Length, not chunked: the body ends with the close
        self._inflater: zlib._Decompress | None = None

    # --- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's don't subclass asyncio.WriteTransport, hence the cast).
        cast(asyncio.WriteTransport, transport).write(self._request)

    def data_received(self, data: bytes) -> None:
        if self._settled():
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            stop = exc.__context__
            self._fail(stop.kind if isinstance(stop, _Stop) else INVALID)
        except httptools.HttpParserError:
            self._fail(INVALID)
        if not self.head.done():  # llhttp buffers an unfinished header line without limit
            self._head_bytes += len(data)
            if self._head_bytes > 2 * self._headers_limit:
                self._fail(HEADERS_TOO_LARGE)

    def eof_received(self) -> bool | None:
        return False  # let the transport close; `connection_lost` judges what arrived

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.head.done():
            self._fail(CLOSED)
        elif not self.body.done():
            if self._until_close and self.error is None:
                self._settle(self.body)
            else:
                self._fail(CLOSED)

    # --- httptools callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._reason.clear()
        self._header_bytes = 0
        self._coding = b""
        self._until_close = True

    def on_status(self, reason: bytes) -> None:
        self._reason += reason  # may come in pieces

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + _HEADER_OVERHEAD
        if self._header_bytes > self._headers_limit:
            raise _Stop(HEADERS_TOO_LARGE)
        field = name.lower()
        if field == b"content-encoding":
            self._coding = value.strip().lower()
        elif field == b"content-length" or (
            field == b"transfer-encoding" and b"chunked" in value.lower()
        ):
            self._until_close = False

    def on_headers_complete(self) -> None:
        status_code = self._parser.get_status_code()
        if status_code in _INTERIM:
            return  # wait for the final response
        self.status_code = status_code
        self.reason = self._reason.decode("utf-8", "replace").strip()
        self._settle(self.head)

    def on_body(self, data: bytes) -> None:
        if not self._read_body or not self.head.done() or self.body.done():
            return
        room = self._body_window - len(self.window)
        self.window += self._decode(data, room)
        if len(self.window) >= self._body_window or self._search in self.window:
            self._settle(self.body)

    def on_message_complete(self) -> None:
        if self.head.done():
            self._settle(self.body)

    # --- inner workings ----------------------------------------------------------------------

    def _decode(self, data: bytes, room: int) -> bytes:
        if self._coding in (b"gzip", b"x-gzip"):
            wbits = 16 + zlib.MAX_WBITS
        elif self._coding == b"deflate":
            # RFC 9110 deflate is zlib-wrapped, but some servers send raw deflate: a zlib
            # stream's first byte names compression method 8 in its low four bits.
            wbits = zlib.MAX_WBITS if data[:1] and data[0] & 0x0F == 8 else -zlib.MAX_WBITS
        else:
            return data[:room]
        if self._inflater is None:
            self._inflater = zlib.decompressobj(wbits)
        try:
            return self._inflater.decompress(data, room)
        except zlib.error:
            raise _Stop(UNDECODABLE) from None

    def _settled(self) -> bool:
        return self.error is not None or (
            self.head.done() and (self.body.done() or not self._read_body)
        )

    def _settle(self, future: asyncio.Future[None]) -> None:
        if not future.done():
            future.set_result(None)

    def _fail(self, kind: str) -> None:
        if self.error is None:
            self.error = kind
        self._settle(self.head)
        self._settle(self.body)

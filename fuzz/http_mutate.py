"""Mutators of raw HTTP/1.x requests to the admin API.

A request is read into its method, target, version, headers and body (`parse_request`) and one
part is changed: the method (every endpoint's wrong ones, lower case, unknown tokens), the
target (every path of `ENDPOINTS` with its placeholders filled, percent escapes, `..`, long
paths, the query strings `/explain` and TestDNSAnswer read, with edge values), a header
(Content-Length short, huge, negative or twice; Transfer-Encoding chunked, broken or beside a
length; Content-Type, Authorization, Host, Connection, Expect; NUL bytes, folding, 130 headers)
or the body (JSON objects, arrays, numbers, deep nesting, not UTF-8). Written out again with a
matching Content-Length or not (`render`). Byte mutations and splices of whole requests (two in
one write) come on top.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import quote

from fuzz.mutate import mutate_bytes
from r53emu.ops.admin import ENDPOINTS

MAX_REQUEST = 200_000
METHODS = (b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"TRACE")
ODD_METHODS = (b"get", b"CONNECT", b"PROPFIND", b"BREW", b"G\x00T", b"", b"X" * 300, b"GET GET")
ZONES = ("example.test", "example.test.", "EXAMPLE.TEST", "Z0INTERNALDEMO", "nope", "%00", "..")
CHECKS = ("blue-gate", "primary-gate", "tokyo-alarm", "demo-http", "nope", "%2F", "a" * 100)
NAMES = (
    "www.example.test",
    "geo.example.test",
    "mv.example.test",
    "*.apps.example.test",
    "example.com",
    "",
    ".",
    "a..b",
    "x" * 300,
    "%00",
    "\\052.example.org",
    "%C3%A9",
)
TYPES = ("A", "AAAA", "TXT", "ANY", "ALIAS", "TYPE65535", "65536", "", "a")
ADDRESSES = (
    "127.0.0.1",
    "198.51.100.7",
    "::1",
    "::ffff:1.2.3.4",
    "fe80::1%25eth0",
    "300.1.1.1",
    "",
    "1.2.3",
    "2001:db8::1",
)
SUBNETS = (
    "198.51.100.0/24",
    "198.51.100.1/24",
    "0.0.0.0/0",
    "::/0",
    "1.2.3.4/33",
    "2001:db8::/129",
    "bogus",
    "10.0.0.0/-1",
    "203.0.113.0/24",
)
MASKS = ("24", "0", "32", "33", "128", "-1", "x", "")
BODIES = (
    b'{"healthy": false}',
    b'{"healthy": true}',
    b'{"healthy": "false"}',
    b'{"healthy": null}',
    b'{"state": "Off"}',
    b'{"state": "On"}',
    b'{"state": "ALARM"}',
    b'{"state": 1}',
    b'{"state": ""}',
    b"[]",
    b"[1, 2]",
    b"1",
    b"-0",
    b"1e400",
    b'"text"',
    b"null",
    b"",
    b"{",
    b"{}",
    b'{"healthy": false, "healthy": true}',
    b"\xff\xfe{}",
    b"\xef\xbb\xbf{}",
    b'{"healthy": NaN}',
    b"[" * 100_000,
    b'{"a": ' * 2000,
    b"\x00",
)
CONTENT_TYPES = (
    b"application/json",
    b"text/plain",
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=x",
    b"application/json; charset=latin-1",
    b"",
)
VERSIONS = (b"HTTP/1.1", b"HTTP/1.0", b"HTTP/0.9", b"HTTP/2.0", b"HTTP/1.2", b"http/1.1", b"HTTP/1")


@dataclass(frozen=True)
class Request:
    method: bytes
    target: bytes
    version: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


def parse_request(data: bytes) -> Request | None:
    """The parts of a request written with CRLF line ends, or None."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return None
    line, *header_lines = head.split(b"\r\n")
    parts = line.split(b" ")
    if len(parts) != 3:
        return None
    headers = []
    for header in header_lines:
        name, colon, value = header.partition(b":")
        if not colon:
            return None
        headers.append((name, value.strip()))
    return Request(parts[0], parts[1], parts[2], tuple(headers), body)


def render(request: Request, fix_length: bool = True) -> bytes:
    headers = list(request.headers)
    if fix_length and not any(name.lower() == b"transfer-encoding" for name, _ in headers):
        headers = [(n, v) for n, v in headers if n.lower() != b"content-length"]
        if request.body or request.method in (b"PUT", b"POST", b"PATCH"):
            headers.append((b"Content-Length", str(len(request.body)).encode()))
    lines = [b" ".join((request.method, request.target, request.version))]
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + request.body


def _path(rng: random.Random) -> str:
    path = rng.choice(ENDPOINTS)[1]
    path = path.replace("{zone}", rng.choice(ZONES)).replace("{id}", rng.choice(CHECKS))
    if path == "/explain":
        params = {"name": NAMES, "type": TYPES, "client_ip": ADDRESSES, "subnet": SUBNETS}
        return path + _query(rng, params)
    if path.endswith("testdnsanswer"):
        params = {
            "hostedzoneid": (*ZONES, "Z0EXAMPLEORG"),
            "recordname": NAMES,
            "recordtype": TYPES,
            "resolverip": ADDRESSES,
            "edns0clientsubnetip": ADDRESSES,
            "edns0clientsubnetmask": MASKS,
        }
        return path + _query(rng, params)
    trick = rng.randrange(8)
    if trick == 0:
        return path + "/"
    if trick == 1:
        return "/" + path
    if trick == 2:
        return path + "?" + rng.choice(("x=1", "=", "&&", "%", "a=%ZZ", "b=" + "c" * 5000))
    if trick == 3:
        return quote(path, safe="") if rng.random() < 0.5 else path.upper()
    return path


def _query(rng: random.Random, params: dict[str, tuple[str, ...]]) -> str:
    chosen = [(key, rng.choice(values)) for key, values in params.items() if rng.random() < 0.8]
    if rng.random() < 0.2 and chosen:
        chosen.append(chosen[0])  # a parameter given twice
    return "?" + "&".join(f"{key}={quote(value, safe='%:/*')}" for key, value in chosen)


def _header(rng: random.Random, request: Request) -> tuple[bytes, bytes]:
    kind = rng.randrange(9)
    if kind == 0:
        length = rng.choice(
            (
                b"0",
                b"-1",
                b"1",
                b"abc",
                b"99999999999999999999",
                b"1000000",
                b"1048577",
                str(len(request.body) + 5).encode(),
                b" 5",
                b"0x10",
            )
        )
        return b"Content-Length", length
    if kind == 1:
        return b"Transfer-Encoding", rng.choice((b"chunked", b"gzip", b"chunked, chunked", b"x"))
    if kind == 2:
        return b"Content-Type", rng.choice(CONTENT_TYPES)
    if kind == 3:
        token = rng.choice(
            (
                b"Bearer fuzz-token",
                b"Bearer wrong",
                b"Bearer",
                b"bearer fuzz-token",
                b"Basic Zm9vOmJhcg==",
                b"Bearer fuzz-token\x00",
                b"Bearer \xff",
            )
        )
        return b"Authorization", token
    if kind == 4:
        return b"Connection", rng.choice((b"close", b"keep-alive", b"Upgrade", b"x"))
    if kind == 5:
        return b"Expect", rng.choice((b"100-continue", b"200-ok"))
    if kind == 6:
        return b"Host", rng.choice((b"", b"127.0.0.1", b"[::1]:80", b"a" * 9000, b"h\x00st"))
    if kind == 7:
        return rng.choice((b"X-Folded", b"X Bad", b"", b"X\x00", b"\xff")), b"value\r\n continued"
    return b"X-Fuzz", rng.randbytes(rng.choice((1, 8, 64)))


def _chunked(body: bytes, rng: random.Random) -> bytes:
    if rng.random() < 0.7:
        return (f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n") if body else b"0\r\n\r\n"
    return rng.choice((b"zz\r\n", b"5\r\nab", b"ffffffffffff\r\n", b"0\r\n", b"-1\r\n\r\n"))


def mutate_request(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    request = parse_request(data)
    if request is None or rng.random() < 0.15:
        if rng.random() < 0.1 and pool:
            return (data + rng.choice(pool))[:MAX_REQUEST]  # two requests in one write
        return mutate_bytes(data, rng, pool, MAX_REQUEST)
    part = rng.randrange(10)
    fix_length = rng.random() < 0.85
    if part <= 1:
        methods = METHODS if rng.random() < 0.85 else ODD_METHODS
        request = replace(request, method=rng.choice(methods))
    elif part <= 4:
        request = replace(request, target=_path(rng).encode())
    elif part <= 6:
        headers = list(request.headers)
        if headers and rng.random() < 0.3:
            del headers[rng.randrange(len(headers))]
        else:
            headers.append(_header(rng, request))
            if rng.random() < 0.02:
                headers += [(b"X-Many-%d" % n, b"v") for n in range(130)]
        request = replace(request, headers=tuple(headers))
    elif part <= 8:
        body = (
            rng.choice(BODIES)
            if rng.random() < 0.8
            else json.dumps(
                {"healthy": rng.choice((True, False)), "state": "Off", "x": [1] * 10}
            ).encode()
        )
        if any(
            v.lower() == b"chunked" for n, v in request.headers if n.lower() == b"transfer-encoding"
        ):
            body = _chunked(body, rng)
        request = replace(request, body=body)
    else:
        request = replace(request, version=rng.choice(VERSIONS))
    return render(request, fix_length)[:MAX_REQUEST]

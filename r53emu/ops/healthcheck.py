"""Is the r53emu server in this container healthy? (`r53emu healthcheck`, the image's HEALTHCHECK)

The server's configuration is its command line (`docker run r53emu --admin-port 9000`: read from
/proc, PID 1 or the `r53emu serve` found there) and its R53EMU_* variables (the container's, so
this process's too); the command line turns both into a `ServerConfig` with `r53emu serve`'s
own parser, so the check asks exactly where the server listens:

- with the admin API, GET /healthz on its address and port must answer 2xx (zones loaded, DNS
  listeners bound);
- with `--no-admin`, a DNS query over UDP to the DNS address and port must get a reply, whatever
  its rcode (the root SOA, which r53emu answers REFUSED).

An address of 0.0.0.0 or :: (every interface) is asked on 127.0.0.1 or ::1.
"""

from __future__ import annotations

import secrets
import socket
import struct
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from r53emu.model.dnsconstants import CLASS_IN, TYPE_SOA

TIMEOUT = 3.0  # seconds for the whole check; the image's HEALTHCHECK --timeout is above it
PROC = Path("/proc")


class CheckFailed(Exception):
    """The server is not healthy; the message says why (Docker keeps it in the health log)."""


def serve_flags(argv: Sequence[str]) -> list[str] | None:
    """The words after `serve` in an `r53emu serve` command line, or None for another command."""
    for index, word in enumerate(argv):
        if word == "serve" and index > 0 and any("r53emu" in w for w in argv[:index]):
            return list(argv[index + 1 :])
    return None


def command_line(pid: int | str) -> list[str]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def server_flags(pid: int | None = None) -> list[str]:
    """The running server's flags: those of process `pid`, else PID 1's (the container's
    entrypoint), else those of the first `r53emu serve` in /proc (`docker run --init`)."""
    if pid is not None:
        flags = serve_flags(command_line(pid))
        if flags is None:
            raise CheckFailed(f"process {pid} is not an `r53emu serve`")
        return flags
    others = sorted((entry.name for entry in PROC.iterdir() if entry.name.isdigit()), key=int)
    for candidate in ("1", *others):
        flags = serve_flags(command_line(candidate))
        if flags is not None:
            return flags
    raise CheckFailed("no `r53emu serve` process found")


def local_address(address: str) -> str:
    """Where to reach a listener bound to `address` from this machine."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(address, address)


def check_admin(address: str, port: int) -> str:
    host = local_address(address)
    url = f"http://[{host}]:{port}/healthz" if ":" in host else f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as reply:  # noqa: S310 (http only)
            return f"{url}: {reply.status}"
    except urllib.error.HTTPError as exc:
        raise CheckFailed(f"{url}: {exc.code} {exc.read().decode(errors='replace')}") from None
    except OSError as exc:
        raise CheckFailed(f"{url}: {exc}") from None


def check_dns(address: str, port: int) -> str:
    """Any reply to `. SOA` over UDP with our ID and QR set; two tries within TIMEOUT."""
    host = local_address(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    query = struct.pack("!HHHHHH", secrets.randbelow(65536), 0, 1, 0, 0, 0)
    query += b"\0" + struct.pack("!HH", TYPE_SOA, CLASS_IN)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT / 2)
        try:
            sock.connect((host, port))
            for _attempt in range(2):
                sock.send(query)
                try:
                    while True:
                        reply = sock.recv(4096)
                        if len(reply) >= 12 and reply[:2] == query[:2] and reply[2] & 0x80:
                            rcode = reply[3] & 0x0F
                            return f"DNS {host} port {port}: reply with rcode {rcode}"
                except TimeoutError:
                    continue
        except OSError as exc:
            raise CheckFailed(f"DNS {host} port {port}: {exc}") from None
    raise CheckFailed(f"DNS {host} port {port}: no reply within {TIMEOUT:g} s")

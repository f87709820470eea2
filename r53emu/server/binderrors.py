"""Why a listening address could not be bound, said so that the user knows what to do."""

from __future__ import annotations

import errno
import sys
from pathlib import Path


class BindError(Exception):
    """The listening address could not be bound; the message says why and what to do.

    `in_use` tells that another socket holds the address (EADDRINUSE)."""

    def __init__(self, message: str, in_use: bool = False) -> None:
        super().__init__(message)
        self.in_use = in_use


def is_in_use(exc: OSError) -> bool:
    """Whether binding failed because another socket holds the address."""
    return system_error(exc).errno == errno.EADDRINUSE


def system_error(exc: OSError) -> OSError:
    """The error the system reported: uvloop wraps it in a generic OSError without errno."""
    if exc.errno is None and isinstance(exc.__cause__, OSError):
        return exc.__cause__
    return exc


def bind_failure_message(exc: OSError, host: str, port: int, admin: bool = False) -> str:
    """Why `host:port` could not be bound (for DNS, or for the admin API), and what to do."""
    exc = system_error(exc)
    where = f"{host}:{port}" + (" for the admin API" if admin else "")
    flag = "--admin-port 0" if admin else "--port 5353"
    if exc.errno == errno.EACCES and port < 1024:
        return (
            f"cannot listen on {where}: permission denied. Ports below 1024 need root or the "
            f"CAP_NET_BIND_SERVICE capability. Use an unprivileged port, e.g. `{flag}`"
            + ("" if admin else f" (then `dig @{host} -p 5353 ...`)")
            + ", or grant the capability: "
            f"sudo setcap 'cap_net_bind_service=+ep' {Path(sys.executable).resolve()}"
        )
    if exc.errno == errno.EADDRINUSE:
        culprit = (
            "another r53emu?"
            if admin
            else "another DNS server? on port 53 often systemd-resolved or dnsmasq"
        )
        return (
            f"cannot listen on {where}: the address is already in use ({culprit}). Stop it or "
            f"choose another port, e.g. `{flag}`."
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {where}: no interface of this machine has address {host}."
    return f"cannot listen on {where}: {exc.strerror or exc}"

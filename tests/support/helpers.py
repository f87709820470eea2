"""Shared test helpers: write zone files, start a real server, query it with dnspython."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype
import pytest

REPO = Path(__file__).resolve().parents[2]


def write_zones(directory: Path, files: dict[str, str]) -> Path:
    """Write `{file name: YAML text}` into `directory` (dedented) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


def query(
    address: tuple[str, int],
    name: str,
    rdtype: str | int = "A",
    *,
    tcp: bool = False,
    timeout: float = 3.0,
    **make_query_args: object,
) -> dns.message.Message:
    """Ask the server at `address` over UDP (or TCP) with dnspython and return the reply.

    Extra keyword arguments go to `dns.message.make_query` (use_edns, payload, options, ...).
    """
    request = dns.message.make_query(name, rdtype, **make_query_args)  # type: ignore[arg-type]
    host, port = address
    if tcp:
        return dns.query.tcp(request, host, port=port, timeout=timeout)
    return dns.query.udp(request, host, port=port, timeout=timeout)


def dig_path() -> str:
    """The `dig` command; skips the test without it, except under CI (CI=true), where it fails."""
    found = shutil.which("dig")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("`dig` is required under CI (install bind9-dnsutils)")
        pytest.skip("`dig` is not installed (Debian: bind9-dnsutils)")
    return found


def rrset_texts(section: list[dns.rrset.RRset]) -> set[str]:
    """Each record of a section as 'owner TTL IN TYPE value' text, as a set (order-free)."""
    return {line for rrset in section for line in rrset.to_text().splitlines()}

"""`r53emu serve` as a user runs it: a real subprocess, queried with dnspython and `dig`."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import pytest

from r53emu.app import R53Emu, ServerConfig
from r53emu.cli import dig_hint
from r53emu.zonefiles.errors import ZoneLoadError
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import query, rrset_texts, write_zones
from tests.support.serving import R53EMU, StartServe, clean_env

UNREACHABLE_ADDRESS = "192.0.2.1"  # TEST-NET-1: on no interface here, so binding it fails

ALPHA = """\
    zone: alpha.test
    ttl: 300
    record_sets:
      - {name: www, type: A, records: [192.0.2.10, 192.0.2.11]}
      - {name: mail, type: A, records: [192.0.2.25]}
      - {name: "@", type: MX, records: ["10 mail.alpha.test."]}
"""
ALPHA_RECORD_SETS = 5  # the three above plus the default SOA and NS (semantics §1.1)
BETA = """\
    zone: beta.test
    ttl: 60
    record_sets:
      - {name: www, type: A, records: [198.51.100.7]}
"""


def run_serve(
    args: Sequence[str], env: Mapping[str, str] = {}, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `r53emu serve ARGS` expecting it to exit by itself (a failed start)."""
    return subprocess.run(
        [*R53EMU, "serve", *args],
        env=clean_env(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


@contextlib.contextmanager
def held_port(kind: int = socket.SOCK_DGRAM) -> Iterator[int]:
    """A port on 127.0.0.1 that this test holds bound (UDP, or a listening TCP socket)."""
    with socket.socket(socket.AF_INET, kind) as holder:
        holder.bind(("127.0.0.1", 0))
        if kind == socket.SOCK_STREAM:
            holder.listen()
        yield holder.getsockname()[1]


def ipv6_loopback_works() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
def alpha_dir(tmp_path: Path) -> Path:
    return write_zones(tmp_path / "alpha", {"alpha.yaml": ALPHA})


@pytest.fixture
def beta_dir(tmp_path: Path) -> Path:
    return write_zones(tmp_path / "beta", {"beta.yaml": BETA})


def www_addresses(address: tuple[str, int], name: str, *, tcp: bool = False) -> set[str]:
    reply = query(address, name, "A", tcp=tcp)
    assert reply.rcode() == dns.rcode.NOERROR, reply
    return {rdata.to_text() for rrset in reply.answer for rdata in rrset}


# --- startup output -----------------------------------------------------------------------


def test_startup_lists_each_zone_its_record_count_and_the_address(
    serve: StartServe, tmp_path: Path, alpha_dir: Path
) -> None:
    """Startup prints each zone with its record-set count and file, then the listening address."""
    write_zones(alpha_dir, {"beta.yaml": BETA})
    server = serve([*R53EMU, "serve", "--zones", str(alpha_dir), "--port", "0"], clean_env())
    host, port = server.wait_listening()
    assert host == "127.0.0.1"  # the default address
    alpha = server.wait_for_line(r"zone alpha\.test\. \((\w+)\): (\d+) record sets from (.+)$")
    assert int(alpha.group(2)) == ALPHA_RECORD_SETS
    assert Path(alpha.group(3)) == alpha_dir / "alpha.yaml"
    beta = server.wait_for_line(r"zone beta\.test\. \((\w+)\): (\d+) record sets from (.+)$")
    assert int(beta.group(2)) == 3
    assert Path(beta.group(3)) == alpha_dir / "beta.yaml"
    hint = server.wait_for_line(r"try: (dig .*)$").group(1)
    assert hint == f"dig @127.0.0.1 -p {port} www.alpha.test. A"
    assert server.stop() == 0


@pytest.mark.dig
@pytest.mark.skipif(shutil.which("dig") is None, reason="needs dig (bind9-dnsutils)")
def test_printed_dig_line_gets_the_addresses(serve: StartServe, alpha_dir: Path) -> None:
    """The `dig` line printed at startup, run as printed, gets the zone's A records back."""
    server = serve([*R53EMU, "serve", "--zones", str(alpha_dir), "--port", "0"], clean_env())
    server.wait_listening()
    hint = server.wait_for_line(r"try: (dig .*)$").group(1)
    result = subprocess.run(
        [*hint.split(), "+short", "+time=3", "+tries=2"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert set(result.stdout.split()) == {"192.0.2.10", "192.0.2.11"}
    assert server.stop() == 0


def test_empty_zones_directory_warns_that_every_query_is_refused(
    serve: StartServe, tmp_path: Path
) -> None:
    """A zones directory without zone files (a mis-mounted volume) starts but says so."""
    empty = tmp_path / "empty"
    empty.mkdir()
    server = serve([*R53EMU, "serve", "--zones", str(empty), "--port", "0"], clean_env())
    host, port = server.wait_listening()
    server.wait_for_line(r"no zone files .* in .*empty: every query will be REFUSED")
    assert query((host, port), "www.example.test", "A").rcode() == dns.rcode.REFUSED
    assert server.stop() == 0
    assert "try: dig" not in server.output


# --- the dig hint -------------------------------------------------------------------------


def hint_for(tmp_path: Path, files: dict[str, str], address: str, port: int) -> str:
    """`dig_hint` for a server configured on `address:port` holding `files` (not bound)."""
    directory = write_zones(tmp_path / "hint", files)
    server = R53Emu(ServerConfig(zones=directory, address=address, port=port))
    server.handler.catalog = load_catalog(directory)
    server.port = port  # what start() records after binding; the hint only formats it
    return dig_hint(server)


@pytest.mark.parametrize(
    ("record_sets", "expected"),
    [
        pytest.param(
            """
            - {name: "@", type: A, records: [192.0.2.1]}
            - {name: api, type: A, records: [192.0.2.2]}
            - {name: www, type: A, records: [192.0.2.3]}
            """,
            "www.hint.test. A",
            id="www-first",
        ),
        pytest.param(
            """
            - {name: a.b, type: A, records: [192.0.2.2]}
            - {name: "@", type: A, records: [192.0.2.1]}
            """,
            "hint.test. A",
            id="then-apex",
        ),
        pytest.param(
            """
            - {name: deep.er, type: A, records: [192.0.2.2]}
            - {name: api, type: A, records: [192.0.2.3]}
            """,
            "api.hint.test. A",
            id="then-shortest",
        ),
        pytest.param(
            """
            - {name: "*.apps", type: A, records: [192.0.2.80]}
            - {name: dev, type: NS, records: [ns1.dev.hint.test.]}
            - {name: ns1.dev, type: A, records: [192.0.2.53]}
            - {name: "@", type: TXT, records: ['"hello"']}
            """,
            "hint.test. SOA",
            id="no-wildcard-no-glue-else-soa",
        ),
    ],
)
def test_dig_hint_asks_for_a_name_with_an_a_record(
    tmp_path: Path, record_sets: str, expected: str
) -> None:
    """The hint asks for www, else the apex, else the shortest A name; SOA without any A."""
    zone = "zone: hint.test\nttl: 300\nrecord_sets:\n" + textwrap.indent(
        textwrap.dedent(record_sets).strip(), "  "
    )
    assert hint_for(tmp_path, {"hint.yaml": zone}, "127.0.0.1", 5353) == (
        f"dig @127.0.0.1 -p 5353 {expected}"
    )


@pytest.mark.parametrize(
    ("address", "port", "prefix"),
    [
        ("0.0.0.0", 5353, "dig @127.0.0.1 -p 5353"),
        ("::", 5353, "dig @::1 -p 5353"),
        ("::1", 53, "dig @::1"),
    ],
)
def test_dig_hint_targets_a_loopback_address_and_omits_port_53(
    tmp_path: Path, address: str, port: int, prefix: str
) -> None:
    """A wildcard bind is dug on loopback, and `-p` is left out for the standard port."""
    hint = hint_for(tmp_path, {"alpha.yaml": ALPHA}, address, port)
    assert hint == f"{prefix} www.alpha.test. A"


# --- flags and R53EMU_* environment variables ---------------------------------------------


def test_env_vars_alone_configure_zones_address_and_port(
    serve: StartServe, tmp_path: Path, alpha_dir: Path
) -> None:
    """R53EMU_ZONES, R53EMU_ADDRESS and R53EMU_PORT configure `serve` without any flag."""
    elsewhere = tmp_path / "cwd-without-zones"
    elsewhere.mkdir()
    env = clean_env(
        {"R53EMU_ZONES": str(alpha_dir), "R53EMU_ADDRESS": "127.0.0.1", "R53EMU_PORT": "0"}
    )
    server = serve([*R53EMU, "serve"], env, cwd=elsewhere)
    host, port = server.wait_listening()
    assert host == "127.0.0.1"
    assert port != 53
    assert www_addresses((host, port), "www.alpha.test") == {"192.0.2.10", "192.0.2.11"}
    assert server.stop() == 0


@pytest.mark.parametrize("variable", ["R53EMU_PORT", "R53EMU_ADDRESS"])
def test_env_port_and_address_are_the_ones_bound(alpha_dir: Path, variable: str) -> None:
    """The address and port from the environment are what `serve` tries to bind."""
    with held_port() as port:
        settings = {"R53EMU_PORT": str(port), "R53EMU_ADDRESS": UNREACHABLE_ADDRESS}
        env = {"R53EMU_PORT": "0", "R53EMU_ADDRESS": "127.0.0.1", variable: settings[variable]}
        result = run_serve(["--zones", str(alpha_dir)], env)
    assert result.returncode == 1
    if variable == "R53EMU_PORT":
        assert f"cannot listen on 127.0.0.1:{port}: the address is already in use" in result.stderr
    else:
        assert f"no interface of this machine has address {UNREACHABLE_ADDRESS}" in result.stderr


def test_flags_win_over_env_vars(serve: StartServe, alpha_dir: Path, beta_dir: Path) -> None:
    """--zones, --address and --port override R53EMU_ZONES, R53EMU_ADDRESS and R53EMU_PORT."""
    with held_port() as taken:
        env = clean_env(
            {
                "R53EMU_ZONES": str(beta_dir),
                "R53EMU_ADDRESS": UNREACHABLE_ADDRESS,
                "R53EMU_PORT": str(taken),
            }
        )
        argv = [*R53EMU, "serve", "--zones", str(alpha_dir), "--address", "127.0.0.1"]
        server = serve([*argv, "--port", "0"], env)
        host, port = server.wait_listening()
    assert host == "127.0.0.1"
    assert port != taken
    assert www_addresses((host, port), "www.alpha.test") == {"192.0.2.10", "192.0.2.11"}
    assert query((host, port), "www.beta.test", "A").rcode() == dns.rcode.REFUSED
    assert "beta.test" not in server.output
    assert server.stop() == 0


def test_bad_port_env_var_is_a_usage_error_not_a_traceback(alpha_dir: Path) -> None:
    """A non-numeric R53EMU_PORT is reported like a bad flag (exit 2), and `check` ignores it."""
    result = run_serve(["--zones", str(alpha_dir)], {"R53EMU_PORT": "fifty-three"})
    assert result.returncode == 2
    assert "argument --port: 'fifty-three' is not a port (0..65535)" in result.stderr
    assert "Traceback" not in result.stderr
    checked = subprocess.run(
        [*R53EMU, "check", str(alpha_dir)],
        env=clean_env({"R53EMU_PORT": "fifty-three"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr


# --- IPv6 ---------------------------------------------------------------------------------


@pytest.mark.skipif(not ipv6_loopback_works(), reason="no IPv6 loopback (::1) here")
def test_ipv6_address_serves_udp_and_tcp(serve: StartServe, alpha_dir: Path) -> None:
    """`--address ::1` listens on [::1] and answers there over UDP and TCP."""
    argv = [*R53EMU, "serve", "--zones", str(alpha_dir), "--address", "::1", "--port", "0"]
    server = serve(argv, clean_env())
    host, port = server.wait_listening()
    assert host == "::1"
    server.wait_for_line(rf"listening on \[::1\]:{port} \(UDP and TCP\)")
    assert server.wait_for_line(r"try: (dig .*)$").group(1).startswith(f"dig @::1 -p {port} ")
    for tcp in (False, True):
        reply = query(("::1", port), "www.alpha.test", "A", tcp=tcp)
        assert reply.flags & dns.flags.AA
        assert rrset_texts(reply.answer) == {
            "www.alpha.test. 300 IN A 192.0.2.10",
            "www.alpha.test. 300 IN A 192.0.2.11",
        }
    assert server.stop() == 0


# --- failures to start --------------------------------------------------------------------


@pytest.mark.parametrize("kind", [socket.SOCK_DGRAM, socket.SOCK_STREAM], ids=["udp", "tcp"])
def test_port_in_use_exits_1_and_suggests_another_port(alpha_dir: Path, kind: int) -> None:
    """A port already taken (UDP or TCP) ends `serve` with exit 1, the reason and `--port 5353`."""
    with held_port(kind) as port:
        result = run_serve(
            ["--zones", str(alpha_dir), "--address", "127.0.0.1", "--port", str(port)]
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: the address is already in use" in result.stderr
    assert "`--port 5353`" in result.stderr
    assert "Traceback" not in result.stderr


def unprivileged_prefix() -> list[str] | None:
    """The command prefix that runs a command without privileges here, or None if impossible."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        return None
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def world_readable_zones() -> Iterator[Path]:
    """A zones directory that the unprivileged user can read (pytest's tmp_path is private)."""
    directory = Path(tempfile.mkdtemp(prefix="r53emu-unprivileged-"))
    try:
        directory.chmod(0o755)
        write_zones(directory, {"alpha.yaml": ALPHA})
        (directory / "alpha.yaml").chmod(0o644)
        yield directory
    finally:
        shutil.rmtree(directory)


BIND_PORT_53 = """
import errno, socket
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
    try:
        probe.bind(("127.0.0.1", 53))
    except OSError as exc:
        print(errno.errorcode.get(exc.errno, exc.errno))
    else:
        print("bound")
"""


def test_port_53_permission_denied_explains_both_remedies(world_readable_zones: Path) -> None:
    """Without privilege for port 53, `serve` exits 1 naming `--port 5353` and the capability."""
    prefix = unprivileged_prefix()
    if prefix is None:
        pytest.skip("running as root without setpriv: cannot drop the privilege for port 53")
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import r53emu\n" + BIND_PORT_53],
        cwd=world_readable_zones,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0:
        pytest.skip(f"the unprivileged user cannot run this Python: {probe.stderr.strip()}")
    if probe.stdout.strip() != errno.errorcode[errno.EACCES]:
        pytest.skip(f"port 53 is not privileged here (unprivileged bind: {probe.stdout.strip()})")
    result = subprocess.run(
        [*prefix, *R53EMU, "serve", "--zones", str(world_readable_zones), "--port", "53"],
        cwd=world_readable_zones,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "cannot listen on 127.0.0.1:53: permission denied" in result.stderr
    assert "`--port 5353`" in result.stderr
    assert "CAP_NET_BIND_SERVICE" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_zones_exit_1_listing_every_error(tmp_path: Path) -> None:
    """Broken zone files stop `serve` with exit 1 and every `file:line: field: message` error."""
    zones = write_zones(
        tmp_path / "bad",
        {
            "alpha.yaml": """\
                zone: alpha.test
                ttl: 300
                record_sets:
                  - {name: www, type: A, ttl: -5, records: [192.0.2.1]}
                  - {name: mail, type: A, records: [not-an-address]}
            """,
            "beta.yaml": """\
                zone: beta.test
                ttl: 300
                record_sets:
                  - {name: www, type: BOGUS, records: [x]}
            """,
        },
    )
    with pytest.raises(ZoneLoadError) as loaded:
        load_catalog(zones)
    expected = [str(error) for error in loaded.value.errors]
    result = run_serve(["--zones", str(zones), "--port", "0"])
    assert result.returncode == 1
    logged = [line.removeprefix("r53emu: ") for line in result.stderr.splitlines()]
    assert logged[: len(expected)] == expected
    where = [re.match(r"(.+?):(\d+): ([\w.\[\]]+): .+", line) for line in expected]
    assert [(Path(m.group(1)).name, int(m.group(2)), m.group(3)) for m in where if m] == [
        ("alpha.yaml", 4, "record_sets[0].ttl"),
        ("alpha.yaml", 5, "record_sets[1].records[0]"),
        ("beta.yaml", 4, "record_sets[0].type"),
    ]
    assert f"not started: 3 error(s) in {zones}" in result.stderr
    assert "listening on" not in result.stderr


# --- shutting down ------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_shuts_down_cleanly(serve: StartServe, alpha_dir: Path, signum: int) -> None:
    """SIGINT and SIGTERM each end `serve` with exit 0 after logging `shutting down`."""
    server = serve([*R53EMU, "serve", "--zones", str(alpha_dir), "--port", "0"], clean_env())
    server.wait_listening()
    assert server.stop(signum) == 0
    assert "shutting down" in server.output
    assert "Traceback" not in server.output


def test_sigterm_closes_idle_tcp_clients_at_once(serve: StartServe, alpha_dir: Path) -> None:
    """An idle TCP client neither delays shutdown to its idle timeout nor causes a traceback."""
    server = serve([*R53EMU, "serve", "--zones", str(alpha_dir), "--port", "0"], clean_env())
    host, port = server.wait_listening()
    with socket.create_connection((host, port), timeout=5) as client:
        # One answered query proves the connection is being served before the signal.
        request = dns.message.make_query("www.alpha.test", "A").to_wire()
        client.sendall(len(request).to_bytes(2, "big") + request)
        length = int.from_bytes(client.recv(2), "big")
        assert length > 0
        started = time.monotonic()
        code = server.stop(signal.SIGTERM)
        elapsed = time.monotonic() - started
        assert code == 0
        assert elapsed < 5.0  # the idle timeout is 10 s, `docker stop`'s grace period too
    assert "shutting down" in server.output
    assert "Traceback" not in server.output


# --- the zones path ---------------------------------------------------------------------------


def test_a_single_zone_file_is_served_and_reloaded(serve: StartServe, tmp_path: Path) -> None:
    """`--zones FILE` serves that file alone (not the files beside it); SIGHUP reads it again."""
    zones = write_zones(tmp_path / "zones", {"alpha.yaml": ALPHA, "beta.yaml": BETA})
    alpha = zones / "alpha.yaml"
    server = serve(
        [*R53EMU, "serve", "--zones", str(alpha), "--port", "0", "--no-watch"], clean_env()
    )
    address = server.wait_listening()
    assert Path(server.wait_for_line(r"zone alpha\.test\. .* from (.+)$").group(1)) == alpha
    assert www_addresses(address, "www.alpha.test") == {"192.0.2.10", "192.0.2.11"}
    assert query(address, "www.beta.test", "A").rcode() == dns.rcode.REFUSED
    alpha.write_text(textwrap.dedent(ALPHA).replace("192.0.2.11", "192.0.2.12"), encoding="utf-8")
    server.process.send_signal(signal.SIGHUP)
    server.wait_for_line(rf"reloaded {re.escape(str(alpha))}: 1 zone\(s\)")
    assert www_addresses(address, "www.alpha.test") == {"192.0.2.10", "192.0.2.12"}
    assert server.stop() == 0


def test_missing_default_zones_is_a_usage_error_naming_the_default(tmp_path: Path) -> None:
    """No ./zones where `serve` runs: exit 2 with one line naming the default and `--zones`."""
    result = run_serve([], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "r53emu: zones directory ./zones does not exist (the default; give --zones PATH)\n"
    )


def test_missing_zones_path_is_a_usage_error(tmp_path: Path) -> None:
    """A `--zones` path that does not exist: exit 2, said in one line, no traceback."""
    result = run_serve(["--zones", str(tmp_path / "nowhere"), "--port", "0"])
    assert result.returncode == 2
    assert result.stderr == f"r53emu: zones path {tmp_path / 'nowhere'} does not exist\n"


def test_reload_of_a_removed_directory_says_so_without_a_line_number(
    serve: StartServe, alpha_dir: Path
) -> None:
    """An error about a whole directory reads `DIR: message`, not `DIR:0: message`."""
    server = serve(
        [*R53EMU, "serve", "--zones", str(alpha_dir), "--port", "0", "--no-watch"], clean_env()
    )
    address = server.wait_listening()
    shutil.rmtree(alpha_dir)
    server.process.send_signal(signal.SIGHUP)
    server.wait_for_line(r"reload refused")
    assert f"r53emu: reload: {alpha_dir}: does not exist" in server.lines
    assert ":0:" not in server.output
    assert www_addresses(address, "www.alpha.test") == {"192.0.2.10", "192.0.2.11"}
    assert server.stop() == 0


# --- many zones -------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [20, 21])
def test_more_than_20_zones_are_summarized_in_one_line(
    serve: StartServe, tmp_path: Path, count: int
) -> None:
    """Up to 20 zones get a line each at startup; more get one `serving N zones` line."""
    zones = write_zones(
        tmp_path / "zones", {f"z{i:02d}.yaml": f"zone: z{i:02d}.test\n" for i in range(count)}
    )
    server = serve([*R53EMU, "serve", "--zones", str(zones), "--port", "0"], clean_env())
    server.wait_listening()
    zone_lines = [line for line in server.lines if line.startswith("r53emu: zone ")]
    if count == 20:
        assert len(zone_lines) == 20
        assert not any("serving" in line for line in server.lines)
    else:
        assert zone_lines == []
        assert f"r53emu: serving 21 zones, 42 record sets from {zones}" in server.lines
    assert server.stop() == 0


# --- the query log ----------------------------------------------------------------------------

LOGGED = """\
    zone: logged.test
    ttl: 60
    record_sets:
      - {name: www, type: A, records: [192.0.2.1]}
      - {name: "@", type: A, alias: {name: www.logged.test.}}
      - {name: api, type: A, records: [192.0.2.7], set_identifier: blue,
         weighted_routing_policy: {weight: 1}}
      - {name: api, type: A, records: [192.0.2.8], set_identifier: green,
         weighted_routing_policy: {weight: 0}}
"""


def test_query_log_lists_set_identifiers_only_for_routed_record_sets(
    serve: StartServe, tmp_path: Path
) -> None:
    """Simple record sets have no SetIdentifier: `set_identifiers` is [] for them (not values)."""
    zones = write_zones(tmp_path / "zones", {"logged.yaml": LOGGED})
    log = tmp_path / "queries.log"
    argv = [*R53EMU, "serve", "--zones", str(zones), "--port", "0", "--query-log", str(log)]
    server = serve(argv, clean_env())
    address = server.wait_listening()  # its readiness query is logged too: REFUSED, no policy
    for name in ("www.logged.test", "logged.test", "api.logged.test"):
        assert query(address, name, "A").rcode() == dns.rcode.NOERROR
    assert server.stop() == 0
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    logged = [(r["query_name"], r["policy"], r["set_identifiers"]) for r in records[-3:]]
    assert logged == [
        ("www.logged.test", "simple", []),
        ("logged.test", "simple", []),  # an alias (to a simple record set) is simple routing
        ("api.logged.test", "weighted", ["blue"]),
    ]


def test_query_log_to_a_closed_stdout_warns_once_and_answers_on(
    tmp_path: Path, alpha_dir: Path
) -> None:
    """`--query-log -` whose reader has gone (`| head -1` ended): queries are still answered."""
    stderr = tmp_path / "stderr.log"
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    with stderr.open("w") as err:
        argv = ["serve", "--zones", str(alpha_dir), "--port", "0", "--query-log", "-"]
        process = subprocess.Popen(
            [*R53EMU, *argv], stdout=write_end, stderr=err, env=clean_env(), text=True
        )
    os.close(write_end)
    try:
        deadline = time.monotonic() + 30
        while not (found := re.search(r"listening on 127\.0\.0\.1:(\d+)", stderr.read_text())):
            assert process.poll() is None, stderr.read_text()
            assert time.monotonic() < deadline, stderr.read_text()
            time.sleep(0.05)
        address = ("127.0.0.1", int(found.group(1)))
        for _ in range(3):
            assert www_addresses(address, "www.alpha.test") == {"192.0.2.10", "192.0.2.11"}
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    log = stderr.read_text()
    assert log.count("query log: cannot write to standard output") == 1
    assert "Traceback" not in log


@contextlib.contextmanager
def default_admin_port_taken() -> Iterator[None]:
    """Port 8053 of 127.0.0.1 held by this test (or by whoever holds it already)."""
    try:
        holder = socket.create_server(("127.0.0.1", 8053))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        yield  # another server has it: taken all the same
        return
    with holder:
        yield


def test_second_server_takes_a_free_admin_port_when_8053_is_taken(
    serve: StartServe, alpha_dir: Path
) -> None:
    """Without --admin-port and off port 53, a taken 8053 means a free admin port, said so."""
    env = {k: v for k, v in clean_env().items() if k != "R53EMU_ADMIN_PORT"}
    with default_admin_port_taken():
        server = serve([*R53EMU, "serve", "--zones", str(alpha_dir), "--port", "0"], env)
        server.wait_listening()
        admin = server.wait_for_line(r"admin API on http://127\.0\.0\.1:(\d+)/")
        assert int(admin.group(1)) != 8053
        assert "admin port 8053 is in use" in server.output
        with urllib.request.urlopen(f"http://127.0.0.1:{admin.group(1)}/healthz", timeout=5) as r:
            assert json.load(r)["status"] == "ok"
        assert server.stop() == 0


def test_chosen_admin_port_taken_is_an_error(alpha_dir: Path) -> None:
    """An admin port chosen by flag is never swapped for another: exit 1, saying what to do."""
    with default_admin_port_taken():
        result = subprocess.run(
            [*R53EMU, "serve", "--zones", str(alpha_dir), "--port", "0", "--admin-port", "8053"],
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(),
        )
    assert result.returncode == 1
    assert "already in use" in result.stderr
    assert "--admin-port 0" in result.stderr


def _free_tcp_port() -> int:
    with socket.create_server(("0.0.0.0", 0)) as holder:
        return int(holder.getsockname()[1])


def test_admin_beyond_loopback_prints_a_made_up_token_and_healthcheck_still_works(
    serve: StartServe, alpha_dir: Path
) -> None:
    """`--admin-address 0.0.0.0` without a token (the container's setting): the startup line
    gives the random token changes need; GET /healthz, and so `r53emu healthcheck`, stay open."""
    admin_port = _free_tcp_port()
    argv = [*R53EMU, "serve", "--zones", str(alpha_dir), "--port", "0"]
    argv += ["--admin-address", "0.0.0.0", "--admin-port", str(admin_port)]
    server = serve(argv, clean_env())
    server.wait_listening()
    found = server.wait_for_line(
        rf"admin API on http://0\.0\.0\.0:{admin_port}/ \(token required for changes: "
        r"([A-Za-z0-9_-]{20,}); set --admin-token to choose it\)"
    )
    token = found.group(1)
    reload_url = f"http://127.0.0.1:{admin_port}/reload"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(reload_url, method="POST"), timeout=5)
    assert refused.value.code == 401
    refused.value.close()
    authorized = urllib.request.Request(
        reload_url, method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(authorized, timeout=5) as reply:
        assert reply.status == 200
    check = subprocess.run(
        [*R53EMU, "healthcheck", "--pid", str(server.process.pid)],
        env=clean_env({"R53EMU_ADMIN_PORT": ""}),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0, check.stderr
    assert f"http://127.0.0.1:{admin_port}/healthz: 200" in check.stdout
    assert server.stop() == 0

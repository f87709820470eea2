"""The admin HTTP API through a real HTTP client (aiohttp), next to real DNS queries (dnspython).

Every endpoint of issue 6's list: health, metrics, zones, health checks and their steering (an
override applies to the very next query), reload (422 while DNS keeps answering from the last
good zones, asserted in the same test), explain, Route 53's TestDNSAnswer (also through boto3),
the Bearer token on mutating requests, and JSON errors.
"""

from __future__ import annotations

import asyncio
import re
import socket
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from r53emu.app import ServerConfig, is_loopback
from r53emu.server.binderrors import BindError
from r53emu.testing.background import BackgroundServer
from tests.support.helpers import query, rrset_texts, write_zones
from tests.support.targets import HttpTarget

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def zone_text(web_port: int, www: str = "192.0.2.1") -> str:
    return f"""
        health_checks:
          web: {{type: HTTP, ip_address: 127.0.0.1, port: {web_port}, request_interval: 10,
                 failure_threshold: 3}}
          gate: {{type: RECOVERY_CONTROL}}
        zone: admin.test
        id: Z0ADMINTEST
        ttl: 60
        record_sets:
          - {{name: www, type: A, records: [{www}]}}
          - {{name: txt, type: TXT, records: ['"hello & <world>"']}}
          - {{name: fo, type: A, records: [192.0.2.10], set_identifier: primary,
              failover_routing_policy: {{type: PRIMARY}}, health_check_id: web}}
          - {{name: fo, type: A, records: [192.0.2.20], set_identifier: secondary,
              failover_routing_policy: {{type: SECONDARY}}}}
          - {{name: gated, type: A, records: [192.0.2.31], set_identifier: primary,
              failover_routing_policy: {{type: PRIMARY}}, health_check_id: gate}}
          - {{name: gated, type: A, records: [192.0.2.32], set_identifier: secondary,
              failover_routing_policy: {{type: SECONDARY}}}}
    """


class Admin:
    """A running server, its zones directory, and an HTTP client for its admin API."""

    def __init__(self, server: BackgroundServer, zones: Path, http: aiohttp.ClientSession) -> None:
        self.server = server
        self.zones = zones
        self.http = http
        assert server.server.admin is not None
        assert server.server.admin.port is not None
        self.base = f"http://127.0.0.1:{server.server.admin.port}"

    async def call(
        self, method: str, path: str, *, auth: bool = True, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = AUTH if auth else {}
        async with self.http.request(method, self.base + path, headers=headers, **kwargs) as reply:
            if reply.content_type == "application/json":
                return reply.status, await reply.json()
            return reply.status, await reply.text()

    def answers(self, name: str) -> set[str]:
        reply = query(self.server.address, f"{name}.admin.test", "A")
        return {rdata.to_text() for rrset in reply.answer for rdata in rrset}


@pytest.fixture
def web() -> Iterator[HttpTarget]:
    with HttpTarget() as target:
        yield target


@pytest_asyncio.fixture
async def admin(tmp_path: Path, web: HttpTarget) -> AsyncIterator[Admin]:
    zones = write_zones(tmp_path / "zones", {"admin.yaml": zone_text(web.port)})
    config = ServerConfig(
        zones=zones, address="127.0.0.1", port=0, seed=7, admin_port=0, admin_token=TOKEN
    )
    with BackgroundServer(config) as server:
        async with aiohttp.ClientSession() as http:
            yield Admin(server, zones, http)


# --- read-only endpoints ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_healthz_says_ok_once_serving(admin: Admin) -> None:
    """/healthz answers 200 with the zone count once zones are loaded and listeners bound."""
    assert await admin.call("GET", "/healthz", auth=False) == (200, {"status": "ok", "zones": 1})


@pytest.mark.asyncio
async def test_metrics_count_queries_by_zone_type_rcode_and_policy(admin: Admin) -> None:
    """/metrics is Prometheus text with queries labelled as asked, latency, health and reloads."""
    for _ in range(3):
        admin.answers("fo")
    query(admin.server.address, "nothing.admin.test", "A")
    query(admin.server.address, "www.elsewhere.test", "A")
    status, text = await admin.call("GET", "/metrics", auth=False)
    assert status == 200
    samples = dict(re.findall(r"^(r53emu_\S+) (\S+)$", text, re.MULTILINE))
    failover = (
        'r53emu_queries_total{policy="failover",qtype="A",rcode="NOERROR",zone="admin.test."}'
    )
    nxdomain = 'r53emu_queries_total{policy="",qtype="A",rcode="NXDOMAIN",zone="admin.test."}'
    refused = 'r53emu_queries_total{policy="",qtype="A",rcode="REFUSED",zone=""}'
    assert float(samples[failover]) == 3
    assert float(samples[nxdomain]) == 1
    assert float(samples[refused]) == 1
    assert float(samples["r53emu_answer_seconds_count"]) == 5
    assert float(samples['r53emu_answer_seconds_bucket{le="+Inf"}']) == 5
    assert 0 < float(samples['r53emu_answer_seconds_bucket{le="0.25"}']) <= 5
    assert 0 < float(samples["r53emu_answer_seconds_sum"]) < 5
    assert float(samples['r53emu_health_check_healthy{check_id="web"}']) == 1
    assert float(samples["r53emu_reloads_total"]) == 0
    assert float(samples["r53emu_reload_failures_total"]) == 0


@pytest.mark.asyncio
async def test_zones_list_and_one_zone_by_name_or_id(admin: Admin) -> None:
    """/zones lists each zone; /zones/{zone} takes the name (dot optional) or the id."""
    status, listing = await admin.call("GET", "/zones", auth=False)
    assert status == 200
    assert listing == {
        "zones": [
            {
                "name": "admin.test.",
                "id": "Z0ADMINTEST",
                "record_sets": 8,
                "source": str(admin.zones / "admin.yaml"),
            }
        ]
    }
    for key in ("admin.test.", "admin.test", "Z0ADMINTEST"):
        status, zone = await admin.call("GET", f"/zones/{key}", auth=False)
        assert status == 200
        assert zone["id"] == "Z0ADMINTEST"
    by_name = {(rs["name"], rs["type"], rs["set_identifier"]): rs for rs in zone["record_sets"]}
    primary = by_name[("fo.admin.test.", "A", "primary")]
    assert primary["records"] == ["192.0.2.10"]
    assert primary["policy"] == "failover"
    assert primary["routing"] == {"primary": True}
    assert primary["health_check_id"] == "web"
    assert primary["source"].startswith(str(admin.zones / "admin.yaml") + ":")
    assert by_name[("admin.test.", "SOA", None)]["ttl"] == 900
    assert await admin.call("GET", "/zones/nope.test", auth=False) == (
        404,
        {"error": "no hosted zone 'nope.test' (give its name or its id)"},
    )


@pytest.mark.asyncio
async def test_health_checks_list_and_one(admin: Admin) -> None:
    """/health-checks lists every check's status; /health-checks/{id} gives one; 404 otherwise."""
    status, listing = await admin.call("GET", "/health-checks", auth=False)
    assert status == 200
    assert [check["id"] for check in listing["health_checks"]] == ["gate", "web"]
    status, gate = await admin.call("GET", "/health-checks/gate", auth=False)
    assert (status, gate["healthy"], gate["switch"]) == (200, True, "On")
    assert set(gate) >= {"observations", "last_transition", "reason", "override", "type"}
    status, error = await admin.call("GET", "/health-checks/nope", auth=False)
    assert (status, error) == (404, {"error": "no health check 'nope'"})


# --- steering ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_override_applies_to_the_next_query_and_clears(admin: Admin) -> None:
    """PUT override replies with the check and the next query sees it; DELETE restores."""
    assert admin.answers("fo") == {"192.0.2.10"}
    status, check = await admin.call("PUT", "/health-checks/web/override", json={"healthy": False})
    assert (status, check["healthy"], check["override"]) == (200, False, False)
    assert admin.answers("fo") == {"192.0.2.20"}
    status, check = await admin.call("DELETE", "/health-checks/web/override")
    assert (status, check["healthy"], check["override"]) == (200, True, None)
    assert admin.answers("fo") == {"192.0.2.10"}
    await admin.call("PUT", "/health-checks/web/override", json={"healthy": False})
    assert await admin.call("DELETE", "/overrides") == (200, {"overrides": {}})
    assert admin.answers("fo") == {"192.0.2.10"}


@pytest.mark.asyncio
async def test_switch_flips_a_routing_control(admin: Admin) -> None:
    """PUT switch turns a RECOVERY_CONTROL Off and On; wrong states and types are 400."""
    status, check = await admin.call("PUT", "/health-checks/gate/switch", json={"state": "Off"})
    assert (status, check["switch"], check["healthy"]) == (200, "Off", False)
    assert admin.answers("gated") == {"192.0.2.32"}
    await admin.call("PUT", "/health-checks/gate/switch", json={"state": "On"})
    assert admin.answers("gated") == {"192.0.2.31"}
    status, error = await admin.call("PUT", "/health-checks/gate/switch", json={"state": "Maybe"})
    assert (status, error) == (400, {"error": "'Maybe' is not one of On, Off for gate"})
    status, error = await admin.call("PUT", "/health-checks/web/switch", json={"state": "Off"})
    assert status == 400
    assert "is HTTP, not a RECOVERY_CONTROL" in error["error"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"healthy": "no"}, 'the body must be {"healthy": true} or {"healthy": false}'),
        ([], "the body must be a JSON object"),
    ],
)
@pytest.mark.asyncio
async def test_bad_override_bodies_are_400_with_a_message(
    admin: Admin, body: object, message: str
) -> None:
    """A body that is not {"healthy": bool} is refused with a JSON message."""
    status, error = await admin.call("PUT", "/health-checks/web/override", json=body)
    assert (status, error) == (400, {"error": message})


@pytest.mark.asyncio
async def test_unknown_check_override_is_404(admin: Admin) -> None:
    status, error = await admin.call("PUT", "/health-checks/nope/override", json={"healthy": False})
    assert (status, error) == (404, {"error": "no health check 'nope'"})


# --- the token --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/health-checks/web/override", {"healthy": False}),
        ("DELETE", "/health-checks/web/override", None),
        ("PUT", "/health-checks/gate/switch", {"state": "Off"}),
        ("DELETE", "/overrides", None),
        ("POST", "/reload", None),
    ],
)
@pytest.mark.asyncio
async def test_mutating_requests_need_the_token(
    admin: Admin, method: str, path: str, body: object
) -> None:
    """Without the right token every mutating endpoint is 401 and changes nothing."""
    status, error = await admin.call(method, path, auth=False, json=body)
    assert status == 401
    assert error == {"error": "this request needs the admin token: Authorization: Bearer <token>"}
    async with admin.http.request(
        method, admin.base + path, json=body, headers={"Authorization": "Bearer wrong"}
    ) as reply:
        assert reply.status == 401
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert admin.answers("fo") == {"192.0.2.10"}
    assert admin.answers("gated") == {"192.0.2.31"}


@pytest.mark.asyncio
async def test_root_lists_every_endpoint(admin: Admin) -> None:
    """GET / lists the endpoints (no 404 at the front door), and each listed one is served."""
    status, index = await admin.call("GET", "/", auth=False)
    assert status == 200
    listed = {(e["method"], e["path"]) for e in index["endpoints"]}
    assert {
        ("GET", "/healthz"),
        ("POST", "/reload"),
        ("GET", "/2013-04-01/testdnsanswer"),
    } <= listed
    assert all(e["what"] for e in index["endpoints"])
    for method, path in sorted(listed):
        concrete = path.replace("{zone}", "admin.test").replace("{id}", "web")
        if method == "GET":
            status, _body = await admin.call("GET", concrete, auth=False)
            assert status != 404, path
        else:  # without the token: refused, but routed (401 rather than 404 or 405)
            status, _body = await admin.call(method, concrete, auth=False, json={})
            assert status == 401, path


@pytest.mark.asyncio
async def test_unknown_endpoints_and_methods_answer_json(admin: Admin) -> None:
    assert await admin.call("GET", "/nope", auth=False) == (
        404,
        {"error": "no such endpoint: /nope"},
    )
    status, error = await admin.call("POST", "/zones")
    assert (status, error) == (405, {"error": "POST is not allowed on /zones"})


# --- reload -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_reload_serves_new_zones_and_refuses_bad_ones_while_dns_keeps_answering(
    admin: Admin, web: HttpTarget
) -> None:
    """POST /reload: valid files answer from the next query; invalid ones get 422 with
    file:line errors, counted in /metrics, while DNS keeps answering from the last good zones."""
    zone_file = admin.zones / "admin.yaml"
    zone_file.write_text(textwrap.dedent(zone_text(web.port, www="192.0.2.2")), encoding="utf-8")
    status, summary = await admin.call("POST", "/reload")
    assert status == 200
    assert summary == {
        "zones": [
            {"name": "admin.test.", "id": "Z0ADMINTEST", "record_sets": 8, "source": str(zone_file)}
        ],
        "health_checks": 2,
    }
    assert admin.answers("www") == {"192.0.2.2"}

    broken = textwrap.dedent(zone_text(web.port)).replace(
        "records: [192.0.2.1]", "records: [192.0.2.999]"
    )
    zone_file.write_text(broken, encoding="utf-8")
    status, refused = await admin.call("POST", "/reload")
    assert status == 422
    assert refused["error"] == "1 error(s): the last good zones are still served"
    (error,) = refused["errors"]
    assert error.startswith(f"{zone_file}:")
    assert "records" in error
    assert "192.0.2.999" in error
    assert admin.answers("www") == {"192.0.2.2"}  # the last good zones, in the same test
    _, text = await admin.call("GET", "/metrics", auth=False)
    assert "r53emu_reload_failures_total 1.0" in text
    assert "r53emu_reloads_total 1.0" in text


@pytest.mark.asyncio
async def test_a_zones_body_is_made_once_per_loaded_zone(admin: Admin, web: HttpTarget) -> None:
    """GET /zones/{zone} is made off the event loop and kept while its zone is served (32
    clients asking at once make it once); a reload that changes the zone changes the body."""
    made = []
    rendered = admin.server.server.admin._rendered  # type: ignore[union-attr]
    put = rendered.put
    rendered.put = lambda zone, body: (made.append(zone.zone_id), put(zone, body))[1]  # type: ignore[method-assign]
    bodies = await asyncio.gather(
        *(admin.call("GET", "/zones/admin.test", auth=False) for _ in range(32))
    )
    assert {status for status, _ in bodies} == {200}
    assert all(body == bodies[0][1] for _, body in bodies)
    assert made == ["Z0ADMINTEST"]
    www = next(rs for rs in bodies[0][1]["record_sets"] if rs["name"] == "www.admin.test.")
    assert www["records"] == ["192.0.2.1"]
    zone_file = admin.zones / "admin.yaml"
    zone_file.write_text(textwrap.dedent(zone_text(web.port, www="192.0.2.2")), encoding="utf-8")
    assert (await admin.call("POST", "/reload"))[0] == 200
    _, after = await admin.call("GET", "/zones/admin.test", auth=False)
    www = next(rs for rs in after["record_sets"] if rs["name"] == "www.admin.test.")
    assert www["records"] == ["192.0.2.2"]
    assert made == ["Z0ADMINTEST", "Z0ADMINTEST"]


# --- explain and TestDNSAnswer ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_explain_says_why(admin: Admin) -> None:
    """/explain gives the answer and the decision that chose it, as `r53emu answer --json`."""
    await admin.call("PUT", "/health-checks/web/override", json={"healthy": False})
    status, data = await admin.call(
        "GET", "/explain", auth=False, params={"name": "fo.admin.test", "type": "A"}
    )
    assert status == 200
    assert data["rcode"] == "NOERROR"
    assert data["answer"] == ["fo.admin.test. 60 IN A 192.0.2.20"]
    (decision,) = data["decisions"]
    assert decision["policy"] == "failover"
    assert decision["candidates"] == [
        {"record": "primary", "healthy": False},
        {"record": "secondary", "healthy": True},
    ]
    assert decision["chosen"] == ["secondary"]
    status, error = await admin.call(
        "GET", "/explain", auth=False, params={"name": "fo.admin.test", "type": "BOGUS"}
    )
    assert (status, error) == (400, {"error": "'BOGUS' is not a DNS record type"})


async def ask_testdnsanswer(admin: Admin, zone: str, name: str, rtype: str) -> tuple[int, str]:
    params = {"hostedzoneid": zone, "recordname": name, "recordtype": rtype}
    status, body = await admin.call("GET", "/2013-04-01/testdnsanswer", auth=False, params=params)
    assert isinstance(body, str)
    return status, body


@pytest.mark.asyncio
async def test_testdnsanswer_returns_route53_xml(admin: Admin) -> None:
    """/2013-04-01/testdnsanswer answers Route 53's XML, by zone id or name; errors too."""
    status, xml = await ask_testdnsanswer(admin, "Z0ADMINTEST", "txt.admin.test", "TXT")
    assert status == 200
    assert '<RecordDataEntry>"hello &amp; &lt;world&gt;"</RecordDataEntry>' in xml
    assert "<ResponseCode>NOERROR</ResponseCode>" in xml
    status, xml = await ask_testdnsanswer(admin, "Z0NOPE", "www.admin.test", "A")
    assert status == 404
    assert "<Code>NoSuchHostedZone</Code>" in xml


def test_boto3_test_dns_answer(tmp_path: Path) -> None:
    """boto3's route53.test_dns_answer, pointed at the admin port, returns the answer."""
    boto3 = pytest.importorskip("boto3")
    with HttpTarget() as web:
        zones = write_zones(tmp_path / "zones", {"admin.yaml": zone_text(web.port)})
        config = ServerConfig(zones=zones, address="127.0.0.1", port=0, admin_port=0)
        with BackgroundServer(config) as server:
            assert server.server.admin is not None
            client = boto3.client(
                "route53",
                endpoint_url=f"http://127.0.0.1:{server.server.admin.port}",
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            reply = client.test_dns_answer(
                HostedZoneId="Z0ADMINTEST", RecordName="www.admin.test", RecordType="A"
            )
            assert reply["RecordData"] == ["192.0.2.1"]
            assert reply["ResponseCode"] == "NOERROR"
            assert reply["Protocol"] == "UDP"
            assert reply["Nameserver"].startswith("ns-")
            server.set_health("web", False)
            reply = client.test_dns_answer(
                HostedZoneId="admin.test", RecordName="fo.admin.test", RecordType="A"
            )
            assert reply["RecordData"] == ["192.0.2.20"]
            with pytest.raises(client.exceptions.NoSuchHostedZone):
                client.test_dns_answer(
                    HostedZoneId="Z0NOPE", RecordName="www.admin.test", RecordType="A"
                )
            dns_reply = query(server.address, "www.admin.test", "A")
            assert rrset_texts(dns_reply.answer) == {"www.admin.test. 60 IN A 192.0.2.1"}


# --- the admin port --------------------------------------------------------------------------


def _held_port() -> socket.socket:
    """A listening socket on a free port of 127.0.0.1, holding it for another server."""
    return socket.create_server(("127.0.0.1", 0))


@pytest.mark.asyncio
async def test_default_admin_port_in_use_falls_back_to_a_free_one(tmp_path: Path) -> None:
    """A second server whose admin port is only the default takes a free one and serves on it."""
    zones = write_zones(tmp_path / "zones", {"admin.yaml": zone_text(9)})
    with _held_port() as holder:
        taken = holder.getsockname()[1]
        config = ServerConfig(
            zones=zones, port=0, admin_port=taken, admin_port_fallback=True, watch=False
        )
        with BackgroundServer(config) as server:
            admin = server.server.admin
            assert admin is not None
            assert admin.port not in (None, taken)
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{admin.port}/healthz") as reply,
            ):
                assert reply.status == 200


def test_chosen_admin_port_in_use_is_an_error_saying_what_to_do(tmp_path: Path) -> None:
    """An admin port the user chose is never swapped: the start fails and says how to choose."""
    zones = write_zones(tmp_path / "zones", {"admin.yaml": zone_text(9)})
    with _held_port() as holder:
        taken = holder.getsockname()[1]
        config = ServerConfig(zones=zones, port=0, admin_port=taken, watch=False)
        with pytest.raises(BindError, match=r"already in use .*--admin-port 0"):
            BackgroundServer(config).start()


# --- hostile clients: bodies, slow clients, the connection cap, the default token --------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe{}", "the body is not UTF-8: "),
        (b"[" * 100_000, "the body is not JSON: nested too deeply"),
    ],
)
@pytest.mark.asyncio
async def test_bodies_that_are_not_utf8_json_are_400_not_500(
    admin: Admin, body: bytes, message: str
) -> None:
    """Bytes that do not decode, or JSON nested past Python's recursion limit: 400 + message."""
    status, error = await admin.call("PUT", "/health-checks/web/override", data=body)
    assert status == 400
    assert error["error"].startswith(message)
    status, _check = await admin.call("GET", "/health-checks/web")
    assert status == 200


def _quick_admin(tmp_path: Path, **config: Any) -> BackgroundServer:
    zones = write_zones(tmp_path / "zones", {"admin.yaml": zone_text(9)})
    settings: dict[str, Any] = {"address": "127.0.0.1", "port": 0, "admin_port": 0, **config}
    return BackgroundServer(ServerConfig(zones=zones, **settings)).start()


def _admin_port(server: BackgroundServer) -> int:
    assert server.server.admin is not None
    assert server.server.admin.port is not None
    return server.server.admin.port


async def _get(port: int, path: str = "/healthz", **kwargs: Any) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}{path}", **kwargs) as reply,
    ):
        return reply.status


@pytest.mark.asyncio
async def test_slowloris_headers_are_cut_after_the_request_timeout(tmp_path: Path) -> None:
    """A client sending its headers one byte per second is disconnected once the request
    timeout (2 s here, 10 s by default) has passed since it connected; others are served."""
    server = _quick_admin(tmp_path, admin_request_timeout=2.0)
    try:
        port = _admin_port(server)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.monotonic()
        closed_after = None
        for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 20:
            writer.write(bytes([byte]))
            if await _closed_within(reader, 1.0):
                closed_after = time.monotonic() - started
                break
            assert await _get(port) == 200
        writer.close()
        assert closed_after is not None
        assert 1.5 < closed_after < 4.0, closed_after
    finally:
        server.stop()


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1024), timeout=seconds) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


@pytest.mark.asyncio
async def test_slow_body_is_408_after_the_request_timeout(tmp_path: Path) -> None:
    """A steering body that trickles in is answered 408 once the request timeout passes."""
    server = _quick_admin(tmp_path, admin_request_timeout=1.0)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", _admin_port(server))
        writer.write(
            b"PUT /health-checks/web/override HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        started = time.monotonic()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        assert head.startswith(b"HTTP/1.1 408 ")
        assert 0.8 < time.monotonic() - started < 3.0
        writer.close()
    finally:
        server.stop()


@pytest.mark.asyncio
async def test_over_the_connection_cap_the_least_recently_active_is_closed(
    tmp_path: Path,
) -> None:
    """With --max-admin-connections 2, two clients stuck in their headers cannot lock others
    out: each new connection closes the least recently active one, and is served."""
    server = _quick_admin(tmp_path, max_admin_connections=2)
    try:
        port = _admin_port(server)
        stuck = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
        for _reader, writer in stuck:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            await writer.drain()
        for _attempt in range(3):
            assert await _get(port) == 200
        assert await _closed_within(stuck[0][0], 2.0)
        assert server.server.admin is not None
        assert len(server.server.admin.connections) <= 2
        for _reader, writer in stuck:
            writer.close()
    finally:
        server.stop()


@pytest.mark.asyncio
async def test_beyond_loopback_changes_need_a_token_made_up_at_start(tmp_path: Path) -> None:
    """Listening on 0.0.0.0 without --admin-token: a random token is made up and shown in the
    startup line; changes need it, reads (/healthz, /metrics, /zones) stay open."""
    server = _quick_admin(tmp_path, admin_address="0.0.0.0")
    try:
        port, token = _admin_port(server), server.server.admin_token
        assert token is not None
        assert len(token) >= 20
        assert (
            f"admin API on http://0.0.0.0:{port}/ (token required for changes: {token}; "
            "set --admin-token to choose it)"
        ) in server.server.describe()
        for path in ("/healthz", "/metrics", "/zones"):
            assert await _get(port, path) == 200
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/reload"
            async with http.post(url) as reply:
                assert reply.status == 401
            async with http.post(url, headers={"Authorization": f"Bearer {token}"}) as reply:
                assert reply.status == 200
    finally:
        server.stop()


@pytest.mark.asyncio
async def test_on_loopback_no_token_is_made_up(tmp_path: Path) -> None:
    """On 127.0.0.1 without --admin-token, changes need no token, as before."""
    server = _quick_admin(tmp_path)
    try:
        assert server.server.admin_token is None
        assert f"admin API on http://127.0.0.1:{_admin_port(server)}/" in server.server.describe()
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"http://127.0.0.1:{_admin_port(server)}/reload") as reply,
        ):
            assert reply.status == 200
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.0.2.1", False),
        ("fe80::1%eth0", False),
    ],
)
def test_what_counts_as_loopback(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback

"""The pytest plugin's `r53emu` fixture, used by real pytest runs (pytester, in subprocesses).

Each run is a whole pytest session in a fresh directory, with the plugin loaded through its
`pytest11` entry point as users get it; the inner tests assert the behaviour and the outer test
asserts they all ran and passed. Runs are few and combine many checks: each costs a second.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from tests.support.helpers import REPO

pytest_plugins = ["pytester"]

README = REPO / "README.md"


def plugin_section() -> str:
    """The README's section on the pytest plugin, the text users copy from."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## Testing with pytest\n")
    return text[start : text.index("\n## ", start + 1)]


ASYNC_INI = """
    [pytest]
    r53emu_zones = zones
    r53emu_seed = 7
    asyncio_mode = strict
    asyncio_default_fixture_loop_scope = function
    addopts = --strict-markers --strict-config -p no:cacheprovider
    filterwarnings = error
"""

ACCOUNT_YAML = """
    health_checks:
      primary-gate: {type: RECOVERY_CONTROL, routing_control_state: "On"}
    client_locations:
      - {cidr: 198.51.100.0/26, country: DE}
      - {cidr: 198.51.100.64/26, country: US, subdivision: CA}
"""

SHOP_YAML = """
    zone: shop.test
    record_sets:
      - {name: www, type: A, ttl: 60, records: [192.0.2.10]}
      - {name: site, type: A, ttl: 60, records: [192.0.2.91], set_identifier: primary,
         failover_routing_policy: {type: PRIMARY}, health_check_id: primary-gate}
      - {name: site, type: A, ttl: 60, records: [192.0.2.99], set_identifier: sorry,
         failover_routing_policy: {type: SECONDARY}}
      - {name: api, type: A, ttl: 60, records: [192.0.2.21], set_identifier: blue,
         weighted_routing_policy: {weight: 1}}
      - {name: api, type: A, ttl: 60, records: [192.0.2.22], set_identifier: green,
         weighted_routing_policy: {weight: 1}}
      - {name: geo, type: A, ttl: 60, records: [192.0.2.41], set_identifier: de,
         geolocation_routing_policy: {country: DE}}
      - {name: geo, type: A, ttl: 60, records: [192.0.2.42], set_identifier: us-ca,
         geolocation_routing_policy: {country: US, subdivision: CA}}
      - {name: geo, type: A, ttl: 60, records: [192.0.2.40], set_identifier: default,
         geolocation_routing_policy: {country: "*"}}
"""

OTHER_YAML = """
    zone: other.test
    record_sets:
      - {name: www, type: A, ttl: 60, records: [203.0.113.5]}
"""

BAD_YAML = """
    zone: broken.test
    record_sets:
      - {name: www, type: A, ttl: 60, records: [192.0.2.1]}
      - {name: api, type: A, ttl: 60, records: [192.0.2.2], set_identifier: a,
         weighted_routing_policy: {weight: 300}}
"""

STEERING_TESTS = """
    from pathlib import Path

    import pytest

    from r53emu.zonefiles.errors import ZoneLoadError
    from r53emu.testing.plugin import ZonesRejected

    HERE = Path(__file__).parent
    API_SEQUENCE = []


    def test_why_of_a_repeated_simple_answer(r53emu):
        for _ in range(2):  # the second reply comes from the reply cache
            reply = r53emu.resolve("www.shop.test")
            assert reply.answers == ["192.0.2.10"]
            assert reply.why()["decisions"][0]["policy"] == "simple"


    def test_set_health_and_switch_flip_the_failover(r53emu):
        assert r53emu.resolve("site.shop.test").answers == ["192.0.2.91"]
        r53emu.set_health("primary-gate", False)
        reply = r53emu.resolve("site.shop.test")
        assert (reply.rcode, reply.answers) == ("NOERROR", ["192.0.2.99"])
        assert reply.why()["decisions"][0]["chosen"] == ["sorry"]
        assert r53emu.health("primary-gate")["healthy"] is False
        r53emu.clear_overrides()
        assert r53emu.resolve("site.shop.test").answers == ["192.0.2.91"]
        r53emu.set_switch("primary-gate", "Off")
        assert r53emu.health("primary-gate")["switch"] == "Off"
        assert r53emu.resolve("site.shop.test").answers == ["192.0.2.99"]


    def test_next_test_starts_with_the_zones_health(r53emu):
        assert r53emu.health("primary-gate")["healthy"] is True
        assert r53emu.health("primary-gate")["switch"] == "On"
        assert r53emu.resolve("site.shop.test").answers == ["192.0.2.91"]
        r53emu.set_health("primary-gate", False)  # left set: the next test must not see it


    def test_seed_makes_weighted_answers_reproducible(r53emu):
        first = [r53emu.resolve("api.shop.test").answers[0] for _ in range(24)]
        assert set(first) == {"192.0.2.21", "192.0.2.22"}
        r53emu.seed(7)
        again = [r53emu.resolve("api.shop.test").answers[0] for _ in range(24)]
        assert again == first
        r53emu.seed(8)
        assert [r53emu.resolve("api.shop.test").answers[0] for _ in range(24)] != first
        API_SEQUENCE.extend(first)


    def test_each_test_restarts_from_the_configured_seed(r53emu):
        assert r53emu.resolve("site.shop.test").answers == ["192.0.2.91"]  # override gone
        assert [r53emu.resolve("api.shop.test").answers[0] for _ in range(24)] == API_SEQUENCE


    def test_client_ip_places_the_client_for_geolocation(r53emu):
        germany = r53emu.resolve("geo.shop.test", client_ip="198.51.100.7")
        assert germany.answers == ["192.0.2.41"]
        assert germany.why()["client"]["country"] == "DE"
        assert r53emu.resolve("geo.shop.test", client_ip="198.51.100.70").answers == [
            "192.0.2.42"
        ]
        assert r53emu.resolve("geo.shop.test").answers == ["192.0.2.40"]  # 127.0.0.1: nowhere
        explained = r53emu.explain("geo.shop.test", "A", client_ip="198.51.100.70")
        assert explained["answer"] == ["geo.shop.test. 60 IN A 192.0.2.42"]
        assert explained["decisions"][0]["chosen"] == ["us-ca"]


    def test_queries_lists_this_tests_queries_in_order(r53emu):
        assert r53emu.queries == []
        r53emu.resolve("geo.shop.test", client_ip="198.51.100.7")
        r53emu.resolve("www.shop.test", "AAAA", tcp=True)
        r53emu.resolve("nowhere.example", "TXT")
        logged = [
            (q["query_name"], q["query_type"], q["response_code"], q["protocol"],
             q["edns_client_subnet"], q["policy"], q["set_identifiers"])
            for q in r53emu.queries
        ]
        assert logged == [
            ("geo.shop.test", "A", "NOERROR", "UDP", "198.51.100.7/32", "geolocation", ["de"]),
            ("www.shop.test", "AAAA", "NOERROR", "TCP", None, None, []),
            ("nowhere.example", "TXT", "REFUSED", "UDP", None, None, []),
        ]


    def test_load_serves_a_file_a_directory_or_a_dict(r53emu):
        r53emu.load(HERE / "other_zones" / "other.yaml")
        assert r53emu.resolve("www.other.test").answers == ["203.0.113.5"]
        assert r53emu.resolve("www.shop.test").rcode == "REFUSED"
        r53emu.load(str(HERE / "zones"))
        assert r53emu.resolve("www.shop.test").answers == ["192.0.2.10"]
        assert r53emu.resolve("www.other.test").rcode == "REFUSED"
        r53emu.load_dict({"zone": "dict.test", "record_sets": [
            {"name": "www", "type": "TXT", "ttl": 60, "records": ['"from a dict"']},
        ]})
        assert r53emu.resolve("www.dict.test", "TXT").answers == ['"from a dict"']


    def test_invalid_zones_raise_with_file_and_line_and_keep_serving(r53emu):
        r53emu.load_dict({"zone": "dict.test", "record_sets": [
            {"name": "www", "type": "A", "ttl": 60, "records": ["192.0.2.7"]},
        ]})
        bad = HERE / "broken.yaml"
        with pytest.raises(ZonesRejected) as raised:
            r53emu.load(bad)
        assert f"{bad}:5: record_sets[1].weighted_routing_policy.weight:" in str(raised.value)
        assert isinstance(raised.value, ZoneLoadError)
        assert [(e.file, e.line) for e in raised.value.errors] == [(str(bad), 5)]
        assert r53emu.resolve("www.dict.test").answers == ["192.0.2.7"]
        with pytest.raises(ZonesRejected, match=r"zone\\.yaml:5: record_sets\\[0\\]\\.ttl: "):
            r53emu.load_dict({"zone": "dict.test", "record_sets": [
                {"name": "www", "type": "A", "ttl": -1, "records": ["192.0.2.8"]},
            ]})
        assert r53emu.resolve("www.dict.test").answers == ["192.0.2.7"]


    def test_configured_zones_are_back_after_a_test_loaded_others(r53emu):
        assert r53emu.resolve("www.shop.test").answers == ["192.0.2.10"]
        assert r53emu.resolve("www.dict.test").rcode == "REFUSED"


    @pytest.mark.r53emu(zones="other_zones", seed=3)
    def test_marker_serves_its_zones_and_seed(r53emu):
        assert r53emu.resolve("www.other.test").answers == ["203.0.113.5"]
        assert r53emu.resolve("www.shop.test").rcode == "REFUSED"
        assert r53emu.default_seed == 7


    @pytest.mark.r53emu(zones={"zone": "marked.test", "record_sets": [
        {"name": "www", "type": "A", "ttl": 60, "records": ["192.0.2.55"]}]})
    def test_marker_takes_a_zone_mapping(r53emu):
        assert r53emu.resolve("www.marked.test").answers == ["192.0.2.55"]


    @pytest.mark.r53emu(seed=3)
    def test_marker_seed_pins_the_sequence(r53emu):
        marked = [r53emu.resolve("api.shop.test").answers[0] for _ in range(24)]
        r53emu.seed(3)
        assert [r53emu.resolve("api.shop.test").answers[0] for _ in range(24)] == marked
        assert marked != API_SEQUENCE


    def test_marker_is_undone_after_its_test(r53emu):
        assert r53emu.resolve("www.shop.test").answers == ["192.0.2.10"]
        assert r53emu.resolve("www.marked.test").rcode == "REFUSED"
        assert [r53emu.resolve("api.shop.test").answers[0] for _ in range(24)] == API_SEQUENCE
"""

SYNC_ASYNC_TESTS = """
    import dns.asyncquery
    import dns.message
    import pytest

    ADDRESSES = []


    def test_sync(r53emu):
        ADDRESSES.append(r53emu.address)
        assert r53emu.address[0] == "127.0.0.1"
        r53emu.set_health("primary-gate", False)
        assert r53emu.resolve("site.shop.test").answers == ["192.0.2.99"]


    @pytest.mark.asyncio
    async def test_async(r53emu):
        assert r53emu.address == ADDRESSES[0]  # one server for the session
        host, port = r53emu.address
        query = dns.message.make_query("site.shop.test", "A")
        reply = await dns.asyncquery.udp(query, host, port=port, timeout=5)
        assert [r.to_text() for r in reply.answer[0]] == ["192.0.2.91"]
        assert r53emu.resolve("site.shop.test").answers == ["192.0.2.91"]
        assert [q["query_name"] for q in r53emu.queries] == ["site.shop.test"] * 2
"""


def _dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _assert_passed(result: pytest.RunResult, passed: int) -> None:
    outcomes = result.parseoutcomes()
    assert outcomes == {"passed": passed}, "\n".join(result.outlines)


@pytest.fixture
def shop_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project whose ini serves zones/ (account + shop.test) with seed 7, asyncio strict."""
    pytester.makeini(_dedent(ASYNC_INI))
    zones = pytester.mkdir("zones")
    (zones / "account.yaml").write_text(_dedent(ACCOUNT_YAML))
    (zones / "shop.yaml").write_text(_dedent(SHOP_YAML))
    other = pytester.mkdir("other_zones")
    (other / "other.yaml").write_text(_dedent(OTHER_YAML))
    return pytester


def _doc_blocks() -> dict[str, str]:
    """The README's example files: each fenced block whose first line names a file (`# path`)."""
    blocks = re.findall(r"```(?:toml|yaml|python)\n# (\S+)\n(.*?)```", plugin_section(), re.DOTALL)
    return dict(blocks)


def test_the_documented_example_passes(pytester: pytest.Pytester) -> None:
    """The README's pyproject, zone file and tests for the plugin, run as they stand, pass."""
    blocks = _doc_blocks()
    assert set(blocks) == {"pyproject.toml", "tests/zones/shop.yaml", "tests/test_shop_dns.py"}
    for path, body in blocks.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    _assert_passed(result, 3)


def test_fixture_steers_loads_seeds_and_resets_per_test(shop_project: pytest.Pytester) -> None:
    """Failover via set_health/set_switch, seeds, client_ip geolocation, queries, load,
    load_dict, rejected zones and the marker, each undone before the next test."""
    (shop_project.path / "broken.yaml").write_text(_dedent(BAD_YAML))
    shop_project.makepyfile(test_steering=_dedent(STEERING_TESTS))
    result = shop_project.runpytest_subprocess()
    _assert_passed(result, 14)


def test_sync_and_async_tests_share_one_server(shop_project: pytest.Pytester) -> None:
    """A sync and a pytest-asyncio (strict) test get the same server, each freshly reset."""
    shop_project.makepyfile(test_both=_dedent(SYNC_ASYNC_TESTS))
    result = shop_project.runpytest_subprocess()
    _assert_passed(result, 2)


def test_without_configuration_every_query_is_refused(pytester: pytest.Pytester) -> None:
    """With no r53emu_zones, the server serves nothing and answers REFUSED, and logs it."""
    pytester.makepyfile(
        test_empty="""
        def test_refused(r53emu):
            reply = r53emu.resolve("www.example.test")
            assert (reply.rcode, reply.answers) == ("REFUSED", [])
            assert r53emu.queries[0]["response_code"] == "REFUSED"
            assert r53emu.default_seed is None
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    _assert_passed(result, 1)


def test_invalid_configured_zones_fail_the_tests_with_file_and_line(
    pytester: pytest.Pytester,
) -> None:
    """Broken zones named by r53emu_zones error every test using the fixture, naming file:line."""
    pytester.makeini("[pytest]\nr53emu_zones = zones/broken.yaml\n")
    pytester.mkdir("zones")
    (pytester.path / "zones" / "broken.yaml").write_text(_dedent(BAD_YAML))
    pytester.makepyfile(
        test_broken="""
        def test_uses_it(r53emu):
            pass

        def test_does_not():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*ZonesRejected*", "*zones/broken.yaml:5: record_sets[[]1[]].weighted_routing_policy*"]
    )

"""`r53emu answer` prints, offline, the answer Route 53 would give and why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.helpers import REPO, write_zones
from tests.support.serving import clean_env

ZONE = """
    zone: explain.test
    ttl: 60
    record_sets:
      - {name: www, type: A, records: [192.0.2.1, 192.0.2.2]}
      - {name: "@", type: A, alias: {name: www.explain.test.}}
      - {name: app, type: CNAME, records: [www.explain.test.]}
"""


def run_answer(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "r53emu", "answer", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
    )


def answer_json(zones: Path, *args: str) -> dict[str, Any]:
    result = run_answer(*args, "--zones", str(zones), "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_answer_prints_records_and_why(tmp_path: Path) -> None:
    """The text output shows the status, the answer records and a why line per decision."""
    zones = write_zones(tmp_path / "zones", {"explain.yaml": ZONE})
    result = run_answer("explain.test", "A", "--zones", str(zones))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ";; explain.test. A: status NOERROR, flags qr aa"
    assert "explain.test. 60 IN A 192.0.2.1" in lines
    assert "explain.test. 60 IN A 192.0.2.2" in lines
    assert any(line.startswith("- explain.test. A: simple routing") for line in lines)
    assert any(line.startswith("- www.explain.test. A: simple routing") for line in lines)


def test_answer_json_follows_the_alias(tmp_path: Path) -> None:
    """The JSON explanation lists the alias's decision, then its target's, and the records."""
    zones = write_zones(tmp_path / "zones", {"explain.yaml": ZONE})
    data = answer_json(zones, "explain.test", "a")
    assert data["rcode"] == "NOERROR"
    assert data["authoritative"] is True
    assert data["zone"] == "explain.test."
    assert sorted(data["answer"]) == [
        "explain.test. 60 IN A 192.0.2.1",
        "explain.test. 60 IN A 192.0.2.2",
    ]
    assert [(d["name"], d["policy"]) for d in data["decisions"]] == [
        ("explain.test.", "simple"),
        ("www.explain.test.", "simple"),
    ]
    assert data["decisions"][0]["chosen"] == ["alias to www.explain.test."]
    assert data["decisions"][0]["candidates"] == [
        {"record": "alias to www.explain.test.", "healthy": True}
    ]


def test_answer_reports_negative_answers_and_refusals(tmp_path: Path) -> None:
    """NXDOMAIN carries the SOA; a name in no hosted zone is REFUSED, as on the wire."""
    zones = write_zones(tmp_path / "zones", {"explain.yaml": ZONE})
    missing = answer_json(zones, "nope.explain.test", "A")
    assert missing["rcode"] == "NXDOMAIN"
    assert missing["authority"][0].startswith("explain.test. 900 IN SOA ")
    refused = answer_json(zones, "www.example.com", "A")
    assert refused["rcode"] == "REFUSED"
    assert refused["authoritative"] is False


def test_answer_locates_the_client_by_subnet_before_address(tmp_path: Path) -> None:
    """The subnet places the client when given, else the client address (built-in data)."""
    zones = write_zones(tmp_path / "zones", {"explain.yaml": ZONE})
    by_address = answer_json(zones, "www.explain.test", "A", "--client-ip", "8.8.8.8")
    assert by_address["client"]["country"] == "US"
    assert by_address["client"]["location"] == "US (built-in)"
    by_subnet = answer_json(
        zones, "www.explain.test", "A", "--client-ip", "8.8.8.8", "--subnet", "127.0.0.0/8"
    )
    assert by_subnet["client"]["subnet"] == "127.0.0.0/8"
    assert by_subnet["client"]["location"] == "unlocated"
    default = answer_json(
        zones, "www.explain.test", "A", "--subnet", "127.0.0.0/8", "--default-location", "us-ca"
    )
    assert default["client"]["location"] == "US-CA (default-location)"


def test_answer_rejects_bad_input(tmp_path: Path) -> None:
    """Bad zones, types and locations exit non-zero with the reason on stderr."""
    zones = write_zones(tmp_path / "zones", {"bad.yaml": "zone: bad.test\nttl: -1\n"})
    bad_zone = run_answer("bad.test", "A", "--zones", str(zones))
    assert bad_zone.returncode == 1
    assert "bad.yaml:2: ttl:" in bad_zone.stderr
    good = write_zones(tmp_path / "good", {"explain.yaml": ZONE})
    bad_type = run_answer("explain.test", "NOPE", "--zones", str(good))
    assert bad_type.returncode == 1
    assert "NOPE" in bad_type.stderr
    bad_location = run_answer("explain.test", "A", "--zones", str(good), "--default-location", "XX")
    assert bad_location.returncode == 2
    assert "XX" in bad_location.stderr


def test_answer_reads_a_single_zone_file(tmp_path: Path) -> None:
    """`--zones` may name one zone file instead of a directory."""
    zones = write_zones(tmp_path / "zones", {"explain.yaml": ZONE, "other.yaml": "zone: o.test\n"})
    data = answer_json(zones / "explain.yaml", "www.explain.test", "A")
    assert data["rcode"] == "NOERROR"
    assert data["zone"] == "explain.test."
    assert answer_json(zones / "explain.yaml", "o.test", "SOA")["rcode"] == "REFUSED"


def test_answer_without_zones_names_the_default(tmp_path: Path) -> None:
    """Run where there is no ./zones: a usage error naming the default and `--zones`."""
    result = run_answer("www.explain.test", "A", cwd=tmp_path, env=clean_env())
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "r53emu: zones directory ./zones does not exist (the default; give --zones PATH)\n"
    )

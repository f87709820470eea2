"""`r53emu check [PATH]` through the installed console script.

Clean zones: one summary line per zone (name, id, record-set count, file) and exit 0. Broken
zones: every error as `file:line: field: message` and exit 1. PATH is a zones directory or one
zone file; it defaults to `$R53EMU_ZONES`, else `zones/`; one that does not exist is a usage
error (exit 2).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from r53emu.model import apexdefaults
from tests.support.helpers import REPO

R53EMU = Path(sys.executable).parent / "r53emu"


def run_check(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `r53emu check` with a clean R53EMU_* environment plus `env`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("R53EMU_")}
    environment.update(env or {})
    return subprocess.run(
        [str(R53EMU), "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
        check=False,
    )


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


CLEAN = {
    "b.yaml": """\
        zone: example.org
        id: Z0EXAMPLEORG
        ttl: 60
        record_sets:
          - {name: www, type: A, records: [192.0.2.1]}
          - {name: "@", type: MX, records: ["10 mail.example.org"]}
        """,
    "a.yaml": "zone: example.com\n",
    "example.net.json": '{"ResourceRecordSets": [{"Name": "www.example.net.", "Type": "A", '
    '"TTL": 60, "ResourceRecords": [{"Value": "192.0.2.9"}]}]}',
    "notes.txt": "not a zone file: ignored\n",
}


def test_clean_zones_print_one_summary_line_each_and_exit_0(tmp_path: Path) -> None:
    """Each zone gets `name id: N record sets (file)`, sorted by name, and the exit status is 0."""
    zones = write(tmp_path / "zones", CLEAN)
    result = run_check(str(zones), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"example.com. {apexdefaults.zone_id('example.com.')}: 2 record sets ({zones / 'a.yaml'})",
        f"example.net. {apexdefaults.zone_id('example.net.')}: 3 record sets "
        f"({zones / 'example.net.json'})",
        f"example.org. Z0EXAMPLEORG: 4 record sets ({zones / 'b.yaml'})",
    ]


def test_errors_are_all_printed_and_exit_1(tmp_path: Path) -> None:
    """Every error of every file is printed as `file:line: field: message`; the status is 1."""
    zones = write(
        tmp_path / "zones",
        {
            "a.yaml": """\
                zone: example.com
                record_sets:
                  - {name: www, type: A, ttl: 2147483648, records: [192.0.2.1]}
                  - {name: "@", type: CNAME, ttl: 60, records: [example.net]}
                """,
            "b.yaml": """\
                zone: example.org
                record_sets:
                  - {name: api, type: A, alias: {name: missing.example.org}}
                  - {name: api, type: TXT, tll: 5, records: [hello]}
                """,
        },
    )
    a, b = zones / "a.yaml", zones / "b.yaml"
    org_id = apexdefaults.zone_id("example.org.")
    result = run_check(str(zones), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{a}:3: record_sets[0].ttl: 2147483648 is not in 0..2147483647",
        f"{a}:4: record_sets[1]: RRSet of type CNAME with DNS name example.com. is not "
        "permitted at apex in zone example.com.",
        f"{b}:3: record_sets[0].alias: Tried to create an alias that targets "
        f"missing.example.org., type A in zone {org_id}, but that target was not found",
        f"{b}:4: record_sets[1].tll: unknown field (expected one of: name, type, ttl, records, "
        "alias, set_identifier, weighted_routing_policy, latency_routing_policy, "
        "failover_routing_policy, geolocation_routing_policy, geoproximity_routing_policy, "
        "multivalue_answer_routing_policy, cidr_routing_policy, health_check_id)",
        f"{b}:4: record_sets[1].ttl: required (or give the zone a default `ttl:`)",
    ]
    assert result.stderr.strip() == f"5 error(s) in {zones}"


def test_directory_defaults_to_r53emu_zones(tmp_path: Path) -> None:
    """Without an argument, `check` reads the directory named by R53EMU_ZONES."""
    zones = write(tmp_path / "elsewhere", {"z.yaml": "zone: example.com\n"})
    result = run_check(cwd=tmp_path, env={"R53EMU_ZONES": str(zones)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("example.com. ")
    assert result.stdout.rstrip().endswith(f"({zones / 'z.yaml'})")


def test_argument_wins_over_r53emu_zones(tmp_path: Path) -> None:
    """A directory on the command line is used even when R53EMU_ZONES names another."""
    good = write(tmp_path / "good", {"z.yaml": "zone: example.com\n"})
    bad = write(tmp_path / "bad", {"z.yaml": "zone: com\n"})
    assert run_check(str(good), cwd=tmp_path, env={"R53EMU_ZONES": str(bad)}).returncode == 0
    assert run_check(cwd=tmp_path, env={"R53EMU_ZONES": str(bad)}).returncode == 1


def test_directory_defaults_to_zones_in_the_working_directory(tmp_path: Path) -> None:
    """Without argument or variable, `check` reads ./zones."""
    write(tmp_path / "zones", {"z.yaml": "zone: example.com\n"})
    result = run_check(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"example.com. {apexdefaults.zone_id('example.com.')}: 2 record sets (zones/z.yaml)\n"
    )


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    """A path that does not exist is a usage error (2): one line on stderr, no `:0:`."""
    result = run_check(str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"r53emu: zones path {tmp_path / 'nowhere'} does not exist\n"


def test_missing_default_directory_names_the_default(tmp_path: Path) -> None:
    """Without a path, a missing ./zones is reported as the default, with how to give one."""
    result = run_check(cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "r53emu: zones directory ./zones does not exist (the default; give r53emu check PATH)\n"
    )


def test_missing_directory_from_r53emu_zones_names_the_variable(tmp_path: Path) -> None:
    """A missing path that came from R53EMU_ZONES says so."""
    result = run_check(cwd=tmp_path, env={"R53EMU_ZONES": str(tmp_path / "gone")})
    assert result.returncode == 2
    assert result.stderr == (
        f"r53emu: zones path {tmp_path / 'gone'} does not exist "
        "(from R53EMU_ZONES; give r53emu check PATH)\n"
    )


def test_single_zone_file_is_checked_alone(tmp_path: Path) -> None:
    """A zone file instead of a directory: its zone is summarized, the files beside it ignored."""
    zones = write(tmp_path / "zones", CLEAN)
    result = run_check(str(zones / "b.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"example.org. Z0EXAMPLEORG: 4 record sets ({zones / 'b.yaml'})\n"
    relative = run_check("zones/example.net.json", cwd=tmp_path)  # named after its zone
    assert relative.returncode == 0, relative.stdout + relative.stderr
    assert relative.stdout == (
        f"example.net. {apexdefaults.zone_id('example.net.')}: 3 record sets "
        "(zones/example.net.json)\n"
    )


def test_single_zone_file_errors_name_the_file_and_line(tmp_path: Path) -> None:
    """Errors in a zone file given alone read as in a directory: `file:line: field: message`."""
    zones = write(tmp_path / "zones", {"bad.yaml": "zone: example.com\nttl: -1\n"})
    result = run_check(str(zones / "bad.yaml"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == f"{zones / 'bad.yaml'}:2: ttl: -1 is not in 0..2147483647\n"
    assert result.stderr.strip() == f"1 error(s) in {zones / 'bad.yaml'}"


def test_a_file_that_is_no_zone_file_is_a_usage_error(tmp_path: Path) -> None:
    """Only *.yaml, *.yml and *.json files are zone files."""
    zones = write(tmp_path / "zones", CLEAN)
    result = run_check(str(zones / "notes.txt"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"r53emu: {zones / 'notes.txt'} is neither a zones directory nor a zone file "
        "(.yaml, .yml, .json)\n"
    )


def test_bundled_zones_pass_check(tmp_path: Path) -> None:
    """The repository's own zones/ directory is valid."""
    result = run_check(str(REPO / "zones"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    summaries = result.stdout.splitlines()
    assert any(line.startswith("example.test. ") for line in summaries)
    assert all(" record sets (" in line for line in summaries)


ROUTED = {
    "account.yaml": """\
        health_checks:
          blue-http: {type: HTTP, ip_address: 127.0.0.1, port: 8080, resource_path: /healthz}
        cidr_collections:
          corp: {hq: [203.0.113.0/24]}
        client_locations:
          - {cidr: 10.1.0.0/16, country: DE}
        """,
    "shop.yaml": """\
        zone: shop.example
        ttl: 60
        record_sets:
          - {name: api, type: A, records: [192.0.2.10], set_identifier: blue,
             weighted_routing_policy: {weight: 90}, health_check_id: blue-http}
          - {name: api, type: A, records: [192.0.2.20], set_identifier: green,
             weighted_routing_policy: {weight: 10}}
          - {name: ip, type: A, records: [192.0.2.71], set_identifier: office,
             cidr_routing_policy: {collection_id: corp, location_name: hq}}
          - {name: geo, type: A, records: [192.0.2.40], set_identifier: default,
             geolocation_routing_policy: {country: "*"}}
        """,
}


def test_routed_zone_and_account_file_pass_check(tmp_path: Path) -> None:
    """A zone using routing policies and an account-only file pass; only the zone is listed."""
    zones = write(tmp_path / "zones", ROUTED)
    result = run_check(str(zones), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"shop.example. {apexdefaults.zone_id('shop.example.')}: 6 record sets "
        f"({zones / 'shop.yaml'})"
    ]


def test_routing_errors_are_printed_with_file_line_and_field(tmp_path: Path) -> None:
    """Routing and account-section errors print as `file:line: field: message`, exit 1."""
    files = dict(ROUTED)
    files["shop.yaml"] = files["shop.yaml"].replace("weight: 90", "weight: 300").rstrip(" ")
    files["shop.yaml"] += """\
          - {name: geo, type: A, records: [192.0.2.41], set_identifier: de,
             geolocation_routing_policy: {country: DE, continent: EU}}
          - {name: ip, type: A, records: [192.0.2.70], set_identifier: office,
             cidr_routing_policy: {collection_id: corp, location_name: "*"}}
        """
    files["account.yaml"] = files["account.yaml"].replace("/24]}", "/25]}")
    zones = write(tmp_path / "zones", files)
    account, shop = zones / "account.yaml", zones / "shop.yaml"
    result = run_check(str(zones), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{account}:4: cidr_collections.corp.hq[0]: 203.0.113.0/25: IPv4 blocks of a CIDR "
        'collection are /1 to /24 (the "*" location stands for /0)',
        f"{shop}:5: record_sets[0].weighted_routing_policy.weight: 300 is not in 0..255",
        f"{shop}:13: record_sets[4].geolocation_routing_policy: give either continent or "
        "country (with an optional subdivision), not both",
        f"{shop}:14: record_sets[5].set_identifier: Tried to create resource record set "
        "[name='ip.shop.example.', type='A', set-identifier='office'] but it already exists "
        f"(at {shop}:8)",
    ]
    assert result.stderr.strip() == f"4 error(s) in {zones}"


def test_max_zone_file_mb_sets_the_bound_on_a_file(tmp_path: Path) -> None:
    """A 2 MiB zone file is refused with --max-zone-file-mb 1 (naming the flag) and loads with
    --max-zone-file-mb 3, as it does by default (64)."""
    zones = tmp_path / "zones"
    zones.mkdir()
    comment = "# " + "x" * 1000 + "\n"
    text = "zone: big.test\n" + comment * (2 * 2**20 // len(comment))
    (zones / "big.yaml").write_text(text, encoding="utf-8")
    refused = run_check("--max-zone-file-mb", "1", "zones", cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stdout.splitlines()[0] == (
        f"zones/big.yaml:1: the file is {len(text):,} bytes; r53emu reads zone files of at most "
        "1,048,576 bytes (1 MiB, r53emu's bound: --max-zone-file-mb)"
    )
    accepted = run_check("zones", cwd=tmp_path, env={"R53EMU_MAX_ZONE_FILE_MB": "3"})
    assert accepted.returncode == 0, accepted.stdout
    assert accepted.stdout.startswith("big.test. ")

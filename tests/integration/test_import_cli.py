"""`r53emu import FILE...` through the installed console script, then `r53emu check`.

Importing writes one zone file per hosted zone and `account.yaml` into `--output` (default
`$R53EMU_ZONES`, else `zones/`) or prints them with `-`; `r53emu check` then loads them, record
set by record set into what the JSON dump loads into, and a sample of answers through
`r53emu answer --json` is the same (the unit tests compare every answer). Existing files are
kept without `--force`; input problems exit 1 naming the file and the JSON path; usage errors
exit 2.
The fixtures in `imports/` are a dump of every record type and routing policy with its hosted
zone, health checks of every type and a CIDR collection (see tests/unit/zonefiles).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import REPO
from tests.unit.zonefiles.test_importing import assert_same_catalogs

R53EMU = Path(sys.executable).parent / "r53emu"
IMPORTS = Path(__file__).parent / "imports"
FIXTURES = sorted(str(path) for path in IMPORTS.glob("*.json"))
EXAMPLE_ORG = REPO / "zones" / "example.org.json"
SIGPIPE_STATUS = 141


def r53emu(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `r53emu` with a clean R53EMU_* environment plus `env`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("R53EMU_")}
    environment.update(env or {})
    return subprocess.run(
        [str(R53EMU), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
        check=False,
    )


def answers(zones: Path, questions: list[tuple[str, ...]]) -> list[dict[str, Any]]:
    """`r53emu answer --json` for each question (name, type, extra flags), from `zones`."""
    results = []
    for name, rtype, *flags in questions:
        result = r53emu("answer", name, rtype, "--zones", str(zones), "--json", *flags, cwd=REPO)
        assert result.returncode == 0, result.stderr
        results.append(json.loads(result.stdout))
    return results


def test_the_bundled_dump_imports_checks_and_answers_alike(tmp_path: Path) -> None:
    out = tmp_path / "imported"
    result = r53emu("import", str(EXAMPLE_ORG), "--output", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"wrote {out / 'example.org.yaml'}: hosted zone example.org. (Z0EXAMPLEORG), 5 record sets",
        f"check them: r53emu check {out}",
    ]
    assert sorted(p.name for p in out.iterdir()) == ["example.org.yaml"]  # no temporary file
    check = r53emu("check", str(out), cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert (
        check.stdout == f"example.org. Z0EXAMPLEORG: 5 record sets ({out / 'example.org.yaml'})\n"
    )
    assert_same_catalogs(load_catalog(out), load_catalog(EXAMPLE_ORG))
    asked = [("example.org", "A"), ("anything.example.org", "TXT")]  # and through the CLI
    assert answers(out, asked) == answers(EXAMPLE_ORG, asked)


def json_side(directory: Path) -> Path:
    """The fixture dump without what r53emu cannot load, with its account sections by hand."""
    dump = json.loads((IMPORTS / "rrsets.json").read_text(encoding="utf-8"))
    dump["ResourceRecordSets"] = [
        s for s in dump["ResourceRecordSets"] if ".aws.import.test." not in s["Name"]
    ]
    directory.mkdir()
    (directory / "import.test.json").write_text(json.dumps(dump), encoding="utf-8")
    account = (IMPORTS / "expected-account.yaml").read_text(encoding="utf-8")
    (directory / "account.yaml").write_text(account, encoding="utf-8")
    return directory


def test_every_type_and_policy_imports_checks_and_answers_alike(tmp_path: Path) -> None:
    out = tmp_path / "zones"
    result = r53emu("import", *FIXTURES, cwd=tmp_path)  # into zones/, the default
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "wrote zones/import.test.yaml: hosted zone import.test. (Z0IMPORTTEST1), 55 record "
        "sets (4 not imported)",
        "wrote zones/account.yaml: 8 health checks, 1 CIDR collection",
        "check them: r53emu check zones",
    ]
    notes = result.stderr.splitlines()
    assert len(notes) == 4
    assert all(
        note.startswith(f"note: {IMPORTS / 'rrsets.json'}: ResourceRecordSets[") for note in notes
    )
    assert notes[0].endswith(
        "elb.aws.import.test. A: not imported: alias to "
        "dualstack.my-lb-1234567890.us-east-1.elb.amazonaws.com., an Elastic Load Balancing load "
        "balancer (r53emu does not emulate aliases to AWS resources yet)"
    )
    check = r53emu("check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout == "import.test. Z0IMPORTTEST1: 55 record sets (zones/import.test.yaml)\n"
    assert_same_catalogs(load_catalog(out), load_catalog(json_side(tmp_path / "json")))
    asked = [  # and through the CLI: a draw, a location, an alias tree
        ("api.import.test", "A", "--seed", "3"),
        ("geo.import.test", "A", "--subnet", "198.51.100.0/26"),
        ("tree.import.test", "A", "--subnet", "203.0.113.0/24"),
    ]
    assert answers(out, asked) == answers(tmp_path / "json", asked)


def test_dash_prints_the_files_and_writes_nothing(tmp_path: Path) -> None:
    result = r53emu("import", *FIXTURES, "--output", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    zone, account = yaml.safe_load_all(result.stdout)
    assert zone["zone"] == "import.test"
    assert len(account["health_checks"]) == 8
    assert result.stderr.splitlines()[-2:] == [
        "printed import.test.yaml: hosted zone import.test. (Z0IMPORTTEST1), 55 record sets (4 "
        "not imported)",
        "printed account.yaml: 8 health checks, 1 CIDR collection",
    ]
    assert list(tmp_path.iterdir()) == []


def test_files_are_replaced_only_with_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "example.org.yaml").write_text("zone: example.org\n", encoding="utf-8")
    result = r53emu("import", str(EXAMPLE_ORG), "--output", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "out/example.org.yaml: exists: not replaced (give --force to replace it)",
        "1 error(s): nothing written",
    ]
    assert (out / "example.org.yaml").read_text(encoding="utf-8") == "zone: example.org\n"
    forced = r53emu("import", str(EXAMPLE_ORG), "--output", "out", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "Z0EXAMPLEORG" in (out / "example.org.yaml").read_text(encoding="utf-8")


def test_the_default_output_follows_r53emu_zones(tmp_path: Path) -> None:
    result = r53emu("import", str(EXAMPLE_ORG), cwd=tmp_path, env={"R53EMU_ZONES": "served"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "served" / "example.org.yaml").is_file()


def test_a_dump_beside_its_import_is_noted(tmp_path: Path) -> None:
    """Importing zones/example.org.json into zones/ would define the zone twice."""
    zones = tmp_path / "zones"
    zones.mkdir()
    (zones / "example.org.json").write_bytes(EXAMPLE_ORG.read_bytes())
    result = r53emu("import", "zones/example.org.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "note: zones/example.org.json is there too: if it holds the same zone, `r53emu check` "
        "reports the zone as defined twice (remove one of them)\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON: Expecting value (line 1, column 1)"),
        (
            '{"Zones": []}',
            "not the output of a Route 53 command r53emu imports (its top-level "
            "keys say which: one of ResourceRecordSets, HostedZone, HealthChecks, "
            "HealthCheck, CidrCollections, CidrBlocks, CidrLocations; found Zones)",
        ),
        (
            '{"ResourceRecordSets": [{"Name": "example.org.", "Type": "SOA"}, '
            '{"Name": "www.example.org."}]}',
            "ResourceRecordSets[1].Type: required",
        ),
    ],
    ids=["not-json", "unknown-shape", "no-type"],
)
def test_input_problems_exit_1_naming_file_and_path(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "dump.json").write_text(text, encoding="utf-8")
    result = r53emu("import", "dump.json", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"dump.json: {message}", "1 error(s): nothing written"]
    assert not (tmp_path / "zones").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import"], "the following arguments are required: FILE"),
        (["import", "missing.json"], "r53emu import: missing.json does not exist"),
        (["import", str(EXAMPLE_ORG), "--zone", "*.example.org"], "cannot be a hosted zone's name"),
        (
            ["import", str(EXAMPLE_ORG), "--output", "file.txt"],
            "r53emu import: --output file.txt is not a directory",
        ),
    ],
    ids=["no-files", "missing-file", "bad-zone", "output-is-a-file"],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "file.txt").write_text("", encoding="utf-8")
    result = r53emu(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


def test_help_names_the_commands_it_reads(tmp_path: Path) -> None:
    result = r53emu("import", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in (
        "list-resource-record-sets",
        "get-hosted-zone",
        "list-health-checks",
        "list-cidr-blocks",
        "COLLECTION=FILE",
        "--zone",
        "--output",
        "--force",
    ):
        assert command in result.stdout
    assert "import" in r53emu("--help", cwd=tmp_path).stdout


def test_printing_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [str(R53EMU), "import", *FIXTURES, "--output", "-"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr
    assert result.returncode == SIGPIPE_STATUS

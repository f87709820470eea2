"""The README's examples are true.

This module reads the README (its fenced code blocks; the `$ ` commands of its shell blocks with
the output shown under each; its set-up steps) and holds the matcher that compares a command's
output with what the README shows; `test_readme_commands.py` runs every `$ ` command with them.
The tests here check the examples that are not commands: the Compose file (against the Compose
Specification's JSON schema) and the GitHub Actions workflow (against SchemaStore's schema for
workflows, then replayed as far as this machine allows: every step but the Docker ones, against a
real `r53emu serve`). Docker itself is not run here: building the image needs its base image and
packages from the network, which tests never reach.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.helpers import REPO, dig_path
from tests.support.serving import ServeProcess, clean_env

README = REPO / "README.md"
SHELL_LANGUAGES = ("console", "sh", "shell", "bash")

# --- reading the README -------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A fenced code block: its info string, its text, the README line of its first text line."""

    language: str
    text: str
    line: int

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


def code_blocks(text: str | None = None) -> list[Block]:
    """Every fenced (```) code block of the README, in order."""
    source = README.read_text(encoding="utf-8") if text is None else text
    blocks: list[Block] = []
    for found in re.finditer(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", source, re.DOTALL | re.M):
        line = source.count("\n", 0, found.start(2)) + 1
        blocks.append(Block(found.group(1), found.group(2), line))
    return blocks


@dataclass
class Example:
    """A `$ command` line of a shell block and the output lines shown under it."""

    command: str
    line: int
    expected: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"line {self.line}: {self.command}"


def shell_examples(text: str | None = None) -> list[Example]:
    """Each `$ ` line of the shell blocks, with the lines after it up to the next `$ ` line or
    the end of the block (blank ones left out) as the output it shows."""
    examples: list[Example] = []
    for block in code_blocks(text):
        if block.language not in SHELL_LANGUAGES:
            continue
        current: Example | None = None
        for offset, line in enumerate(block.lines):
            if line.startswith("$ "):
                current = Example(line[2:].strip(), block.line + offset)
                examples.append(current)
            elif line.strip() and current is not None:
                current.expected.append(line)
    return examples


ACTIVATE = re.compile(r"^(?:\$ )?((?:\.|source) \.venv/bin/activate)\b")


def setup_steps(text: str | None = None) -> list[str]:
    """The README's set-up for its commands: activating `.venv`, if it says to."""
    steps = [
        found.group(1)
        for block in code_blocks(text)
        if block.language in SHELL_LANGUAGES
        for found in map(ACTIVATE.match, block.lines)
        if found
    ]
    return list(dict.fromkeys(steps))


def yaml_block(first_line: str) -> Block:
    """The one YAML block whose first line is `first_line` (a `# file name` comment)."""
    found = [b for b in code_blocks() if b.language == "yaml" and b.lines[:1] == [first_line]]
    assert len(found) == 1, f"README: no single yaml block starting {first_line!r}"
    return found[0]


# --- comparing output with what the README shows ------------------------------------------

ELIDED = "..."
RECORD = re.compile(r"(\S+) \d+ (IN|CH|HS) ([A-Z0-9]+) ")


def _normal(line: str) -> str:
    return re.sub(r"\s+", " ", line).strip()


def _regex(line: str) -> re.Pattern[str]:
    """A shown line as a whole-line pattern: `...` inside it stands for anything."""
    return re.compile(".*".join(re.escape(part) for part in _normal(line).split(ELIDED)))


def _record_set(line: str) -> tuple[str, str, str] | None:
    """(owner, class, type) of a resource-record line, else None."""
    found = RECORD.match(_normal(line) + " ")
    return (found.group(1).lower(), found.group(2), found.group(3)) if found else None


@dataclass(frozen=True)
class Shown:
    """Consecutive shown lines: any number of output lines (`gap`), or exactly len(patterns)
    output lines, in this order, or in any order (`unordered`: the records of one set)."""

    patterns: tuple[re.Pattern[str], ...] = ()
    gap: bool = False
    unordered: bool = False


def shown_items(expected: list[str]) -> list[Shown]:
    items: list[Shown] = []
    group: list[str] = []
    key: tuple[str, str, str] | None = None

    def flush() -> None:
        if group:
            items.append(Shown(tuple(map(_regex, group)), unordered=len(group) > 1))
        group.clear()

    for line in expected:
        if _normal(line) == ELIDED:
            flush()
            key = None
            items.append(Shown(gap=True))
            continue
        line_key = _record_set(line)
        if line_key is None or line_key != key:
            flush()
        key = line_key
        group.append(line)
        if line_key is None:
            flush()
    flush()
    return items


def _assign(patterns: tuple[re.Pattern[str], ...], lines: list[str]) -> bool:
    """Whether each pattern matches a line of its own (a perfect matching, by backtracking)."""
    if not patterns:
        return True
    first, rest = patterns[0], patterns[1:]
    return any(
        first.fullmatch(line) and _assign(rest, lines[:i] + lines[i + 1 :])
        for i, line in enumerate(lines)
    )


def shows(output: str, expected: list[str]) -> bool:
    """Whether `output` is what `expected` shows, under the README's stated conventions: blank
    lines left out, whitespace runs alike, `...` for anything within a line or, alone on a
    line, for any number of lines, and the lines of one record set in any order."""
    lines = [_normal(line) for line in output.splitlines() if line.strip()]
    items = shown_items(expected)
    memo: dict[tuple[int, int], bool] = {}

    def match(i: int, j: int) -> bool:
        if (i, j) not in memo:
            memo[(i, j)] = _match(i, j)
        return memo[(i, j)]

    def _match(i: int, j: int) -> bool:
        if i == len(items):
            return j == len(lines)
        item = items[i]
        if item.gap:
            return any(match(i + 1, k) for k in range(j, len(lines) + 1))
        end = j + len(item.patterns)
        if end > len(lines):
            return False
        window = lines[j:end]
        if item.unordered:
            ok = _assign(item.patterns, window)
        else:
            ok = all(p.fullmatch(line) for p, line in zip(item.patterns, window, strict=True))
        return ok and match(i + 1, end)

    return match(0, 0)


def assert_shows(output: str, expected: list[str], command: str) -> None:
    shown = "\n".join(expected)
    assert shows(output, expected), (
        f"the output of {command!r} is not what the README shows.\n"
        f"--- README:\n{shown}\n--- output:\n{output}"
    )


def test_matcher_follows_the_readme_conventions() -> None:
    """Strict but for what the README announces: elisions, blank lines, record-set order."""
    a = ["x. 60 IN A 192.0.2.1", "x. 60 IN A 192.0.2.2", "x. 60 IN AAAA 2001:db8::1"]
    assert shows("\n".join(a), a)
    assert shows("\n".join([a[1], a[0], a[2]]), a)  # one record set, in another order
    assert not shows("\n".join([a[2], a[0], a[1]]), a)  # record sets in another order
    assert not shows("\n".join([*a, "x. 60 IN TXT t"]), a)  # a line the README does not show
    assert not shows("\n".join(a[:2]), a)  # a line missing
    assert shows("x.\t\t60  IN A 192.0.2.1\n\nx. 60 IN A 192.0.2.2\nx. 60 IN AAAA 2001:db8::1", a)
    header = [";; Got answer:", ";; status: NOERROR, id: ...", ELIDED, ";; end"]
    assert shows(";; Got answer:\n;; status: NOERROR, id: 41\n;; one\n;; two\n;; end", header)
    assert shows(";; Got answer:\n;; status: NOERROR, id: 41\n;; end", header)
    assert not shows(";; Got answer:\n;; status: NXDOMAIN, id: 41\n;; end", header)
    assert not shows(";; status: NOERROR, id: 41\n;; end", header)
    lines = ["a", "b"]
    assert not shows("b\na", lines)  # only record-set lines may move


def test_reader_splits_shell_blocks_into_commands_and_output() -> None:
    text = (
        "# T\n\n```console\n$ dig x\nx. 60 IN A 192.0.2.1\n\n$ r53emu check zones\nok\n```\n\n"
        "```sh\n. .venv/bin/activate    # set-up\nscripts/test\n```\n\n"
        "```yaml\n$ not: a command\n```\n"
    )
    examples = shell_examples(text)
    assert [(e.command, e.line, e.expected) for e in examples] == [
        ("dig x", 4, ["x. 60 IN A 192.0.2.1"]),
        ("r53emu check zones", 7, ["ok"]),
    ]
    assert setup_steps(text) == [". .venv/bin/activate"]


def test_readme_has_examples() -> None:
    """The README shows dig, answer and check commands (guards the reader above)."""
    commands = [example.command for example in shell_examples()]
    assert len([c for c in commands if c.startswith("dig ")]) >= 30
    assert len([c for c in commands if c.startswith("r53emu answer ")]) >= 2
    assert "r53emu check zones" in commands


def test_every_console_block_starts_with_a_command() -> None:
    """Output lines before a block's first `$ ` line would belong to no command, untested."""
    for block in code_blocks():
        if block.language == "console":
            first = next(line for line in block.lines if line.strip())
            assert first.startswith("$ "), f"README line {block.line}: {first!r}"


# --- schemas ------------------------------------------------------------------------------


def vendored_schema(name: str) -> dict[str, Any]:
    """A JSON schema that the check-jsonschema package ships (vendored from the Compose
    Specification and SchemaStore, Apache-2.0), read from its files without importing it."""
    pytest.importorskip("jsonschema", reason="jsonschema is a test dependency")
    try:
        distribution = metadata.distribution("check-jsonschema")
    except metadata.PackageNotFoundError:
        if os.environ.get("CI") == "true":
            pytest.fail("check-jsonschema (the schemas) is required under CI")
        pytest.skip("check-jsonschema is not installed (pip install check-jsonschema)")
    path = distribution.locate_file(f"check_jsonschema/builtin_schemas/vendor/{name}.json")
    return dict(json.loads(Path(str(path)).read_text(encoding="utf-8")))


def schema_errors(document: object, schema: dict[str, Any]) -> list[str]:
    import jsonschema

    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


# --- the Compose file ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(yaml_block("# compose.yaml").text)
    assert isinstance(document, dict)
    return document


def test_compose_file_is_valid_by_the_compose_specification(compose: dict[str, Any]) -> None:
    """The README's compose.yaml passes the Compose Specification's JSON schema."""
    assert schema_errors(compose, vendored_schema("compose-spec")) == []


def test_schema_check_catches_a_broken_compose_file(compose: dict[str, Any]) -> None:
    """The schema check is not vacuous: a misspelt key fails it."""
    broken = json.loads(json.dumps(compose))
    broken["services"]["r53emu"]["port"] = broken["services"]["r53emu"].pop("ports")
    assert schema_errors(broken, vendored_schema("compose-spec")) != []


def r53emu_address(compose: dict[str, Any]) -> tuple[str, ipaddress.IPv4Address]:
    """(network, static address) of the r53emu service: the one the others' `dns:` name."""
    networks = compose["services"]["r53emu"]["networks"]
    assert isinstance(networks, dict), "r53emu needs the mapping form, with ipv4_address"
    [(network, settings)] = networks.items()
    return network, ipaddress.IPv4Address(settings["ipv4_address"])


def test_compose_dns_names_r53emus_static_address(compose: dict[str, Any]) -> None:
    """Docker takes only IP addresses in `dns:`: each is r53emu's fixed address, inside the
    subnet of the network both services are on, and such services wait for r53emu's health."""
    network, address = r53emu_address(compose)
    subnets = [c["subnet"] for c in compose["networks"][network]["ipam"]["config"]]
    assert any(address in ipaddress.ip_network(subnet) for subnet in subnets)
    using_dns = {name: s for name, s in compose["services"].items() if "dns" in s}
    assert using_dns, "the README shows the dns: pattern"
    for name, service in using_dns.items():
        entries = service["dns"] if isinstance(service["dns"], list) else [service["dns"]]
        assert [ipaddress.ip_address(entry) for entry in entries] == [address], name
        assert network in service["networks"], name
        assert service["depends_on"]["r53emu"]["condition"] == "service_healthy", name


def test_compose_publishes_the_ports_the_image_exposes(compose: dict[str, Any]) -> None:
    from tests.integration.test_container import read_image

    exposed = read_image().exposed
    published = {p.split(":")[-1] for p in compose["services"]["r53emu"]["ports"]}
    assert {p if "/" in p else f"{p}/tcp" for p in published} == exposed
    assert any(v.endswith(":/zones:ro") for v in compose["services"]["r53emu"]["volumes"])


def test_forwarding_and_client_snippets_name_r53emu(compose: dict[str, Any]) -> None:
    """The CoreDNS snippet forwards to r53emu's address; the dnspython snippet compiles and
    reads the variable the Compose file sets."""
    _, address = r53emu_address(compose)
    [corefile] = [b for b in code_blocks() if b.lines[:1] == ["# Corefile"]]
    forwards = re.findall(r"forward \. (\S+)", corefile.text)
    assert forwards[0] == str(address)
    assert forwards[1:] == ["/etc/resolv.conf"]
    [snippet] = [b for b in code_blocks() if b.language == "python" and "TEST_DNS_SERVER" in b.text]
    compile(snippet.text, f"README.md:{snippet.line}", "exec")
    assert compose["services"]["app"]["environment"]["TEST_DNS_SERVER"] == "r53emu"


# --- the GitHub Actions workflow ----------------------------------------------------------


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    block = yaml_block("# .github/workflows/dns-tests.yml")
    document = yaml.safe_load(block.text)
    assert isinstance(document, dict)
    if True in document:  # YAML 1.1 reads the key `on` as true; GitHub reads it as "on"
        document["on"] = document.pop(True)
    return document


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    [job] = workflow["jobs"].values()
    return list(job["steps"])


def docker_run(step: dict[str, Any]) -> list[str] | None:
    run = step.get("run", "")
    words = shlex.split(run) if run.startswith("docker run") else None
    return words


def test_workflow_is_valid_by_schemastores_schema(workflow: dict[str, Any]) -> None:
    assert schema_errors(workflow, vendored_schema("github-workflows")) == []


def test_workflow_starts_r53emu_after_the_checkout_on_the_checked_out_zones(
    workflow: dict[str, Any],
) -> None:
    """No service container (it would start before the checkout); the checkout, then the image
    built (or pulled), then `docker run` mounting the workspace's zones, then the wait."""
    [job] = workflow["jobs"].values()
    assert "services" not in job
    listed = steps(workflow)
    checkout = next(
        i for i, s in enumerate(listed) if s.get("uses", "").startswith("actions/checkout@")
    )
    started = [i for i, s in enumerate(listed) if docker_run(s)]
    assert len(started) == 1
    run_at = started[0]
    assert checkout < run_at
    built = [
        i
        for i, s in enumerate(listed)
        if re.match(r"docker (build -t r53emu \.|pull )", s.get("run", ""))
    ]
    assert built
    assert checkout < built[0] < run_at
    words = docker_run(listed[run_at])
    assert words is not None
    assert "-d" in words
    assert words[-1] == "r53emu"  # the image the build step tagged
    mounts = [words[i + 1] for i, w in enumerate(words) if w in ("-v", "--volume")]
    assert mounts == ["${{ github.workspace }}/zones:/zones:ro"]
    published = [words[i + 1] for i, w in enumerate(words) if w in ("-p", "--publish")]
    assert published == ["5353:53/udp", "5353:53/tcp", "8053:8053"]
    waits = [i for i, s in enumerate(listed) if "/healthz" in s.get("run", "")]
    assert waits
    assert run_at < waits[0]
    later_dns = [
        i for i, s in enumerate(listed) if re.search(r"-p 5353(?![:\d])", s.get("run", ""))
    ]
    assert all(waits[0] < i for i in later_dns)


def replayable_steps(workflow: dict[str, Any]) -> list[str]:
    """The `run:` steps that need no Docker engine, from the docker run on, in order."""
    listed = steps(workflow)
    start = next(i for i, s in enumerate(listed) if docker_run(s))
    runs: list[str] = []
    for step in listed[start + 1 :]:
        run = step.get("run")
        if run is None or run.startswith("docker ") or "if" in step:
            continue  # docker needs the engine; `if: failure()` steps run only on failure
        runs.append(run)
    return runs


def github_bash(script: str, ports: dict[str, int]) -> list[str]:
    """A step as GitHub's `bash` shell runs it, with the workspace and the ports of this run."""
    text = script.replace("${{ github.workspace }}", str(REPO))
    text = text.replace("-p 5353", f"-p {ports['dns']}").replace(":8053", f":{ports['admin']}")
    assert "${{" not in text, f"an expression the replay does not know: {text}"
    return ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", text]


def free_port() -> int:
    from tests.integration.test_container import unused_port

    return unused_port()


@pytest.mark.dig
def test_workflow_steps_wait_for_r53emu_and_then_query_it(workflow: dict[str, Any]) -> None:
    """The replay: the wait step starts before r53emu does (as it may in the job, while the
    container starts), keeps trying, and succeeds once r53emu serves the checked-out zones;
    then the job's other steps run against it. r53emu is `r53emu serve` on 127.0.0.1 and free
    ports here, where the job runs the image's container on 53 and 8053 published as 5353 and
    8053."""
    dig = dig_path()
    runs = replayable_steps(workflow)
    assert len(runs) >= 2
    wait, *rest = runs
    assert "/healthz" in wait
    ports = {"dns": free_port(), "admin": free_port()}
    env = clean_env({"PATH": f"{Path(dig).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    waiting = subprocess.Popen(
        github_bash(wait, ports),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server: ServeProcess | None = None
    try:
        time.sleep(1.5)
        assert waiting.poll() is None, "the wait step gave up before r53emu started"
        argv = [sys.executable, "-m", "r53emu", "serve", "--zones", str(REPO / "zones")]
        argv += ["--port", str(ports["dns"]), "--admin-port", str(ports["admin"])]
        server = ServeProcess(argv, clean_env(), cwd=REPO)
        output, _ = waiting.communicate(timeout=60)
        assert waiting.returncode == 0, output
        assert server.process.poll() is None, server.output
        # curl -S printed each failed try, then the body of /healthz once it answered.
        assert json.loads(output.splitlines()[-1])["status"] == "ok", output
        for run in rest:
            result = subprocess.run(
                github_bash(run, ports),
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, result.stdout + result.stderr
            if run.startswith("dig "):
                assert "status: NOERROR" in result.stdout, result.stdout
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.wait()
        if server is not None:
            server.stop(signal.SIGTERM)
            server.kill()

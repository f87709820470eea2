"""The Dockerfile, checked without a Docker engine: its static facts, then a replay of its build
and entrypoint in a clean virtualenv that serves a mounted zones directory.

The replay follows the Dockerfile instruction by instruction: COPY (honouring .dockerignore) into
a stand-in root filesystem, RUN pip commands with the virtualenv's pip from the WORKDIR, ENV for
every later step, then the ENTRYPOINT and the HEALTHCHECK. Only what cannot apply here is
changed: the ports (free ones, not 53 and 8053), the zones directory (a temporary one standing in
for the volume a user mounts over /zones), /usr/local (the virtualenv), and the server's process
id, which the health check finds as PID 1 in a container and is told here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import dns.flags
import dns.rcode
import pytest

from r53emu.cliargs import build_parser, server_config
from r53emu.ops import healthcheck as healthcheck_module
from tests.support.helpers import REPO, query, rrset_texts, write_zones
from tests.support.serving import ServeProcess

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"

# --- a small Dockerfile parser ------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: its keyword (upper-case), its argument text, its line."""

    keyword: str
    text: str
    line: int

    @property
    def exec_form(self) -> list[str] | None:
        """The JSON-array form's words (`["r53emu", "serve"]`), or None for the shell form."""
        return exec_form(self.text)


def exec_form(text: str) -> list[str] | None:
    if not text.startswith("["):
        return None
    words = json.loads(text)
    assert isinstance(words, list)
    assert all(isinstance(word, str) for word in words), text
    return words


def parse_dockerfile(source: str) -> list[Instruction]:
    """Instructions in order: comments dropped (inside continuations too), `\\` lines joined."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(source.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue  # comments (and parser directives) go, even inside a continuation
        if not pending:
            start = number
        continued = stripped.endswith("\\")
        pending.append(stripped.removesuffix("\\").strip() if continued else stripped)
        if continued:
            continue
        keyword, _, text = " ".join(part for part in pending if part).partition(" ")
        instructions.append(Instruction(keyword.upper(), text.strip(), start))
        pending = []
    assert not pending, f"line {start}: continuation runs past the end of the Dockerfile"
    return instructions


def parse_env(text: str) -> dict[str, str]:
    """`ENV K=V K2="V 2"` (or the legacy `ENV K V`) as a mapping."""
    words = shlex.split(text)
    if "=" not in words[0]:
        return {words[0]: text.partition(" ")[2].strip()}
    assert all("=" in word for word in words), text
    assert "$" not in text, "the replay does not expand variables in ENV"
    return dict(word.split("=", 1) for word in words)


@dataclass(frozen=True)
class Healthcheck:
    options: dict[str, str]
    command: list[str]  # exec-form words, or ["/bin/sh", "-c", text] for the shell form


def parse_healthcheck(text: str) -> Healthcheck | None:
    """`HEALTHCHECK [--option=value ...] CMD command`, or None for `HEALTHCHECK NONE`."""
    options: dict[str, str] = {}
    rest = text
    while rest.startswith("--"):
        option, _, rest = rest.partition(" ")
        name, _, value = option[2:].partition("=")
        options[name] = value
        rest = rest.strip()
    if rest.upper() == "NONE":
        return None
    keyword, _, command = rest.partition(" ")
    assert keyword.upper() == "CMD", text
    command = command.strip()
    return Healthcheck(options, exec_form(command) or ["/bin/sh", "-c", command])


@dataclass
class Image:
    """What the Dockerfile declares, gathered from its instructions."""

    instructions: list[Instruction]
    base: str = ""
    env: dict[str, str] = field(default_factory=dict)
    user: str = "root"
    exposed: set[str] = field(default_factory=set)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: Healthcheck | None = None

    @property
    def command(self) -> list[str]:
        return [*self.entrypoint, *self.cmd]

    def of(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def read_image(path: Path = DOCKERFILE) -> Image:
    image = Image(parse_dockerfile(path.read_text(encoding="utf-8")))
    for instruction in image.instructions:
        keyword, text = instruction.keyword, instruction.text
        if keyword == "FROM":
            image.base = text.split()[0]
        elif keyword == "ENV":
            image.env.update(parse_env(text))
        elif keyword == "USER":
            image.user = text
        elif keyword == "EXPOSE":
            image.exposed.update(port if "/" in port else f"{port}/tcp" for port in text.split())
        elif keyword in ("ENTRYPOINT", "CMD"):
            words = instruction.exec_form or ["/bin/sh", "-c", text]
            setattr(image, keyword.lower(), words)
        elif keyword == "HEALTHCHECK":
            image.healthcheck = parse_healthcheck(text)
    return image


def test_parser_joins_continuations_drops_comments_and_reads_exec_forms() -> None:
    """The replay's parser reads `\\` continuations, inner comments, ENV pairs and JSON arrays."""
    image = Image(
        parse_dockerfile(
            "# syntax=docker/dockerfile:1\n"
            "FROM python:3.12-slim AS base\n\n"
            "ENV A=1 \\\n"
            "    # a comment inside the continuation\n"
            '    B="two words"\n'
            "RUN pip install \\\n"
            "      --no-cache-dir .\n"
            'ENTRYPOINT ["r53emu", "serve"]\n'
            'HEALTHCHECK --interval=30s CMD ["python", "-c", "pass"]\n'
        )
    )
    assert [(i.keyword, i.line) for i in image.instructions] == [
        ("FROM", 2),
        ("ENV", 4),
        ("RUN", 7),
        ("ENTRYPOINT", 9),
        ("HEALTHCHECK", 10),
    ]
    assert parse_env(image.of("ENV")[0].text) == {"A": "1", "B": "two words"}
    assert image.of("RUN")[0].text == "pip install --no-cache-dir ."
    assert image.of("ENTRYPOINT")[0].exec_form == ["r53emu", "serve"]
    check = parse_healthcheck(image.of("HEALTHCHECK")[0].text)
    assert check == Healthcheck({"interval": "30s"}, ["python", "-c", "pass"])


# --- static facts -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def image() -> Image:
    return read_image()


def test_base_image_is_a_slim_official_python(image: Image) -> None:
    """One stage, FROM the official slim Python image of a supported version (>= 3.11)."""
    assert len(image.of("FROM")) == 1
    found = re.fullmatch(r"python:3\.(\d+)-slim(-\w+)?", image.base)
    assert found, image.base
    assert int(found.group(1)) >= 11


def test_runs_as_a_non_root_user_that_the_build_creates(image: Image) -> None:
    """USER names a numeric non-root uid, created by a RUN before it (so the image runs as it)."""
    user, _, group = image.user.partition(":")
    assert user.isdigit(), "numeric, so Kubernetes runAsNonRoot can verify it"
    assert user != "0"
    assert group != "0"
    created = " ".join(i.text for i in image.of("RUN") if "useradd" in i.text)
    assert f"--uid {user}" in created


def test_listens_on_all_interfaces_port_53_with_zones_at_slash_zones(image: Image) -> None:
    """ENV configures 0.0.0.0:53 and /zones, EXPOSE has 53 UDP and TCP, zones/ is copied there."""
    assert image.env["R53EMU_ZONES"] == "/zones"
    assert image.env["R53EMU_ADDRESS"] == "0.0.0.0"
    assert image.env["R53EMU_PORT"] == "53"
    assert {"53/udp", "53/tcp"} <= image.exposed
    assert "zones/ /zones/" in [i.text for i in image.of("COPY")]
    assert image.command == ["r53emu", "serve"]


def test_admin_api_listens_on_all_interfaces_port_8053(image: Image) -> None:
    """ENV puts the admin API on 0.0.0.0:8053, EXPOSEd, and the HEALTHCHECK asks its /healthz."""
    assert image.env["R53EMU_ADMIN_ADDRESS"] == "0.0.0.0"
    assert image.env["R53EMU_ADMIN_PORT"] == "8053"
    assert "8053/tcp" in image.exposed
    assert image.healthcheck is not None
    assert image.healthcheck.command == ["r53emu", "healthcheck"]


def seconds(duration: str) -> float:
    """A Docker duration (`30s`, `1m30s`, `500ms`) in seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "ns": 1e-9}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)", duration)
    assert parts, duration
    assert "".join(n + u for n, u in parts) == duration, duration
    return sum(float(number) * units[unit] for number, unit in parts)


def test_healthcheck_starts_checking_at_once(image: Image) -> None:
    """During the start period the check runs every second or two (not after a first 30 s
    interval); its timeout leaves `r53emu healthcheck` its own 3 s."""
    check = image.healthcheck
    assert check is not None
    options = {name: seconds(value) for name, value in check.options.items() if name != "retries"}
    assert options["start-interval"] <= 2
    assert options["start-period"] >= 10  # a slow start is not counted against the container
    assert options["timeout"] > healthcheck_module.TIMEOUT


@pytest.mark.parametrize(
    ("environ", "flags", "expected"),
    [
        ({}, [], {"address": "127.0.0.1", "port": 53, "admin_port": 8053}),
        ({"R53EMU_ADMIN_PORT": "9000", "R53EMU_PORT": "5353"}, [], {"admin_port": 9000}),
        ({"R53EMU_ADMIN_PORT": "9000"}, ["--admin-port", "9100"], {"admin_port": 9100}),
        (
            {},
            ["--admin-port=9100", "--admin-addr", "::"],
            {"admin_port": 9100, "admin_address": "::"},
        ),
        ({"R53EMU_NO_ADMIN": "yes"}, [], {"admin_port": None}),
        ({}, ["--no-adm", "--log-level", "DEBUG", "--port", "5300"], {"admin_port": None}),
    ],
)
def test_healthcheck_reads_the_servers_flags_as_serve_does(
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    flags: list[str],
    expected: dict[str, object],
) -> None:
    """Defaults, then R53EMU_* variables, then the flags after the entrypoint, through serve's
    own parser (abbreviations and `--flag=value` included)."""
    for name in [name for name in os.environ if name.startswith("R53EMU_")]:
        monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    config = server_config(build_parser().parse_args(["serve", *flags]))
    assert {key: getattr(config, key) for key in expected} == expected


def test_healthcheck_finds_the_serve_command_line() -> None:
    """The flags are what follows `serve` in an r53emu command line, whatever ran it."""
    assert healthcheck_module.serve_flags(["/venv/bin/r53emu", "serve", "--port", "1"]) == [
        "--port",
        "1",
    ]
    assert healthcheck_module.serve_flags(["python", "-m", "r53emu", "serve"]) == []
    assert healthcheck_module.serve_flags(["/bin/sh", "-c", "serve"]) is None
    assert healthcheck_module.serve_flags(["r53emu", "check", "zones"]) is None


def test_install_is_cache_friendly_and_leaves_no_pip_cache(image: Image) -> None:
    """Dependencies install before the code is copied, and every pip install skips its cache."""
    steps = image.instructions
    code_copy = next(n for n, i in enumerate(steps) if i.keyword == "COPY" and "r53emu/" in i.text)
    first_pip = next(n for n, i in enumerate(steps) if i.keyword == "RUN" and "pip" in i.text)
    assert first_pip < code_copy
    for instruction in image.of("RUN"):
        for command in instruction.text.split("&&"):
            if "pip install" in command:
                assert "--no-cache-dir" in command, instruction


# --- the replay ---------------------------------------------------------------------------


def dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Whether `.dockerignore` `patterns` exclude context `path`, as Docker decides it.

    The last matching pattern wins; `!` re-includes; a pattern that matches a directory also
    matches everything below it (`*` excludes `r53emu/app.py` through `r53emu`).
    """
    parts = path.split("/")
    candidates = ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
    excluded = False
    for raw in patterns:
        negated = raw.startswith("!")
        if negated != excluded:
            continue  # a match could not change the outcome
        pattern = str(PurePosixPath(raw.removeprefix("!").strip("/")))
        if any(re.fullmatch(glob_regex(pattern), candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def glob_regex(pattern: str) -> str:
    """Docker's path glob as a regex: `**` spans directories, `*` and `?` stay inside one."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return out


def test_dockerignore_sends_only_what_the_build_copies() -> None:
    """The build context keeps the package, zones and metadata, never caches or local state."""
    patterns = read_dockerignore()
    kept = ["pyproject.toml", "README.md", "r53emu/app.py", "r53emu/routing/simple.py"]
    kept += ["zones/example.test.yaml", "zones/example.org.json"]
    dropped = [
        ".venv/bin/python",
        "scripts/serve",
        ".git/HEAD",
        "tests/support/helpers.py",
        "r53emu/__pycache__/a.pyc",
    ]
    dropped += ["r53emu/routing/__pycache__/simple.cpython-312.pyc", ".pytest_cache/v"]
    assert [p for p in kept if dockerignore_excludes(patterns, p)] == []
    assert [p for p in dropped if not dockerignore_excludes(patterns, p)] == []


def read_dockerignore() -> list[str]:
    if not DOCKERIGNORE.exists():
        return []
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@dataclass
class Replay:
    """A stand-in for the image: a root filesystem directory and a virtualenv for /usr/local."""

    context: Path
    rootfs: Path
    venv: Path
    ignore: list[str]
    workdir: PurePosixPath = field(default_factory=lambda: PurePosixPath("/"))
    env: dict[str, str] = field(default_factory=dict)

    def path(self, container_path: str) -> Path:
        """Where a container path lives here (relative paths are from the WORKDIR; /usr/local,
        where the image's Python installs, is the virtualenv)."""
        absolute = self.workdir / container_path
        if absolute.is_relative_to("/usr/local"):
            return self.venv / absolute.relative_to("/usr/local")
        return self.rootfs / absolute.relative_to("/")

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def run_env(self) -> dict[str, str]:
        """Host environment (for pip's index settings) with the image's ENV and venv on PATH."""
        strip = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "R53EMU_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(strip)}
        env.update(self.env)
        env["PATH"] = f"{self.bin}{os.pathsep}{os.environ.get('PATH', os.defpath)}"
        return env

    def image_env(self, overrides: Mapping[str, str]) -> dict[str, str]:
        """The container's environment: the image's ENV alone, PATH to the venv, `overrides`."""
        env = {"PATH": f"{self.bin}{os.pathsep}/usr/bin:/bin", "LANG": "C.UTF-8", **self.env}
        env.update(overrides)
        return env

    def copy(self, instruction: Instruction) -> None:
        """COPY sources (files, or directories' contents) from the context, minus ignored files."""
        *sources, destination = instruction.exec_form or shlex.split(instruction.text)
        assert not any(s.startswith("--") for s in sources), "COPY options are not replayed"
        target = self.path(destination)
        for source in sources:
            assert not re.search(r"[*?\[]", source), "wildcards are not replayed"
            origin = self.context / source
            assert origin.exists(), f"line {instruction.line}: COPY {source}: not in the context"
            if origin.is_dir():  # its contents, below the destination directory
                files = [p for p in origin.rglob("*") if p.is_file()]
                copied = self._copy_files(origin, files, target)
            else:  # into the destination directory, or as the destination file
                into = destination.endswith("/") or len(sources) > 1
                copied = self._copy_files(origin.parent, [origin], target, rename=not into)
            assert copied, f"line {instruction.line}: COPY {source}: all of it is .dockerignored"

    def _copy_files(self, base: Path, files: list[Path], target: Path, rename: bool = False) -> int:
        copied = 0
        for file in files:
            relative = file.relative_to(base).as_posix()
            if dockerignore_excludes(self.ignore, file.relative_to(self.context).as_posix()):
                continue
            destination = target if rename else target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, destination)
            copied += 1
        return copied

    def run(self, instruction: Instruction) -> None:
        """RUN a shell command from the WORKDIR, as /bin/sh -c, with the venv's pip on PATH."""
        command = instruction.text
        assert instruction.exec_form is None, "exec-form RUN is not replayed"
        # It runs on this machine: only commands confined to the WORKDIR may be replayed.
        assert not re.search(r"(^|[\s=<>\"'])/", command), f"line {instruction.line}: absolute path"
        assert ".." not in command, f"line {instruction.line}: leaves the WORKDIR"
        workdir = self.path(".")
        workdir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["/bin/sh", "-c", command],
            cwd=workdir,
            env=self.run_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"RUN at line {instruction.line} failed:\n{result.stderr}"


USER_CREATION = re.compile(r"^(groupadd|useradd|adduser|addgroup)\b")


def replay_build(image: Image, tmp_path: Path) -> Replay:
    """Build the stand-in image: a clean venv, then every instruction that applies here."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    replay = Replay(REPO, tmp_path / "rootfs", venv, read_dockerignore())
    for instruction in image.instructions:
        keyword = instruction.keyword
        if keyword == "WORKDIR":
            replay.workdir = replay.workdir / instruction.text
        elif keyword == "ENV":
            replay.env.update(parse_env(instruction.text))
        elif keyword == "COPY":
            replay.copy(instruction)
        elif keyword == "RUN" and "pip" in instruction.text:
            replay.run(instruction)
        elif keyword == "RUN":
            # Creating the system user would change this machine, and USER is checked apart.
            parts = [part.strip() for part in instruction.text.split("&&")]
            assert all(USER_CREATION.match(part) for part in parts), instruction
        else:
            known = ("FROM", "USER", "EXPOSE", "ENTRYPOINT", "CMD", "HEALTHCHECK")
            assert keyword in known, f"line {instruction.line}: {keyword} is not replayed"
    return replay


MOUNTED_ZONE = """\
    zone: mounted.test
    ttl: 120
    record_sets:
      - {name: www, type: A, records: [192.0.2.77, 192.0.2.78]}
"""


@dataclass(frozen=True)
class CheckResult:
    code: int
    output: str


def healthcheck(
    replay: Replay, check: Healthcheck, env: Mapping[str, str], server: ServeProcess
) -> CheckResult:
    """Run the HEALTHCHECK command as Docker would inside the container: with the container's
    environment, from the WORKDIR. In the container the server is PID 1; here it is told."""
    argv = [shutil.which(check.command[0], path=env["PATH"]) or check.command[0]]
    result = subprocess.run(
        [*argv, *check.command[1:]],
        env={**env, "R53EMU_HEALTHCHECK_PID": str(server.process.pid)},
        cwd=replay.path("."),
        capture_output=True,
        text=True,
        timeout=30,
    )
    return CheckResult(result.returncode, result.stdout + result.stderr)


@pytest.fixture(scope="module")
def built(image: Image, tmp_path_factory: pytest.TempPathFactory) -> Replay:
    """The replayed image, built once for the module's tests (a virtualenv install)."""
    return replay_build(image, tmp_path_factory.mktemp("image"))


@pytest.mark.slow
def test_replayed_image_serves_the_mounted_zones(
    image: Image, built: Replay, tmp_path: Path
) -> None:
    """The Dockerfile's install and entrypoint, run in a clean venv, serve a mounted /zones."""
    # The build installed r53emu into the venv from the copied sources, not from this checkout.
    located = subprocess.run(
        [str(built.bin / "python"), "-c", "import r53emu; print(r53emu.__file__)"],
        cwd=tmp_path,
        env=built.image_env({}),
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(located.stdout.strip()).is_relative_to(built.venv)
    # The default zones are the bundled ones, every file of them.
    bundled = {p.name for p in (REPO / "zones").iterdir() if p.is_file()}
    assert {p.name for p in built.path("/zones").iterdir()} == bundled

    mounted = write_zones(tmp_path / "mounted-zones", {"mounted.yaml": MOUNTED_ZONE})
    env = built.image_env(
        {"R53EMU_PORT": "0", "R53EMU_ADMIN_PORT": "0", "R53EMU_ZONES": str(mounted)}
    )
    assert env["R53EMU_ADDRESS"] == "0.0.0.0"  # kept from the Dockerfile
    program = entrypoint_program(image, env)
    server = ServeProcess([program, *image.command[1:]], env, cwd=built.path("."))
    try:
        host, port = server.wait_listening()
        assert host == "0.0.0.0"
        for tcp in (False, True):
            reply = query(("127.0.0.1", port), "www.mounted.test", "A", tcp=tcp)
            assert reply.rcode() == dns.rcode.NOERROR
            assert reply.flags & dns.flags.AA
            assert rrset_texts(reply.answer) == {
                "www.mounted.test. 120 IN A 192.0.2.77",
                "www.mounted.test. 120 IN A 192.0.2.78",
            }
        # The mount replaces the bundled zones: they are not served.
        assert query(("127.0.0.1", port), "www.example.test", "A").rcode() == dns.rcode.REFUSED
        admin = server.wait_for_line(r"admin API on http://0\.0\.0\.0:(\d+)/")
        assert image.healthcheck is not None
        # In the container the ports are 53 and 8053; here they are the free ones picked.
        checking = {**env, "R53EMU_PORT": str(port), "R53EMU_ADMIN_PORT": admin.group(1)}
        result = healthcheck(built, image.healthcheck, checking, server)
        assert result.code == 0, result.output
        assert server.stop(signal.SIGTERM) == 0
        assert "shutting down" in server.output
        assert "Traceback" not in server.output
        result = healthcheck(built, image.healthcheck, checking, server)
        assert result.code != 0, result.output  # nothing answers now
    finally:
        server.kill()


def entrypoint_program(image: Image, env: Mapping[str, str]) -> str:
    """The ENTRYPOINT's program as the container's PATH finds it: the replay's virtualenv."""
    program = shutil.which(image.command[0], path=env["PATH"])
    assert program is not None
    assert Path(program).is_relative_to(Path(env["PATH"].split(os.pathsep)[0]).parent)
    return program


def unused_port() -> int:
    """A port free for both UDP and TCP on every interface (as r53emu binds it in the image),
    at the time of asking."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("0.0.0.0", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("0.0.0.0", port))
                except OSError:
                    continue
        return port


# Each case: the container's environment beyond the image's ENV, the flags after the image name
# (`docker run r53emu FLAGS`), and what the check must have asked. `{dns}`, `{admin}` and
# `{closed}` are free ports picked for the case; `{closed}` has nothing listening on it, so a check
# that read it instead of the port really in use fails.
HEALTH_CASES = {
    "admin port from R53EMU_ADMIN_PORT": (
        {"R53EMU_PORT": "{dns}", "R53EMU_ADMIN_PORT": "{admin}"},
        [],
        "http://127.0.0.1:{admin}/healthz: 200",
    ),
    "admin port and address from flags over the variables": (
        {"R53EMU_PORT": "{dns}", "R53EMU_ADMIN_PORT": "{closed}", "R53EMU_ADMIN_ADDRESS": "::"},
        ["--admin-port={admin}", "--admin-address", "127.0.0.1"],
        "http://127.0.0.1:{admin}/healthz: 200",
    ),
    "no admin from R53EMU_NO_ADMIN: a DNS query": (
        {"R53EMU_PORT": "{dns}", "R53EMU_NO_ADMIN": "true"},
        [],
        "DNS 127.0.0.1 port {dns}: reply with rcode 5",
    ),
    "no admin and the DNS port from flags": (
        {"R53EMU_PORT": "{closed}"},
        ["--no-admin", "--port", "{dns}"],
        "DNS 127.0.0.1 port {dns}: reply with rcode 5",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize(("environ", "flags", "asked"), HEALTH_CASES.values(), ids=HEALTH_CASES)
def test_replayed_healthcheck_follows_the_servers_configuration(
    image: Image, built: Replay, environ: dict[str, str], flags: list[str], asked: str
) -> None:
    """The HEALTHCHECK passes against the replayed server wherever its admin API or DNS
    listener is configured (variables, flags, --no-admin), and fails once it has stopped."""
    assert image.healthcheck is not None
    ports = {"dns": unused_port(), "admin": unused_port(), "closed": unused_port()}
    env = built.image_env({k: v.format(**ports) for k, v in environ.items()})
    env["R53EMU_ZONES"] = str(built.path("/zones"))  # the bundled zones, copied by the build
    argv = [entrypoint_program(image, env), *image.command[1:]]
    server = ServeProcess([*argv, *(f.format(**ports) for f in flags)], env, cwd=built.path("."))
    try:
        assert server.wait_listening()[1] == ports["dns"]
        if "/healthz" in asked:
            server.wait_for_line(r"admin API on http://")
        result = healthcheck(built, image.healthcheck, env, server)
        assert result.code == 0, result.output
        assert result.output.strip() == asked.format(**ports)
        assert server.stop(signal.SIGTERM) == 0
        result = healthcheck(built, image.healthcheck, env, server)
        assert result.code != 0, result.output
    finally:
        server.kill()

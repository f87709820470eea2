"""The README's examples are true: every `$ dig` and `$ r53emu` line runs and shows what it says."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from tests.support.helpers import REPO, dig_path


def console_examples() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for each `$ ...` line in the README's console blocks."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    examples: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:], []))
            elif line.strip() and examples:
                examples[-1][1].append(line)
    return examples


def _normalize(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text)


DIG_EXAMPLES = [example for example in console_examples() if example[0].startswith("dig ")]
CHECK_EXAMPLES = [
    example for example in console_examples() if example[0].startswith("r53emu check")
]
ANSWER_EXAMPLES = [
    example for example in console_examples() if example[0].startswith("r53emu answer")
]


def test_readme_has_examples() -> None:
    """The README shows dig examples and a check example (guards the parser below)."""
    assert len(DIG_EXAMPLES) >= 30
    assert CHECK_EXAMPLES
    assert len(ANSWER_EXAMPLES) >= 2


@pytest.mark.dig
@pytest.mark.parametrize(("command", "expected"), DIG_EXAMPLES, ids=[c for c, _ in DIG_EXAMPLES])
def test_readme_dig_example(
    bundled_server: tuple[str, int], command: str, expected: list[str]
) -> None:
    """Each README dig command, run on the bundled zones, prints every line the README shows."""
    dig = dig_path()
    host, port = bundled_server
    argv = shlex.split(command)
    argv[0] = dig
    argv[argv.index("-p") + 1] = str(port)
    assert argv[1] == f"@{host}"
    output = subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout
    assert_shows(output, expected, command)


def assert_shows(output: str, expected: list[str], command: str) -> None:
    """Every expected line appears in `output` (whitespace-insensitive; `...` is anything)."""
    normalized = _normalize(output)
    for line in expected:
        regex = re.compile(
            ".*".join(re.escape(_normalize(part).strip()) for part in line.split("..."))
        )
        assert regex.search(normalized), f"{line!r} not in the output of {command!r}:\n{output}"


@pytest.mark.parametrize(
    ("command", "expected"), ANSWER_EXAMPLES, ids=[c for c, _ in ANSWER_EXAMPLES]
)
def test_readme_answer_example(command: str, expected: list[str]) -> None:
    """Each README `r53emu answer` command, run on the bundled zones, prints the lines shown."""
    argv = [sys.executable, "-m", "r53emu", *shlex.split(command)[1:]]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert_shows(result.stdout, expected, command)


@pytest.mark.parametrize(("command", "expected"), CHECK_EXAMPLES)
def test_readme_check_example(command: str, expected: list[str]) -> None:
    """The README's `r53emu check zones` output is what the bundled zones give."""
    argv = [sys.executable, "-m", "r53emu", *shlex.split(command)[1:]]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == expected

"""The behaviour book lives in the repository: every section the code cites is a heading of docs/,
and nothing in the repository points at files outside it.

The code cites docs/behaviour.md as "semantics §N" or "(§N ...)" and its list of undocumented
points as "§9 item N"; docs/zone-format.md by name, with a quoted section title. RFC sections
(RFC 7871 §6) are not ours and are left out.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.support.helpers import REPO

DOCS = REPO / "docs"
CITED_SECTION = re.compile(r"(?<![\w.])(?:(?:RFC ?\d+|e-Handbook) )?§ ?(\d+(?:\.\d+)*)")
NINE_ITEMS = re.compile(r"§9 (?:item|point)s? (\d+)(?:(?: and |, )(\d+))?")
ZONE_FORMAT_SECTION = re.compile(r'zone-format\.md,?\s+"([^"]+)"')
OUTSIDE = re.compile(r"shared/(?:spec|perf|style)|route53-semantics\.md|anchors\.md|house style")


def _tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [REPO / name for name in listed if (REPO / name).is_file()]


def _code_files() -> list[Path]:
    roots = ("r53emu/", "tests/", "benchmarks/", "scripts/")
    return [
        path
        for path in _tracked_files()
        if path.relative_to(REPO).as_posix().startswith(roots)
        and path.suffix in {".py", ".csv", ""}
    ]


def _headings(path: Path) -> list[str]:
    return [
        line.lstrip("#").strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    ]


def _cited_sections() -> dict[str, set[str]]:
    """§ numbers of the behaviour book, with the files citing each (RFC sections left out)."""
    cited: dict[str, set[str]] = {}
    for path in _code_files():
        for match in CITED_SECTION.finditer(path.read_text(encoding="utf-8", errors="replace")):
            if not match.group(0).startswith("§"):
                continue  # another document's section (RFC 7871 §6)
            cited.setdefault(match.group(1), set()).add(path.relative_to(REPO).as_posix())
    return cited


def test_every_cited_section_is_a_heading_of_the_behaviour_book() -> None:
    """Each "semantics §N" of the code has a heading `§N ...` in docs/behaviour.md."""
    numbers = {
        heading.split()[0].removeprefix("§")
        for heading in _headings(DOCS / "behaviour.md")
        if heading.startswith("§")
    }
    cited = _cited_sections()
    assert len(cited) > 30  # the code cites the book throughout
    missing = {number: sorted(files) for number, files in cited.items() if number not in numbers}
    assert missing == {}


def test_cited_items_of_section_nine_exist() -> None:
    """Each "§9 item N" names an item of §9's numbered list."""
    text = (DOCS / "behaviour.md").read_text(encoding="utf-8")
    nine = text[text.index("\n## §9 ") :]
    nine = nine[: nine.index("\n## ", 1)]
    items = {int(number) for number in re.findall(r"^(\d+)\. ", nine, flags=re.MULTILINE)}
    cited = {
        int(number)
        for path in _code_files()
        for match in NINE_ITEMS.finditer(path.read_text(encoding="utf-8", errors="replace"))
        for number in match.groups()
        if number
    }
    assert cited, "the code cites items of §9"
    assert cited - items == set()


def test_every_cited_zone_format_section_is_a_heading() -> None:
    """Each `zone-format.md "Title"` of the code is a heading of docs/zone-format.md."""
    headings = set(_headings(DOCS / "zone-format.md"))
    this = Path(__file__).resolve()
    cited = {
        " ".join(title.split())
        for path in _code_files()
        if path.resolve() != this
        for title in ZONE_FORMAT_SECTION.findall(path.read_text(encoding="utf-8", errors="replace"))
    }
    assert cited, "the code cites sections of the format by name"
    assert cited - headings == set()


def test_nothing_points_outside_the_repository() -> None:
    """No file cites the reference material outside the repository or the old house style."""
    this = Path(__file__).resolve()
    pointing = sorted(
        path.relative_to(REPO).as_posix()
        for path in _tracked_files()
        if path.resolve() != this
        and OUTSIDE.search(path.read_text(encoding="utf-8", errors="replace"))
    )
    assert pointing == []


@pytest.mark.parametrize(
    "document", ["README.md", *sorted(p.name for p in DOCS.glob("*.md"))], ids=str
)
def test_local_links_resolve(document: str) -> None:
    """Every relative link of the README and docs/ names a file of the repository."""
    path = REPO / document if document == "README.md" else DOCS / document
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8"))
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert [t for t in local if not (path.parent / t).exists()] == []

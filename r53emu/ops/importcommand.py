"""`r53emu import`: read files of the AWS CLI's JSON, write the zone files made of them.

The conversion is `zonefiles.importing`'s; this module reads the files, writes the results into
the output directory (or prints them, with `-`) and says what happened: a summary line per file
written, a note per record set or listing not imported, and every problem of the input at once
(exit 1, nothing written). An argument `COLLECTION=FILE` names the CIDR collection a
`list-cidr-blocks` file lists, which that output does not say.

A file is written whole under a name the loader skips (`.NAME.tmp`) and renamed into place, so a
running `r53emu serve --watch` on the directory never reads half a file; an existing file is
replaced only with `--force`, and when any would be replaced without it, nothing is written.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from r53emu.zonefiles.importbase import ImportFailed, Listing, Problem, read_listing
from r53emu.zonefiles.importing import Plan, plan_import
from r53emu.zonefiles.loader import ZONE_SUFFIXES

USAGE_ERROR = 2  # as argparse exits for a bad command line
STDOUT = "-"


def run_import(arguments: Sequence[str], *, zone: str | None, output: str, force: bool) -> int:
    """Import the files `arguments` name; the exit status (0, 1 for problems, 2 for usage)."""
    inputs: list[tuple[Path, str | None]] = []
    for argument in arguments:
        path, collection = _file_of(argument)
        if not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            print(f"r53emu import: {path} {what}", file=sys.stderr)
            return USAGE_ERROR
        inputs.append((path, collection))
    target = None if output == STDOUT else Path(output)
    if target is not None and target.exists() and not target.is_dir():
        print(f"r53emu import: --output {target} is not a directory", file=sys.stderr)
        return USAGE_ERROR
    try:
        plan = plan_import(_read_all(inputs), zone)
        if target is not None and not force:
            _refuse_replacing(plan, target)
    except ImportFailed as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} error(s): nothing written", file=sys.stderr)
        return 1
    for note in plan.notes:
        print(f"note: {note}", file=sys.stderr)
    if target is None:
        _print(plan)
        return 0
    try:
        _write(plan, target)
    except OSError as exc:  # a directory not writable, a full disk
        print(f"r53emu import: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


def _read_all(inputs: Sequence[tuple[Path, str | None]]) -> list[Listing]:
    """The listing of every file; `ImportFailed` with the problems of all that hold none."""
    listings: list[Listing] = []
    problems: list[Problem] = []
    for path, collection in inputs:
        try:
            listings.append(_read(path, collection))
        except ImportFailed as exc:
            problems.extend(exc.problems)
    if problems:
        raise ImportFailed(problems)
    return listings


def _file_of(argument: str) -> tuple[Path, str | None]:
    """The file an argument names, and the collection of `COLLECTION=FILE`."""
    path = Path(argument)
    if "=" in argument and not path.exists():
        collection, _, file = argument.partition("=")
        return Path(file), collection
    return path, None


def _read(path: Path, collection: str | None) -> Listing:
    try:
        text = path.read_bytes().decode("utf-8-sig")  # PowerShell's redirection writes a BOM
    except UnicodeDecodeError as exc:
        raise ImportFailed([Problem(str(path), "", f"not UTF-8 text: {exc}")]) from None
    except OSError as exc:
        raise ImportFailed([Problem(str(path), "", f"cannot be read: {exc.strerror}")]) from None
    return read_listing(str(path), text, collection)


def _refuse_replacing(plan: Plan, directory: Path) -> None:
    existing = [directory / f.name for f in plan.files if (directory / f.name).exists()]
    if existing:
        raise ImportFailed(
            Problem(str(path), "", "exists: not replaced (give --force to replace it)")
            for path in existing
        )


def _print(plan: Plan) -> None:
    """Every file on standard output, one YAML document each; the summaries on stderr."""
    for index, file in enumerate(plan.files):
        if index:
            sys.stdout.write("---\n")
        sys.stdout.write(file.text)
        sys.stdout.flush()  # before the summary, so that a terminal shows them in this order
        print(f"printed {file.name}: {file.summary}", file=sys.stderr)


def _write(plan: Plan, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for file in plan.files:
        path = directory / file.name
        temporary = directory / f".{file.name}.tmp"
        temporary.write_text(file.text, encoding="utf-8")
        os.replace(temporary, path)
        print(f"wrote {path}: {file.summary}")
        for suffix in ZONE_SUFFIXES:
            sibling = path.with_suffix(suffix)
            if sibling != path and sibling.exists():
                print(
                    f"note: {sibling} is there too: if it holds the same zone, `r53emu check` "
                    "reports the zone as defined twice (remove one of them)",
                    file=sys.stderr,
                )
    print(f"check them: r53emu check {shlex.quote(str(directory))}")

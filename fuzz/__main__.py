"""The command line: `python -m fuzz --target query|zones|admin|all --seconds N --seed S`.

Each target replays its corpus (fuzz/corpus/<target>/), then fuzzes from `--seed` until its share
of `--seconds` (the time is split evenly among the targets) or `--iterations` children (each
target) are done. One line per target says how many inputs were tried, how fast, and how many
distinct outcomes were seen; every broken invariant is saved under `--save-failures` with a
report beside it. Exit status: 0 when every invariant held, 1 when one broke, 2 on a usage or
harness error, 3 when a check hung (the process ends at once: see fuzz/engine.py).
`--replay FILE...` checks the given files of one target instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from fuzz.engine import CORPUS, Case, Report, Target, run
from fuzz.openbugs import open_bug_inputs

TARGETS = ("query", "zones", "admin")


def make_target(name: str, corpus: Path) -> Target:
    """A target (imported here: each starts what it needs, the admin one a server)."""
    if name == "query":
        from fuzz.query_target import QueryTarget

        return QueryTarget(corpus / "query")
    if name == "zones":
        from fuzz.zone_target import ZoneTarget

        return ZoneTarget(corpus / "zones")
    from fuzz.admin_target import AdminTarget

    return AdminTarget(corpus / "admin")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fuzz", description="Fuzz r53emu's query path, zone loader and admin API."
    )
    parser.add_argument("--target", choices=(*TARGETS, "all"), default="all")
    parser.add_argument("--seconds", type=float, help="fuzzing time in all (split by target)")
    parser.add_argument("--iterations", type=int, help="mutated inputs per target")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="default: fuzz/corpus")
    parser.add_argument("--save-failures", type=Path, help="default: <tmp>/r53emu-fuzz-failures")
    parser.add_argument("--keep-going", action="store_true", help="go on after a failure")
    parser.add_argument("--deep-every", type=int, default=50, help="1 in N inputs to a server")
    parser.add_argument("--replay", type=Path, nargs="+", metavar="FILE", help="check these")
    args = parser.parse_args(argv)
    if args.replay and args.target == "all":
        parser.error("--replay needs one --target")
    return args


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    names = TARGETS if args.target == "all" else (args.target,)
    share = None if args.seconds is None else args.seconds / len(names)
    reports: list[Report] = []
    for name in names:
        target = make_target(name, args.corpus)
        replay = None
        if args.replay:
            replay = [Case(path.name, path.read_bytes()) for path in args.replay]
        try:
            report = run(
                target,
                seed=args.seed,
                seconds=share,
                iterations=args.iterations,
                replay=replay,
                deep_every=args.deep_every,
                save_dir=args.save_failures,
                keep_going=args.keep_going,
                progress=lambda line: out(f"  {line}"),
            )
        finally:
            target.close()
        out(report.line())
        for slug, example in report.known_examples.items():
            out(f"  known open bug {slug} (not a new failure), first seen: {example}")
        reports.append(report)
    found = [found for report in reports for found in report.found]
    for each in found:
        where = "a corpus input" if each.iteration < 0 else f"iteration {each.iteration}"
        out(
            f"FAILED {each.target} (seed {each.seed}, {where}, input {each.case.name}): "
            f"{each.invariant}: {each.detail.splitlines()[0][:300] if each.detail else ''}\n"
            f"  saved to {each.saved}"
        )
    known = open_bug_inputs()
    if known:
        out(f"{len(known)} corpus input(s) show bugs not fixed yet: fuzz/openbugs.py")
    if any(each.invariant == "harness-error" for each in found):
        return 2
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

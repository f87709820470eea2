"""The bugs of r53emu the fuzzer found that are not fixed yet (docs/fuzzing.md, "Open bugs").

Each `KnownBug` names its corpus inputs and how to tell its failures (the targets, the
invariants, a pattern searched in the failure's detail). A run counts a failure that matches one
as known rather than new; the CI test skips its corpus inputs, naming the bug. When a bug is
fixed, remove its entry here: its inputs are then replayed like every other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownBug:
    """A bug of r53emu the fuzzer found and that is not fixed yet: the corpus inputs that show
    it (paths relative to CORPUS) and how to tell its failures (the target, the invariants, a
    pattern searched in the detail), so that a run reports them as known, not as new."""

    slug: str
    what: str
    targets: tuple[str, ...]
    corpus: tuple[str, ...]
    invariants: frozenset[str]
    pattern: str

    def matches(self, target: str, invariant: str, detail: str) -> bool:
        return (
            target in self.targets
            and invariant in self.invariants
            and re.search(self.pattern, detail) is not None
        )


OPEN_BUGS: tuple[KnownBug, ...] = ()


def known_bug(target: str, invariant: str, detail: str) -> KnownBug | None:
    return next((bug for bug in OPEN_BUGS if bug.matches(target, invariant, detail)), None)


def open_bug_inputs() -> dict[str, KnownBug]:
    """Every corpus input of an open bug, by its path relative to CORPUS."""
    return {name: bug for bug in OPEN_BUGS for name in bug.corpus}

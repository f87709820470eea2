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


OPEN_BUGS: tuple[KnownBug, ...] = (
    KnownBug(
        "zones-yaml-tag-crash",
        "an explicit YAML tag on a value of the wrong shape raises from PyYAML's constructors "
        "out of the loader: `!!timestamp abc` (AttributeError), `!!timestamp 2001-13-45` "
        "(ValueError), `!!seq a` (AttributeError), `!!map a` (ValueError), and a set as a "
        "mapping key, `? !!set {a, b}` (TypeError: unhashable)",
        ("zones",),
        (
            "zones/bug-set-as-mapping-key.yaml",
            "zones/bug-timestamp-tag-not-a-date.yaml",
            "zones/bug-timestamp-tag-month-13.yaml",
            "zones/bug-seq-tag-on-a-scalar.yaml",
            "zones/bug-map-tag-on-a-scalar.yaml",
        ),
        frozenset({"exception"}),
        r"yaml/constructor\.py|TypeError: unhashable type",
    ),
    KnownBug(
        "zones-json-int-digits",
        "a JSON number of over 4,300 digits raises ValueError (Python's int digits limit) from "
        "the loader",
        ("zones",),
        ("zones/bug-json-int-over-4300-digits.json",),
        frozenset({"exception"}),
        r"Exceeds the limit \(4300 digits\)",
    ),
    KnownBug(
        "zones-self-alias-recursion",
        "an alias to its own name and type, in a group with another (broken) record set, makes "
        "the answer-size check recurse without end (RecursionError): the loop check skipped it",
        ("zones",),
        ("zones/bug-self-alias-beside-a-broken-set.yaml",),
        frozenset({"exception"}),
        r"in answer_bytes(.|\n)*RecursionError",
    ),
    KnownBug(
        "zones-apex-ns-index-error",
        'a dump\'s apex NS record set whose ResourceRecords items are not {"Value": ...} '
        "(`[[1]]`) is left with no values, and building the default SOA from it raises "
        "IndexError",
        ("zones",),
        ("zones/bug-apex-ns-items-not-values.json",),
        frozenset({"exception"}),
        r"in _with_apex_records(.|\n)*IndexError",
    ),
    KnownBug(
        "zones-number-overflow",
        "a number field read as a float (client_locations latitude/longitude and latency, a "
        "health check's request_interval) given an integer past a float's range (10**400) "
        "raises OverflowError out of the loader",
        ("zones",),
        ("zones/bug-coordinate-int-too-large.yaml",),
        frozenset({"exception"}),
        r"OverflowError: int too large to convert to float",
    ),
    KnownBug(
        "zones-value-error-quotes-value",
        "a record value's own error quotes the value whole (up to 4,000 characters, cut at "
        "1,000), not its first 60 characters",
        ("zones",),
        ("zones/bug-value-error-quotes-value.yaml",),
        frozenset({"error-quote"}),
        r"quoted: field \S*(records|ResourceRecords)\[\d+\]: ",
    ),
    KnownBug(
        "zones-number-quoted-whole",
        "a number of 61 to 4,000 digits is quoted whole: out of range (a TTL), or where a "
        "mapping or list belongs ('found the number 1000...')",
        ("zones",),
        ("zones/bug-ttl-digits-quoted-whole.yaml", "zones/bug-number-where-a-mapping-goes.yaml"),
        frozenset({"error-quote"}),
        r"quoted: field \S*: (-?\d[\d<>x]*( is not in |\.\.\. \()|.*found the number -?\d)",
    ),
    KnownBug(
        "zones-cidr-error-repeats-value",
        "a bad CIDR block's error quotes the block properly, then repeats it whole in the "
        "ipaddress exception's text",
        ("zones",),
        ("zones/bug-cidr-error-repeats-value.yaml",),
        frozenset({"error-quote"}),
        r"is not a CIDR block \(",
    ),
    KnownBug(
        "zones-yaml-error-past-the-end",
        "a YAML error at the end of a file that lacks a final newline names the line after "
        "the last one",
        ("zones",),
        ("zones/bug-yaml-error-line-past-end.yaml",),
        frozenset({"error-line"}),
        r"one past the last line\): field : invalid YAML",
    ),
    KnownBug(
        "zones-json-line-numbers",
        "in a JSON dump, a raw U+2028, U+2029 or U+0085 (or a lone CR) inside a string counts "
        "as a line break (the dump's lines are read by the YAML reader), so every later error "
        "names a later line than its own, past the last one at the end of the file",
        ("zones",),
        ("zones/bug-json-line-separator-in-a-string.json",),
        frozenset({"error-line"}),
        r"line \d+ of \d+.*: field ResourceRecordSets",
    ),
    KnownBug(
        "zones-yaml-error-quotes-a-long-tag",
        "a YAML tag no constructor knows is quoted whole in the error (PyYAML's message), "
        "however long",
        ("zones",),
        ("zones/bug-yaml-error-quotes-a-long-tag.yaml",),
        frozenset({"error-quote"}),
        r"could not determine a constructor for the tag",
    ),
)


def known_bug(target: str, invariant: str, detail: str) -> KnownBug | None:
    return next((bug for bug in OPEN_BUGS if bug.matches(target, invariant, detail)), None)


def open_bug_inputs() -> dict[str, KnownBug]:
    """Every corpus input of an open bug, by its path relative to CORPUS."""
    return {name: bug for bug in OPEN_BUGS for name in bug.corpus}

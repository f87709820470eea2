"""Hostile zone files are refused quickly with `file:line: field: message`, never a crash.

Each case was an attack that hung or crashed the loader: exponential alias expansion (a
billion-laughs file), nesting that ran Python's recursion out (YAML, JSON, alias chains), a
quadratic duplicate-value check, answers too large for a DNS message, symbolic links out of
the zones directory, values quoted whole into errors, and files too large to read. The bounds
are the named constants the loader documents (zone-format.md "What the loader checks, in one list").
"""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from r53emu.model import names
from r53emu.model.catalog import MAX_ALIAS_CHAIN
from r53emu.zonefiles import loader, quoting, sourcefile
from r53emu.zonefiles.errors import ZoneError, ZoneLoadError
from r53emu.zonefiles.loader import load_catalog
from r53emu.zonefiles.quoting import QUOTE_CHARS, clipped, quoted
from r53emu.zonefiles.recordsets import MAX_RECORD_SET_CHARS, MAX_VALUES
from r53emu.zonefiles.sourcefile import MAX_DEPTH, MAX_EXPANDED_ITEMS, MAX_FILE_BYTES
from r53emu.zonefiles.zonebuild import MAX_MESSAGE_BYTES

FAST = 2.0  # seconds: every case here loads in well under a tenth of that on an idle machine


def load_errors(path: Path, text: str | None = None) -> tuple[list[ZoneError], float]:
    """Write `text` to `path` (when given), load it, and return its errors and the seconds taken."""
    if text is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ZoneLoadError) as caught:
        load_catalog(path)
    return list(caught.value.errors), time.perf_counter() - started


def laughs(levels: int, extra: str = "") -> str:
    """A billion-laughs file: `levels` anchors, each a list of nine aliases of the one before."""
    lines = ["zone: laughs.test", "l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join([*lines, extra]) + "\n"


def chain(length: int, top_down: bool = True, zone: str = "chain.test") -> str:
    """A zone whose c0 is an alias to c1, ... to c{length}, which holds an A record."""
    sets = [f"  - {{name: c{i}, type: A, alias: {{name: c{i + 1}.{zone}}}}}" for i in range(length)]
    sets.append(f"  - {{name: c{length}, type: A, ttl: 60, records: [192.0.2.1]}}")
    if not top_down:
        sets.reverse()
    return f"zone: {zone}\nrecord_sets:\n" + "\n".join(sets) + "\n"


# --- 1. exponential and recursive YAML --------------------------------------------------------


@pytest.mark.parametrize(
    "extra", ["b: !!str y", "b: 1\nb: 2", ""], ids=["tag", "duplicate", "plain"]
)
def test_billion_laughs_is_refused_at_once(tmp_path: Path, extra: str) -> None:
    """Nine levels of nested aliases (387 million values) with an explicit tag (the generic
    reader), a duplicate key (the duplicate walk) or neither: one error, at the innermost value
    that expands past the bound (l7, 43 million), at once (the duplicate walk took 3 minutes)."""
    path = tmp_path / "laughs.yaml"
    errors, seconds = load_errors(path, laughs(9, extra))
    assert seconds < FAST
    assert [str(error) for error in errors] == [
        f"{path}:9: aliases expand the file to more than {MAX_EXPANDED_ITEMS:,} values "
        "(r53emu's bound; nested anchors and aliases repeat values exponentially)"
    ]


@pytest.mark.parametrize("extra", ["b: !!str y", "b: 1\nb: 2"], ids=["tag", "duplicate"])
def test_nested_aliases_under_the_bound_are_walked_once(tmp_path: Path, extra: str) -> None:
    """Seven levels (4.8 million values, under the bound) load in linear time: each aliased
    value is visited once, and the file's own errors are reported."""
    path = tmp_path / "laughs.yaml"
    errors, seconds = load_errors(path, laughs(7, extra))
    assert seconds < FAST
    fields = [error.field for error in errors]
    if "b: 1" in extra:
        assert [str(error) for error in errors] == [
            f"{path}:10: b: duplicate key (first given at line 9)"
        ]
    else:
        assert fields == ["l0", "l1", "l2", "l3", "l4", "l5", "l6", "b"]


def test_a_repeated_key_inside_an_aliased_mapping_is_reported_once(tmp_path: Path) -> None:
    """A mapping that aliases reach twice is walked once: its repeated key is one error, at
    the first path that reaches it."""
    text = "zone: a.test\nx: &m {k: 1, k: 2}\ny: *m\nz: [*m, *m]\n"
    errors, _ = load_errors(tmp_path / "a.yaml", text)
    assert [(error.line, error.field, error.message) for error in errors] == [
        (2, "x.k", "duplicate key (first given at line 2)")
    ]


def nested_lists(levels: int) -> str:
    """An `id:` of `levels` nested block lists (with the top mapping: levels + 1 deep)."""
    lines = ["zone: deep.test", "id:"]
    lines += [" " * (2 * level) + "-" for level in range(1, levels)]
    lines[-1] += " [x]"
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("tag", ["", "!!str "], ids=["events", "generic"])
def test_yaml_nested_past_the_bound_is_refused_with_its_line(tmp_path: Path, tag: str) -> None:
    """600 levels crashed with RecursionError; past MAX_DEPTH the line of the first value too
    deep is named, whichever reader the file goes to (an explicit tag sends it to PyYAML's)."""
    path = tmp_path / "deep.yaml"
    text = f"zone: {tag}deep.test\nx: " + "[" * 600 + "]" * 600 + "\n"
    errors, seconds = load_errors(path, text)
    assert seconds < FAST
    assert [str(error) for error in errors] == [
        f"{path}:2: mappings and lists nested more than {MAX_DEPTH} deep (r53emu's bound; a zone "
        "file needs fewer than 10)"
    ]
    errors, _ = load_errors(path, nested_lists(MAX_DEPTH).replace("zone: ", f"zone: {tag}"))
    assert [(error.line, error.message.split(" (")[0]) for error in errors] == [
        (MAX_DEPTH + 1, f"mappings and lists nested more than {MAX_DEPTH} deep")
    ]


def test_yaml_nested_up_to_the_bound_is_read(tmp_path: Path) -> None:
    """MAX_DEPTH levels exactly are read (the error is the field's own, not the depth)."""
    errors, _ = load_errors(tmp_path / "deep.yaml", nested_lists(MAX_DEPTH - 1))
    assert [(error.line, error.field, error.message) for error in errors] == [
        (2, "id", "expected text, found a list")
    ]


@pytest.mark.parametrize("levels", [150, 5_000])
def test_json_nested_past_the_bound_is_refused_with_its_line(tmp_path: Path, levels: int) -> None:
    """5,000 levels crashed Python's json with RecursionError; 150 pass json but not the bound."""
    path = tmp_path / "deep.test.json"
    text = '{\n"ResourceRecordSets":\n' + "[" * levels + "]" * levels + "\n}\n"
    errors, seconds = load_errors(path, text)
    assert seconds < FAST
    assert [str(error) for error in errors] == [
        f"{path}:3: mappings and lists nested more than {MAX_DEPTH} deep (r53emu's bound; a zone "
        "file needs fewer than 10)"
    ]


@pytest.mark.parametrize("top_down", [True, False], ids=["top-down", "bottom-up"])
def test_a_chain_of_1500_aliases_is_refused_where_it_starts(tmp_path: Path, top_down: bool) -> None:
    """1,500 aliases listed top-down crashed the loop check with RecursionError; now one error,
    at the alias where the chain starts, naming its first and last steps and the bound."""
    path = tmp_path / "chain.yaml"
    errors, seconds = load_errors(path, chain(1_500, top_down))
    assert seconds < FAST
    line = 3 if top_down else 1_503
    assert [str(error) for error in errors] == [
        f"{path}:{line}: record_sets[{0 if top_down else 1_500}].alias: the alias chain starting "
        "at c0.chain.test. A is 1500 aliases long (c0.chain.test. A -> c1.chain.test. A -> "
        f"c2.chain.test. A -> ... -> c1500.chain.test. A); r53emu follows at most "
        f"{MAX_ALIAS_CHAIN} aliases in a chain (its bound: Route 53 documents none)"
    ]


def test_a_chain_at_the_bound_loads_and_one_more_is_refused(tmp_path: Path) -> None:
    """MAX_ALIAS_CHAIN aliases load; one more is an error at the chain's first alias only."""
    catalog = load_catalog(write(tmp_path / "ok" / "chain.yaml", chain(MAX_ALIAS_CHAIN)))
    assert catalog.zones[names.parse("chain.test")].record_set_count == MAX_ALIAS_CHAIN + 3
    errors, _ = load_errors(tmp_path / "long" / "chain.yaml", chain(MAX_ALIAS_CHAIN + 1))
    assert [(error.line, error.field) for error in errors] == [(3, "record_sets[0].alias")]
    assert f"is {MAX_ALIAS_CHAIN + 1} aliases long" in errors[0].message


def test_two_chains_into_one_long_tail_are_each_reported(tmp_path: Path) -> None:
    """Every alias where a too-long chain starts is named; a loop is still reported as before."""
    text = chain(40) + "  - {name: side, type: A, alias: {name: c1.chain.test}}\n"
    errors, _ = load_errors(tmp_path / "chain.yaml", text)
    assert [error.field for error in errors] == ["record_sets[0].alias", "record_sets[41].alias"]
    looped = "zone: loop.test\nrecord_sets:\n" + "".join(
        f"  - {{name: n{i}, type: A, alias: {{name: n{(i + 1) % 2000}.loop.test}}}}\n"
        for i in range(2000)
    )
    errors, seconds = load_errors(tmp_path / "loop" / "loop.yaml", looped)
    assert seconds < FAST
    assert len(errors) == 1
    assert errors[0].message.startswith("alias chain loops: n0.loop.test. A -> n1.loop.test. A")


# --- 2. values of one record set --------------------------------------------------------------


def addresses(count: int) -> list[str]:
    return [f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i in range(count)]


def test_20000_values_are_refused_without_reading_past_the_quota(tmp_path: Path) -> None:
    """20,000 values took 14.7 s in a quadratic duplicate check; now the quota's one error."""
    values = "".join(f"      - {value}\n" for value in addresses(20_000))
    head = "zone: many.test\nrecord_sets:\n  - name: www\n    type: A\n    ttl: 60\n    records:\n"
    text = head + values
    path = tmp_path / "many.yaml"
    errors, seconds = load_errors(path, text)
    assert seconds < FAST
    assert [str(error) for error in errors] == [
        f"{path}:6: record_sets[0].records: 20000 values (at most {MAX_VALUES} per record set)"
    ]


def test_duplicates_among_400_values_are_still_each_reported(tmp_path: Path) -> None:
    """The duplicate check (now a set of wire forms) reports each repeat as before."""
    values = [*addresses(398), "10.0.0.5", "10.0.1.141"]
    text = (
        "zone: many.test\nrecord_sets:\n  - {name: www, type: A, ttl: 60, records: ["
        + ", ".join(values)
        + "]}\n"
    )
    errors, _ = load_errors(tmp_path / "many.yaml", text)
    assert [(error.field, error.message) for error in errors] == [
        ("record_sets[0].records[398]", "duplicate value '10.0.0.5' in one record set"),
        ("record_sets[0].records[399]", "duplicate value '10.0.1.141' in one record set"),
    ]


def txt_values(count: int, length: int) -> str:
    return ", ".join(f"'{chr(97 + i % 26) * length}'" for i in range(count))


def test_values_over_32000_characters_together_are_refused(tmp_path: Path) -> None:
    """Route 53's 32,000 characters of values per change request bound one record set."""
    path = tmp_path / "txt.yaml"
    text = (
        "zone: txt.test\nrecord_sets:\n"
        f"  - {{name: t, type: TXT, ttl: 60, records: [{txt_values(9, 4000)}]}}\n"
    )
    errors, _ = load_errors(path, text)
    assert [str(error) for error in errors] == [
        f"{path}:3: record_sets[0].records: the values are 36,000 characters together (at most "
        f"{MAX_RECORD_SET_CHARS:,} per record set: Route 53's quota of characters per change "
        "request)"
    ]
    ok = text.replace(txt_values(9, 4000), txt_values(8, 4000))
    load_catalog(write(tmp_path / "ok" / "txt.yaml", ok))


# --- 4. answers that cannot fit a DNS message -------------------------------------------------


def test_a_group_whose_answer_cannot_fit_a_message_is_refused(tmp_path: Path) -> None:
    """Eight multivalue TXT record sets of 31,000 characters answer together (250 KB): refused,
    and so is an alias to them. Two such sets answer one at a time by weight: accepted."""
    members = "".join(
        f"  - {{name: big, type: TXT, ttl: 60, set_identifier: m{i}, "
        f"multivalue_answer_routing_policy: true, records: [{txt_values(8, 3875)}]}}\n"
        for i in range(8)
    )
    text = (
        "zone: big.test\nrecord_sets:\n"
        + members
        + "  - {name: link, type: TXT, alias: {name: big.big.test}}\n"
    )
    path = tmp_path / "big.yaml"
    errors, seconds = load_errors(path, text)
    assert seconds < FAST
    assert [(error.line, error.field) for error in errors] == [
        (3, "record_sets[0]"),
        (11, "record_sets[8]"),
    ]
    assert errors[0].message.startswith("the answer for big.big.test. TXT could be 249,932 ")
    assert errors[0].message.endswith(
        f"bytes with the apex NS records; a DNS message holds at most {MAX_MESSAGE_BYTES:,} bytes "
        "(512 of them kept for header, question and OPT)"
    )
    weighted = text.replace(
        "multivalue_answer_routing_policy: true", "weighted_routing_policy: {weight: 1}"
    )
    load_catalog(write(tmp_path / "ok" / "big.yaml", weighted))


# --- 5. files that leak or flood --------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_link_out_of_the_zones_directory_is_not_read(tmp_path: Path) -> None:
    """A link to a file outside the directory is an error naming the link, and nothing of the
    file it points at appears; links inside the directory (and a linked directory) work."""
    secret = write(tmp_path / "outside" / "secret.yaml", "zone: secret.test\npassword: hunter2\n")
    zones = tmp_path / "zones"
    write(zones / "sub" / "real.yaml", "zone: inside.test\n")
    (zones / "inside.yaml").symlink_to(zones / "sub" / "real.yaml")
    (zones / "leak.yaml").symlink_to(secret)
    errors, _ = load_errors(zones)
    assert [str(error) for error in errors] == [
        f"{zones / 'leak.yaml'}:1: a symbolic link to a file outside the zones directory: not "
        "read (zone files, and links among them, must stay inside the directory)"
    ]
    (zones / "leak.yaml").unlink()
    (tmp_path / "linked").symlink_to(zones)
    catalog = load_catalog(tmp_path / "linked")
    assert list(catalog.zones) == [names.parse("inside.test")]


def test_a_file_over_the_bound_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A (sparse) file one byte over MAX_FILE_BYTES is refused at once, naming the bound."""
    path = tmp_path / "huge.yaml"
    path.write_text("zone: huge.test\n", encoding="utf-8")
    os.truncate(path, MAX_FILE_BYTES + 1)
    errors, seconds = load_errors(path)
    assert seconds < FAST
    assert [str(error) for error in errors] == [
        f"{path}:1: the file is {MAX_FILE_BYTES + 1:,} bytes; r53emu reads zone files of at most "
        f"{MAX_FILE_BYTES:,} bytes (64 MiB, r53emu's bound: --max-zone-file-mb)"
    ]


def test_a_file_that_grows_past_the_bound_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is read is bounded too, not only what the size said (a file growing meanwhile)."""
    monkeypatch.setattr(sourcefile, "_size_of", lambda descriptor: None)
    path = tmp_path / "a.yaml"
    path.write_text("zone: a.test\ncomment: " + "x" * 200 + "\n", encoding="utf-8")
    with pytest.raises(ZoneLoadError) as caught:
        load_catalog(path, max_file_bytes=100)
    errors = caught.value.errors
    assert [(error.line, error.message.split(";")[0]) for error in errors] == [
        (1, "the file is 101 bytes")
    ]


def test_errors_quote_a_prefix_of_a_long_value(tmp_path: Path) -> None:
    """A 5 MB value (a type, a boolean, a number, a name) is quoted by its first characters and
    its length, and no error is longer than quoting.MAX_MESSAGE_CHARS (and its tail)."""
    big = "x" * (5 * 2**20)
    text = (
        f"zone: a.test\nttl: '{'1' * 5000}'\nrecord_sets:\n"
        f"  - {{name: t, type: {big}, ttl: 1, records: [a]}}\n"
        f"  - {{name: a, type: A, alias: {{name: b.a.test, evaluate_target_health: {big}}}}}\n"
        f"  - {{name: {big}, type: A, ttl: 1, records: [192.0.2.1]}}\n"
        f"  - {{name: b, type: TXT, ttl: 1, records: ['{big}']}}\n"
    )
    errors, seconds = load_errors(tmp_path / "a.yaml", text)
    assert seconds < FAST
    assert len(errors) == 5
    prefix = repr("x" * QUOTE_CHARS)
    assert (
        errors[0].message == f"'{'1' * QUOTE_CHARS}'... (5,000 characters) is not in 0..2147483647"
    )
    assert errors[1].message.startswith(f"{prefix}... (5,242,880 characters) is not a Route 53")
    assert errors[2].message == f"expected true or false, found {prefix}... (5,242,880 characters)"
    assert errors[4].message == "value is 5242880 characters long (at most 4000)"
    assert all(len(str(error)) < 1_200 for error in errors)
    assert errors[3].message.endswith("characters)")  # the model's message, clipped


def test_quoted_and_clipped() -> None:
    """Short values read as repr() did; long ones and deep or huge containers are cut."""
    assert quoted("abc") == "'abc'"
    assert quoted([1, "a", {"k": None}]) == repr([1, "a", {"k": None}])
    assert quoted((1,)) == "(1,)"
    assert quoted(1.5) == "1.5"
    assert quoted("y" * 61) == f"{'y' * 60!r}... (61 characters)"
    assert quoted(["z" * 100]) == "['" + "z" * 58 + "..."
    shared: list[object] = ["w"] * 9
    for _ in range(30):
        shared = [shared] * 9  # 9**30 items if walked whole
    assert quoted(shared).endswith("...")
    assert clipped("a" * 10, 5) == "aaaaa... (10 characters)"
    assert quoting.MAX_MESSAGE_CHARS == 1_000


def test_the_loader_uses_the_bounds_it_documents() -> None:
    """The bounds listed in zone-format.md "What the loader checks, in one list"."""
    assert (MAX_FILE_BYTES, MAX_DEPTH, MAX_EXPANDED_ITEMS) == (64 * 2**20, 100, 10_000_000)
    assert (MAX_ALIAS_CHAIN, MAX_VALUES, MAX_RECORD_SET_CHARS) == (32, 400, 32_000)
    assert (MAX_MESSAGE_BYTES, QUOTE_CHARS) == (65_535, 60)
    assert loader.ZONE_SUFFIXES == (".yaml", ".yml", ".json")

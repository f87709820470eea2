"""Hostile zone files are refused quickly with `file:line: field: message`, never a crash.

Each case was an attack that hung or crashed the loader: exponential alias expansion (a
billion-laughs file), nesting that ran Python's recursion out (YAML, JSON, alias chains), a
quadratic duplicate-value check, answers too large for a DNS message, symbolic links out of
the zones directory, values quoted whole into errors, and files too large to read; and the
inputs the fuzzer found (section 6: fuzz/corpus/zones/bug-*), each now an error that names its
file and line. The bounds are the named constants the loader documents (zone-format.md "What the
loader checks, in one list").
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from r53emu.model import names
from r53emu.model.catalog import MAX_ALIAS_CHAIN
from r53emu.zonefiles import loader, quoting, sourcefile, zonebuild
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


# --- 6. what the fuzzer found (fuzz/corpus/zones/bug-*, docs/fuzzing.md) ----------------------


def only_errors(path: Path, text: str) -> list[str]:
    """The errors of `text` written to `path`, as shown; each load must be fast."""
    errors, seconds = load_errors(path, text)
    assert seconds < FAST
    return [str(error) for error in errors]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("x: !!timestamp abc", 2, "invalid YAML: cannot read 'abc' as a timestamp"),
        ("x: !!timestamp 2001-13-45", 2, "invalid YAML: cannot read '2001-13-45' as a timestamp"),
        ("x: !!seq a", 2, "invalid YAML: the tag '!!seq' needs a list, found a scalar"),
        ("x: !!map a", 2, "invalid YAML: the tag '!!map' needs a mapping, found a scalar"),
        ("x: !!map [a, b]", 2, "invalid YAML: the tag '!!map' needs a mapping, found a list"),
        ("x: !!seq {a: b}", 2, "invalid YAML: the tag '!!seq' needs a list, found a mapping"),
        ("? !!set {a, b}\n: x", 2, "a mapping key must be a plain value"),
    ],
    ids=["timestamp-not-a-date", "timestamp-month-13", "seq", "map", "map-list", "seq-map", "set"],
)
def test_a_tag_on_the_wrong_kind_of_value_is_a_yaml_error(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    """zones-yaml-tag-crash: PyYAML's constructors raised AttributeError, ValueError or
    TypeError (a set as a key is unhashable) out of the loader; now the line of the value."""
    path = tmp_path / "tags.yaml"
    assert only_errors(path, f"zone: tags.test\n{text}\n") == [f"{path}:{line}: {message}"]


def test_sets_nested_past_the_bound_are_refused_with_their_line(tmp_path: Path) -> None:
    """PyYAML's `!!set` constructor recurses without the loader's depth count (RecursionError
    at 900 levels): refused as nested past MAX_DEPTH, at the line of the first value too deep."""
    path = tmp_path / "sets.yaml"
    text = "zone: sets.test\nx: " + "!!set {? " * 900 + "a" + "}" * 900 + "\n"
    assert only_errors(path, text) == [
        f"{path}:2: mappings and lists nested more than {MAX_DEPTH} deep (r53emu's bound; a zone "
        "file needs fewer than 10)"
    ]


def test_a_json_integer_past_pythons_digits_is_an_error_at_its_line(tmp_path: Path) -> None:
    """zones-json-int-digits: json.loads raised ValueError (int()'s digit limit)."""
    path = tmp_path / "digits.test.json"
    text = '{"ResourceRecordSets": [],\n"MaxItems": ' + "1" * 5000 + "}\n"
    limit = sys.get_int_max_str_digits()
    assert only_errors(path, text) == [
        f"{path}:2: invalid JSON: the integer '{'1' * QUOTE_CHARS}'... (5,000 characters) has "
        f"more than {limit:,} digits (the most Python reads)"
    ]


def test_a_number_too_large_for_a_float_is_out_of_range(tmp_path: Path) -> None:
    """zones-number-overflow: float(10**400) raised OverflowError from the coordinates, the
    latency table and request_interval; now each is out of its range, naming the field."""
    path = tmp_path / "big.yaml"
    huge = "1" + "0" * 400
    text = (
        "zone: big.test\nclient_locations:\n"
        f"  - {{cidr: 198.51.100.0/26, country: DE, latitude: 50, longitude: {huge}}}\n"
        f"  - {{cidr: 198.51.100.64/26, country: DE, latency: {{us-east-1: {huge}}}}}\n"
        f"health_checks:\n  web: {{type: HTTP, fqdn: a.example, request_interval: {huge}}}\n"
    )
    shown = f"'{huge[:QUOTE_CHARS]}'... (401 characters)"
    assert only_errors(path, text) == [
        f"{path}:3: client_locations[0].longitude: {shown} is not in -180..180",
        f"{path}:4: client_locations[1].latency.us-east-1: {shown} is too large (at most "
        "1.798e+308)",
        f"{path}:6: health_checks.web.request_interval: {shown} is too large (at most 1.798e+308)",
    ]


def test_an_alias_to_itself_beside_a_broken_record_set_is_a_loop(tmp_path: Path) -> None:
    """zones-self-alias-recursion: the broken www A hid the alias www -> www from the loop
    check, and the answer-size check recursed without end; now the loop is reported."""
    path = tmp_path / "loop.yaml"
    text = (
        "zone: loop.test\nrecord_sets:\n  - {name: www, type: A}\n"
        "  - {name: www, type: A, alias: {name: www.loop.test.}}\n"
    )
    assert only_errors(path, text) == [
        f"{path}:3: record_sets[0]: expected exactly one of alias, or ttl and records; found "
        "neither",
        f"{path}:4: record_sets[1].alias: alias chain loops: www.loop.test. A -> www.loop.test. A",
    ]


@pytest.mark.parametrize("looped", [False, True], ids=["chain", "loop"])
def test_the_answer_size_check_never_recurses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, looped: bool
) -> None:
    """The size check follows aliases with its own stack, and a group it meets again while
    sizing it counts 0 bytes: with the alias checks left out, 1,500 aliases in a chain or a
    loop (which those checks refuse) are sized without a RecursionError."""
    monkeypatch.setattr(zonebuild, "_check_aliases", lambda *args: True)
    text = chain(1_500)
    if looped:
        text = text.replace(
            "{name: c1500, type: A, ttl: 60, records: [192.0.2.1]}",
            "{name: c1500, type: A, alias: {name: c0.chain.test}}",
        )
    started = time.perf_counter()
    catalog = load_catalog(write(tmp_path / "chain.yaml", text))
    assert time.perf_counter() - started < FAST
    assert catalog.zones[names.parse("chain.test")].record_set_count == 1_503


def test_a_dump_apex_ns_whose_items_are_not_values_is_an_error_at_the_item(
    tmp_path: Path,
) -> None:
    """zones-apex-ns-index-error: the apex NS was left with no values and building the default
    SOA from it raised IndexError; now the item's own error alone."""
    path = tmp_path / "example.org.json"
    text = (
        '{"ResourceRecordSets": [\n'
        '  {"Name": "example.org.", "Type": "NS", "TTL": 172800,\n'
        '   "ResourceRecords": [\n    [1]]}\n]}\n'
    )
    assert only_errors(path, text) == [
        f'{path}:4: ResourceRecordSets[0].ResourceRecords[0]: expected {{"Value": "..."}}'
    ]


def test_a_long_number_is_quoted_by_its_prefix(tmp_path: Path) -> None:
    """zones-number-quoted-whole: a TTL of 300 digits and a number where a mapping goes were
    quoted whole; and a hexadecimal TTL of 4,001 digits (past what str() prints) raised."""
    path = tmp_path / "num.yaml"
    digits = "1" * 300
    text = (
        f"zone: num.test\nrecord_sets:\n  - {{name: www, type: A, ttl: {digits}, records: "
        f"[192.0.2.1]}}\n  - {digits}\n  - {{name: w2, type: A, ttl: 0x{'f' * 4001}, records: "
        "[192.0.2.1]}\n"
    )
    assert only_errors(path, text) == [
        f"{path}:3: record_sets[0].ttl: '{digits[:QUOTE_CHARS]}'... (300 characters) is not in "
        "0..2147483647",
        f"{path}:4: record_sets[1]: expected a mapping, found the number "
        f"'{digits[:QUOTE_CHARS]}'... (300 characters)",
        f"{path}:5: record_sets[2].ttl: '0x{'f' * (QUOTE_CHARS - 2)}'... (4,003 characters) is "
        "not in 0..2147483647",
    ]


def test_a_bad_cidr_block_is_quoted_once(tmp_path: Path) -> None:
    """zones-cidr-error-repeats-value: ipaddress's message repeated the block whole; and a
    prefix written with 300 zeros has host bits set, quoted by its prefix too."""
    path = tmp_path / "cidr.yaml"
    bad = "198.51." + "1" * 300 + "/24"
    zeros = "198.51.100.1/" + "0" * 300 + "24"
    text = f"zone: cidr.test\ncidr_collections:\n  nets:\n    a: [{bad}]\n    b: [{zeros}]\n"
    assert only_errors(path, text) == [
        f"{path}:4: cidr_collections.nets.a[0]: '{bad[:QUOTE_CHARS]}'... (310 characters) is not "
        "a CIDR block (not an IPv4 or IPv6 address/prefix-length)",
        f"{path}:5: cidr_collections.nets.b[0]: '{zeros[:QUOTE_CHARS]}'... (315 characters) has "
        "host bits set (the block is 198.51.100.0/24)",
    ]


def test_a_record_values_own_error_quotes_its_prefix(tmp_path: Path) -> None:
    """zones-value-error-quotes-value: the model's error quoted the value whole (and dnspython's
    message repeats a token whole): both are cut to QUOTE_CHARS and their length."""
    path = tmp_path / "value.yaml"
    stars, name = "*" * 300, "q" * 300
    text = (
        "zone: value.test\nrecord_sets:\n"
        f"  - {{name: www, type: A, ttl: 60, records: ['{stars}']}}\n"
        f"  - {{name: mx, type: MX, ttl: 60, records: ['10 a. {name}']}}\n"
    )
    assert only_errors(path, text) == [
        f"{path}:3: record_sets[0].records[0]: '{stars[:QUOTE_CHARS]}'... (300 characters) is not "
        "a valid A value: Text input is malformed.",
        f"{path}:4: record_sets[1].records[0]: '10 a. {name[: QUOTE_CHARS - 6]}'... (306 "
        "characters) is not a valid MX value: expected EOL or EOF, got 3 "
        f'"{name[: QUOTE_CHARS - 1]}... (302 characters)',
    ]


def test_an_unknown_long_tag_is_quoted_by_its_prefix(tmp_path: Path) -> None:
    """zones-yaml-error-quotes-a-long-tag: PyYAML's message quoted a 300-character tag whole."""
    path = tmp_path / "tag.yaml"
    tag = "!!" + "t" * 300
    assert only_errors(path, f"zone: tag.test\nx: {tag} 1\n") == [
        f"{path}:2: invalid YAML: could not determine a constructor for the tag "
        f"'{tag[:QUOTE_CHARS]}'... (302 characters)"
    ]


def test_values_pyyamls_messages_quote_are_cut() -> None:
    """PyYAML's pure-Python reader quotes an alias or a tag handle whole in its messages."""
    message = sourcefile._cut("found undefined alias '" + "a" * 300 + "'")
    assert message == f"found undefined alias '{'a' * QUOTE_CHARS}'... (300 characters)"
    assert sourcefile._cut("found character '\\t' here") == "found character '\\t' here"


@pytest.mark.parametrize("character", ["\u2028", "\u2029", "\x85", "\x7f", "\ufffe"])
def test_json_lines_count_only_newlines(tmp_path: Path, character: str) -> None:
    """zones-json-line-numbers: the YAML reader counted a raw U+2028, U+2029 or U+0085 in a
    dump's string as a line break (every later error a line late) and refused DEL and U+FFFE;
    now lines are JSON's and the value is the one written."""
    path = tmp_path / "sep.test.json"
    records = (
        '{"ResourceRecordSets": [\n'
        '  {"Name": "sep.test.", "Type": "NS", "TTL": 60, "ResourceRecords": [{"Value": '
        '"ns.sep.test."}]},\n'
        f'  {{"Name": "t.sep.test.", "Type": "TXT", "TTL": 60, "ResourceRecords": [{{"Value": '
        f'"a{character}b"}}]}}'
    )
    assert only_errors(path, records + ",\n  1\n]}\n") == [
        f"{path}:4: ResourceRecordSets[2]: expected a mapping, found the number 1"
    ]
    catalog = load_catalog(write(tmp_path / "ok" / "sep.test.json", records + "\n]}\n"))
    zone = catalog.zones[names.parse("sep.test")]
    (txt,) = zone.nodes[names.parse("t.sep.test")][16].members
    assert txt.records[0].wire[1:] == f"a{character}b".encode()


def test_a_yaml_error_at_the_end_of_a_file_names_its_last_line(tmp_path: Path) -> None:
    """zones-yaml-error-past-the-end: without a final newline, libyaml marks the end of the
    file on the line after the last; the error names the last line."""
    path = tmp_path / "eof.yaml"
    assert only_errors(path, "zone: eof.test\nrecord_sets: [") == [
        f"{path}:2: invalid YAML: did not find expected node content"
    ]
    assert only_errors(path, "zone: eof.test\nrecord_sets: [\n") == [
        f"{path}:3: invalid YAML: did not find expected node content"
    ]

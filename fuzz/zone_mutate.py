"""Mutators of zone files: the parsed tree, the text, the bytes, and recipes that reach bounds.

Tree mutations parse the file (YAML or JSON), change one node (a scalar set to an edge value, a
key deleted, renamed to another field name or added, an item repeated, a value wrapped in a list
or a mapping, a subtree copied in from another input) and write it out again, as YAML (block or
flow) or JSON. Text mutations work on lines and tokens (a line repeated, deleted, moved or
re-indented; a number set to an edge value; a word set to a field name; YAML syntax inserted:
anchors, aliases, tags, merge keys, document markers, tabs, odd characters). Recipes write what
the loader bounds: nesting around 100 levels (and 600, 5,000), alias chains around 32 (and 1,500),
record sets around 400 values, nested anchors (a billion laughs) of 6 to 9 levels, values
around the quoting and length limits. Every file stays under a few hundred KB.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from typing import Any

import yaml

from fuzz.mutate import mutate_bytes

MAX_ZONE_BYTES = 400_000
TREE_BYTES = 30_000  # larger files are mutated as text only (parsing them costs too much)
YAML_FIELDS = (
    "zone", "id", "comment", "ttl", "soa", "nameservers", "record_sets", "record_limit",
    "mname", "rname", "serial", "refresh", "retry", "expire", "minimum", "name", "type",
    "records", "alias", "evaluate_target_health", "zone_id", "set_identifier",
    "health_check_id", "weighted_routing_policy", "weight", "latency_routing_policy", "region",
    "failover_routing_policy", "geolocation_routing_policy", "continent", "country",
    "subdivision", "geoproximity_routing_policy", "aws_region", "local_zone_group",
    "coordinates", "latitude", "longitude", "bias", "multivalue_answer_routing_policy",
    "cidr_routing_policy", "collection_id", "location_name", "health_checks",
    "cidr_collections", "client_locations", "cidr", "latency", "ip_address", "fqdn", "port",
    "resource_path", "search_string", "request_interval", "failure_threshold", "regions",
    "invert_healthcheck", "disabled", "enable_sni", "child_healthchecks",
    "child_health_threshold", "routing_control_state", "alarm_state",
    "insufficient_data_health_status", "<<",
)  # fmt: skip
JSON_FIELDS = (
    "ResourceRecordSets", "Name", "Type", "TTL", "ResourceRecords", "Value", "AliasTarget",
    "HostedZoneId", "DNSName", "EvaluateTargetHealth", "SetIdentifier", "Weight", "Region",
    "Failover", "GeoLocation", "ContinentCode", "CountryCode", "SubdivisionCode",
    "GeoProximityLocation", "AWSRegion", "LocalZoneGroup", "Coordinates", "Latitude",
    "Longitude", "Bias", "MultiValueAnswer", "HealthCheckId", "CidrRoutingConfig",
    "CollectionId", "LocationName", "IsTruncated", "MaxItems", "TrafficPolicyInstanceId",
)  # fmt: skip
EDGE_VALUES: tuple[Any, ...] = (
    "", " ", 0, -1, 1, 255, 256, 65535, 65536, 2**31 - 1, 2**31, 2**63, -(2**63), 10**400,
    1.5, float("inf"), True, False, None, [], {}, [None], "@", "*", ".", "..", "*.*", "a..b",
    "\\052", "\\", "\\999", "é", "xn--e-9ja", "\x00", "\t", "a b", "x" * 61, "y" * 256,
    "z" * 4001, ".".join(["a" * 63] * 4), "a" * 64, "192.0.2.1", "::1", "::ffff:1.2.3.4",
    "2001:db8::/33", "0.0.0.0/0", "198.51.100.1/24", "A", "AAAA", "TXT", "CNAME", "NS", "SOA",
    "MX", "SRV", "CAA", "ALIAS", "a", "On", "Off", "NO", "ALARM", "PRIMARY", "SECONDARY", "US",
    "US-CA", "EU", "XX", "us-east-1", "mars-1", '"quoted"', "'", "10 mail", "0 issue \"ca\"",
    "www.example.test.", "Z0EXAMPLEORG", "0x10", "1e3", "010", "1_000", "true", "null",
)  # fmt: skip
YAML_TOKENS = (
    "&a ", "*a", "!!str ", "!!int ", "!!binary ", "!!python/object/apply:os.system ['x'] ",
    "!custom ", "<<: *a", "? ", "---\n", "...\n", "%YAML 1.1\n---\n", "%TAG ! tag:x,2000:\n",
    "\t", "\"", "'", "{", "}", "[", "]", ": ", "- ", "# ", "|", ">", "\ufeff", "\x00", "\x85",
    "\u2028", "\r", "\r\n", "&a [*a]", "!!set {a, b}", "!!omap [a: 1]", "!!timestamp 2001-12-14",
    "!!timestamp ", "!!seq ", "!!map ", "!!set ", "!!omap ", "!!pairs ", "!!float ", "!!bool ",
    "!!null ", "!!merge ", "!!value ", "? ",
)  # fmt: skip
ODD_BYTES = (b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xc0\xaf")


_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def parse(data: bytes, json_file: bool) -> Any:
    text = data.decode("utf-8")
    return json.loads(text) if json_file else yaml.load(text, Loader=_LOADER)  # noqa: S506


def dump(tree: Any, json_file: bool, rng: random.Random) -> bytes:
    if json_file and rng.random() < 0.9:
        text = json.dumps(tree, indent=rng.choice((None, 1, 4)), default=str, allow_nan=True)
    else:
        style = rng.choice((None, True, False))
        text = yaml.dump(
            tree, Dumper=_DUMPER, default_flow_style=style, sort_keys=False, width=10**6
        )
    return text.encode("utf-8", "surrogatepass")


def _positions(tree: Any, limit: int = 3000) -> list[tuple[Any, Any]]:
    """(container, key or index) of every node, each container once (aliases share them)."""
    found: list[tuple[Any, Any]] = []
    seen: set[int] = set()
    stack = [tree]
    while stack and len(found) < limit:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            found.append((node, key))
            if isinstance(value, dict | list):
                stack.append(value)
    return found


def _fields(json_file: bool) -> tuple[str, ...]:
    return JSON_FIELDS if json_file else YAML_FIELDS


def _any_value(rng: random.Random, donors: Sequence[Any]) -> Any:
    if donors and rng.random() < 0.3:
        positions = _positions(rng.choice(donors), 500)
        if positions:
            container, key = rng.choice(positions)
            return container[key]
    return rng.choice(EDGE_VALUES)


def mutate_tree(tree: Any, rng: random.Random, json_file: bool, donors: Sequence[Any]) -> Any:
    """Change one node of `tree` in place (or return a new top)."""
    if not isinstance(tree, dict | list):
        return {rng.choice(_fields(json_file)): tree}
    positions = _positions(tree)
    if not positions:
        if isinstance(tree, dict):
            tree[rng.choice(_fields(json_file))] = _any_value(rng, donors)
        else:
            tree.append(_any_value(rng, donors))
        return tree
    container, key = rng.choice(positions)
    operation = rng.randrange(9)
    if operation <= 2:
        container[key] = _any_value(rng, donors)
    elif operation == 3:
        del container[key]
    elif operation in (4, 5) and isinstance(container, list):
        container.insert(key, container[key])  # an item repeated
    elif operation in (4, 5):
        container[rng.choice(_fields(json_file))] = container.pop(key)  # a key renamed
    elif operation == 6:
        container[key] = [container[key]] if rng.random() < 0.5 else {"x": container[key]}
    elif operation == 7 and isinstance(container, dict):
        container[rng.choice(_fields(json_file))] = _any_value(rng, donors)
    else:
        container[key] = _nested(container[key], rng.choice((2, 10, 99, 100, 101)))
    return tree


def _nested(value: Any, levels: int) -> Any:
    for _ in range(levels):
        value = [value]
    return value


# --- text -----------------------------------------------------------------------------------


def mutate_text(text: str, rng: random.Random, donors: Sequence[str]) -> str:
    lines = text.split("\n")
    at = rng.randrange(len(lines))
    operation = rng.randrange(9)
    if operation == 0:
        lines.insert(at, lines[at])
    elif operation == 1 and len(lines) > 1:
        del lines[at]
    elif operation == 2:
        lines.insert(rng.randrange(len(lines) + 1), lines.pop(at))
    elif operation == 3:
        shift = rng.choice((1, 2, 4))
        lines[at] = " " * shift + lines[at] if rng.random() < 0.5 else lines[at][shift:]
    elif operation == 4 and donors:
        donor = rng.choice(donors).split("\n")
        lines.insert(at, donor[rng.randrange(len(donor))])
    elif operation == 5:
        lines[at] = _replace_one(r"-?\d+(\.\d+)?", lines[at], rng, _edge_number(rng))
    elif operation == 6:
        words = YAML_FIELDS + JSON_FIELDS
        lines[at] = _replace_one(r"[A-Za-z_]{2,}", lines[at], rng, rng.choice(words))
    else:
        line = lines[at]
        cut = rng.randrange(len(line) + 1)
        lines[at] = line[:cut] + rng.choice(YAML_TOKENS) + line[cut:]
    return "\n".join(lines)


EDGE_NUMBERS = (
    "0", "-1", "2147483647", "2147483648", "4294967296", "1" * 5000, "65535", "65536", "256",
    "0.5", "1e309", "-0", "0x1F", "0o17", ".inf",
)  # fmt: skip


def _edge_number(rng: random.Random) -> str:
    return rng.choice(EDGE_NUMBERS)


def _replace_one(pattern: str, line: str, rng: random.Random, replacement: str) -> str:
    matches = list(re.finditer(pattern, line))
    if not matches:
        return line + " " + replacement
    match = rng.choice(matches)
    return line[: match.start()] + replacement + line[match.end() :]


# --- recipes --------------------------------------------------------------------------------


def nesting(rng: random.Random, json_file: bool) -> str:
    levels = rng.choice((98, 99, 100, 101, 150, 600, 5000))
    if json_file:
        return '{"ResourceRecordSets":\n' + "[" * levels + "]" * levels + "}\n"
    if rng.random() < 0.5:
        return "zone: deep.test\nx: " + "[" * levels + "]" * levels + "\n"
    lines = ["zone: deep.test", "id:"] + [" " * (2 * n) + "-" for n in range(1, min(levels, 600))]
    return "\n".join(lines) + " [x]\n"


def alias_chain(rng: random.Random, json_file: bool) -> str:
    length = rng.choice((30, 31, 32, 33, 34, 100, 600, 1500))
    loop = rng.random() < 0.15
    order = list(range(length)) if rng.random() < 0.7 else list(range(length))[::-1]
    if json_file:
        sets = [
            f'{{"Name": "c{i}.chain.test.", "Type": "A", "AliasTarget": {{"HostedZoneId": "Z1", '
            f'"DNSName": "c{(i + 1) % length if loop else i + 1}.chain.test.", '
            '"EvaluateTargetHealth": false}}'
            for i in order
        ]
        if not loop:
            sets.append(f'{{"Name": "c{length}.chain.test.", "Type": "A", "TTL": 60, '
                        '"ResourceRecords": [{"Value": "192.0.2.1"}]}')  # fmt: skip
        return '{"ResourceRecordSets": [\n' + ",\n".join(sets) + "\n]}\n"
    sets = [
        f"  - {{name: c{i}, type: A, alias: {{name: c{(i + 1) % length if loop else i + 1}"
        ".chain.test}}\n"
        for i in order
    ]
    if not loop:
        sets.append(f"  - {{name: c{length}, type: A, ttl: 60, records: [192.0.2.1]}}\n")
    return "zone: chain.test\nrecord_sets:\n" + "".join(sets)


def many_values(rng: random.Random, json_file: bool) -> str:
    count = rng.choice((399, 400, 401, 1000, 20_000))
    values = [f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i in range(count)]
    if rng.random() < 0.2:
        values[-1] = values[0]  # one duplicate, at the end
    if json_file:
        records = ", ".join(f'{{"Value": "{value}"}}' for value in values)
        return (
            '{"ResourceRecordSets": [{"Name": "www.many.test.", "Type": "A", "TTL": 60, '
            f'"ResourceRecords": [{records}]}}]}}\n'
        )
    return (
        "zone: many.test\nrecord_sets:\n  - {name: www, type: A, ttl: 60, records: ["
        + ", ".join(values)
        + "]}\n"
    )


def laughs(rng: random.Random, json_file: bool) -> str:
    levels = rng.choice((6, 7, 8, 9))
    lines = ["zone: laughs.test", "l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    extra = rng.choice(("", "b: !!str y", "b: 1\nb: 2", "<<: *l1", f"record_sets: *l{levels - 1}"))
    return "\n".join([*lines, extra]) + "\n"


def long_value(rng: random.Random, json_file: bool) -> str:
    size = rng.choice((60, 61, 255, 256, 4000, 4001, 32_001, 100_000))
    value = rng.choice("xa1*.") * size
    where = rng.randrange(4)
    fields = [f"'{value}'" if where == n else default for n, default in
              enumerate(("www", "A", "60", "192.0.2.1"))]  # fmt: skip
    return (
        "zone: long.test\nrecord_sets:\n"
        f"  - {{name: {fields[0]}, type: {fields[1]}, ttl: {fields[2]}, records: [{fields[3]}]}}\n"
    )


RECIPES = (nesting, alias_chain, many_values, laughs, long_value)


def _tree_mutant(
    data: bytes, json_file: bool, rng: random.Random, donors: Sequence[bytes]
) -> bytes | None:
    """A tree mutation, or None when the file (or a donor) does not parse or dump."""
    try:
        tree = parse(data, json_file)
        picked = [rng.choice(donors)] if donors and rng.random() < 0.3 else []
        trees = [parse(d, json_file) for d in picked if len(d) <= TREE_BYTES]
        for _ in range(rng.choice((1, 1, 2, 3))):
            tree = mutate_tree(tree, rng, json_file, [t for t in trees if t is not None])
        return dump(tree, json_file, rng)
    except Exception:  # PyYAML's own constructors raise anything for some tags: a text mutation
        return None


def mutate_zone(data: bytes, json_file: bool, rng: random.Random, donors: Sequence[bytes]) -> bytes:
    """One mutated zone file (its format kept: JSON for `.json`, else YAML)."""
    choice = rng.random()
    if choice < 0.04:
        return rng.choice(RECIPES)(rng, json_file).encode()
    if choice < 0.5 and len(data) <= TREE_BYTES:
        mutated = _tree_mutant(data, json_file, rng, donors)
        if mutated is not None:
            return mutated
    if choice < 0.85:
        text = data.decode("utf-8", "surrogateescape")
        donor_texts = [rng.choice(donors).decode("utf-8", "surrogateescape")] if donors else []
        for _ in range(rng.choice((1, 1, 2, 4))):
            text = mutate_text(text, rng, donor_texts)
        return text.encode("utf-8", "surrogateescape")[:MAX_ZONE_BYTES]
    if rng.random() < 0.3:
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.choice(ODD_BYTES) + data[at:]
    return mutate_bytes(data, rng, donors, MAX_ZONE_BYTES)

"""Names as Route 53 lists them and the order it lists them in."""

from __future__ import annotations

import pytest

from r53emu.api.rrsetnames import (
    canonical,
    described,
    key_of,
    listed_name,
    parse_name,
    same_values,
    sort_key,
)


@pytest.mark.parametrize(
    ("given", "listed"),
    [
        ("WWW.Example.COM", "www.example.com."),
        ("www.example.com.", "www.example.com."),
        ("*.example.com", "\\052.example.com."),
        ("\\052.example.com", "\\052.example.com."),
        ("_sip._tcp.example.com", "_sip._tcp.example.com."),
        ("a\\.b.example.com", "a\\056b.example.com."),
        ("ex\\344mple.com", "ex\\344mple.com."),
    ],
)
def test_names_are_listed_lower_case_escaped_and_absolute(given: str, listed: str) -> None:
    assert listed_name(parse_name(given)) == listed


def test_order_is_by_reversed_labels_as_ascii_text_then_type_then_identifier() -> None:
    keys = [
        sort_key(parse_name(name), rtype, identifier)
        for name, rtype, identifier in [
            ("a.example.com", "A", None),
            ("example.com", "SOA", None),
            ("a-b.example.com", "A", None),
            ("b.example.com", "TXT", "two"),
            ("example.com", "NS", None),
            ("b.example.com", "TXT", "one"),
            ("b.example.com", "AAAA", None),
            ("x.a.example.com", "A", None),
        ]
    ]
    ordered = [(key.reversed_name, key.rtype, key.set_identifier) for key in sorted(keys)]
    assert ordered == [
        ("com.example.", "NS", ""),
        ("com.example.", "SOA", ""),
        ("com.example.a-b.", "A", ""),  # `-` (45) sorts before `.` (46)
        ("com.example.a.", "A", ""),
        ("com.example.a.x.", "A", ""),
        ("com.example.b.", "AAAA", ""),
        ("com.example.b.", "TXT", "one"),
        ("com.example.b.", "TXT", "two"),
    ]


def test_the_key_of_a_listed_record_set_is_its_sort_key() -> None:
    record_set = canonical({"Name": "*.A.example.com", "Type": "A", "SetIdentifier": "x"})
    assert key_of(record_set) == sort_key(parse_name("*.a.example.com"), "A", "x")


def test_record_sets_are_described_as_route53_names_them() -> None:
    assert described({"Name": "www.example.com.", "Type": "A"}) == (
        "[name='www.example.com.', type='A']"
    )
    assert described({"Name": "www.example.com.", "Type": "A", "SetIdentifier": "east"}) == (
        "[name='www.example.com.', type='A', set-identifier='east']"
    )


def test_canonical_keeps_values_and_lowers_alias_targets() -> None:
    given = {
        "Name": "Www.Example.com",
        "Type": "A",
        "AliasTarget": {
            "HostedZoneId": "Z1",
            "DNSName": "Target.Example.com",
            "EvaluateTargetHealth": True,
        },
    }
    assert canonical(given) == {
        "Name": "www.example.com.",
        "Type": "A",
        "AliasTarget": {
            "HostedZoneId": "Z1",
            "DNSName": "target.example.com.",
            "EvaluateTargetHealth": True,
        },
    }
    assert given["Name"] == "Www.Example.com"  # not changed in place


def test_a_delete_matches_values_in_any_order() -> None:
    current = {
        "Name": "a.",
        "Type": "A",
        "TTL": 60,
        "ResourceRecords": [{"Value": "1"}, {"Value": "2"}],
    }
    assert same_values({**current, "ResourceRecords": [{"Value": "2"}, {"Value": "1"}]}, current)
    assert not same_values({**current, "TTL": 61}, current)
    assert not same_values({**current, "ResourceRecords": [{"Value": "1"}]}, current)

"""`authoritative.py --hostile-rows`: the hostile rows' parts, or some of the floods, alone."""

from __future__ import annotations

import pytest

from benchmarks import authoritative, hostile


def test_parts_and_flood_kinds_choose_what_runs() -> None:
    assert hostile.parse_rows("all") == (set(hostile.PARTS), hostile.FLOODS)
    assert hostile.parse_rows("floods") == ({"floods"}, hostile.FLOODS)
    assert hostile.parse_rows("rates, amplification") == (
        {"rates", "amplification"},
        hostile.FLOODS,
    )
    parts, floods = hostile.parse_rows("admin-zone,tcp")
    assert parts == {"floods"}
    assert [flood.kind for flood in floods] == ["tcp", "admin-zone"]  # in the table's order
    with pytest.raises(ValueError, match=r"unknown hostile row 'udp'.*rows: rates"):
        hostile.parse_rows("floods,udp")


def test_the_option_defaults_to_every_row() -> None:
    parser = authoritative.build_parser()
    assert parser.parse_args([]).hostile_rows == "all"
    assert parser.parse_args(["--hostile-rows", "tcp"]).hostile_rows == "tcp"


def test_a_report_of_the_floods_alone_shows_only_them() -> None:
    result = authoritative.DnsperfResult(
        sent=10, completed=10, lost=0, qps=20_000.0, avg_latency=0.0001, max_latency=0.001,
        p99_latency=0.0002, rcodes={"NOERROR": 10}, run_time=3.0,
        avg_request_bytes=33, avg_response_bytes=49,
    )  # fmt: skip
    report = hostile.HostileReport(1000, 3)
    report.floods = [hostile.FloodRow("idle (before the floods)", result, ratio=1.0)]
    text = hostile.format_report(report)
    assert "UDP p99 of static A" in text
    assert "worst name's rate" not in text
    assert "amplification" not in text

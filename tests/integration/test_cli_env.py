"""Every `r53emu serve` flag is also an R53EMU_* environment variable (the container's way).

Parsing only: the variables are read when the parser is built, and a flag on the command line
wins over its variable. Running servers configured this way are in test_cli_serve.py and
test_container.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from r53emu.cliargs import build_parser

VALUES = {
    "zones": ("/srv/zones", Path("/srv/zones")),
    "address": ("0.0.0.0", "0.0.0.0"),
    "port": ("5353", 5353),
    "log_level": ("debug", "DEBUG"),
    "log_format": ("JSON", "json"),
    "admin_port": ("9053", 9053),
    "admin_address": ("0.0.0.0", "0.0.0.0"),
    "admin_token": ("s3cret", "s3cret"),
    "no_admin": ("true", True),
    "query_log": ("-", "-"),
    "watch": ("false", False),
    "seed": ("42", 42),
    "geoip_db": ("/srv/geo.mmdb", Path("/srv/geo.mmdb")),
    "default_location": ("us-ca", "US-CA"),
    "max_tcp_connections": ("300", 300),
    "max_admin_connections": ("40", 40),
    "amplification_guard": ("ALL", "all"),
    "rate_limit": ("0", 0),
    "max_zone_file_mb": ("128", 128),
    "reply_cache_mb": ("16", 16),
}


def serve_flags() -> set[str]:
    subparsers = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    serve = subparsers.choices["serve"]
    return {
        action.dest for action in serve._actions if action.option_strings and action.dest != "help"
    }


def test_every_serve_flag_has_a_variable_here() -> None:
    """The table below covers every flag of `serve`: a new flag must get its variable."""
    assert serve_flags() == set(VALUES)


@pytest.mark.parametrize(("dest", "given_and_parsed"), sorted(VALUES.items()))
def test_variable_sets_the_flag(
    monkeypatch: pytest.MonkeyPatch, dest: str, given_and_parsed: tuple[str, object]
) -> None:
    """R53EMU_<FLAG> alone configures the flag, in the flag's own type."""
    given, parsed = given_and_parsed
    monkeypatch.setenv(f"R53EMU_{dest.upper()}", given)
    args = build_parser().parse_args(["serve"])
    assert getattr(args, dest) == parsed


def test_bad_log_format_variable_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("R53EMU_LOG_FORMAT", "xml")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve"])
    assert "'xml' is not one of text, json" in capsys.readouterr().err

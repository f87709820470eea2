"""The `ask` fixture of the wire answer tests: a fresh server on `ZONE_FILES`, UDP and TCP."""

from __future__ import annotations

from typing import Any

import dns.message
import pytest

from tests.conftest import ServeZones
from tests.support.helpers import query
from tests.support.lookup_zones import ZONE_FILES
from tests.support.wire_checks import Ask


@pytest.fixture(params=["udp", "tcp"])
def ask(request: pytest.FixtureRequest, serve_zones: ServeZones) -> Ask:
    """Query a fresh server on `ZONE_FILES` over the parametrized transport."""
    address = serve_zones(ZONE_FILES)
    tcp = request.param == "tcp"

    def ask(name: str, rdtype: str = "A", **make_query_args: Any) -> dns.message.Message:
        return query(address, name, rdtype, tcp=tcp, **make_query_args)

    return ask

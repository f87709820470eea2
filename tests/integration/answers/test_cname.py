"""CNAME answers (semantics §2.6, §2.3), on the wire: any type at a CNAME name answers the CNAME
alone (no chasing) with the in-zone target's A and AAAA in additional; a CNAME query answers the
CNAME; a target outside the zone adds nothing. A real server on 127.0.0.1 serves `ZONE_FILES`
(tests/support/lookup_zones.py); dnspython asks over UDP and over TCP, and each test asserts the
header flags, the rcode and all three sections.
"""

from __future__ import annotations

import pytest

from tests.support.lookup_zones import WWW_ADDITIONAL
from tests.support.wire_checks import Ask, assert_reply, positive


@pytest.mark.parametrize("rdtype", ["A", "AAAA", "TXT"])
def test_cname_answers_alone_with_target_addresses(ask: Ask, rdtype: str) -> None:
    """Any type at a CNAME: the CNAME only (no chasing), the target's A/AAAA in additional."""
    reply = ask("app.example.test", rdtype)
    cname = {"app.example.test. 120 IN CNAME www.example.test."}
    assert_reply(reply, positive(cname, WWW_ADDITIONAL))


def test_cname_query_returns_the_cname(ask: Ask) -> None:
    """A CNAME query at a CNAME name answers the CNAME."""
    reply = ask("app.example.test", "CNAME")
    cname = {"app.example.test. 120 IN CNAME www.example.test."}
    assert_reply(reply, positive(cname, WWW_ADDITIONAL))


def test_cname_to_outside_target_has_no_additional(ask: Ask) -> None:
    """A CNAME to a name outside the zone gets no additional records."""
    reply = ask("away.example.test")
    assert_reply(reply, positive({"away.example.test. 120 IN CNAME target.elsewhere.example."}))

"""Case (semantics §1.2, §2.2), on the wire: mixed-case names match, and the question and every
answer owner, wildcard answers and NXDOMAIN included, keep the case as sent. A real server on
127.0.0.1 serves `ZONE_FILES` (tests/support/lookup_zones.py); dnspython asks over UDP and over TCP,
and each test asserts the header flags, the rcode and all three sections.
"""

from __future__ import annotations

from tests.support.lookup_zones import www_a_texts
from tests.support.wire_checks import Ask, assert_reply, nxdomain, positive


def test_mixed_case_query_matches_and_is_echoed(ask: Ask) -> None:
    """A mixed-case name matches; question and answer owner keep the case as sent."""
    reply = ask("wWw.ExAmPlE.TeSt")
    assert_reply(reply, positive(www_a_texts("wWw.ExAmPlE.TeSt.")))
    assert reply.question[0].name.labels == (b"wWw", b"ExAmPlE", b"TeSt", b"")


def test_mixed_case_wildcard_answer_echoes_query_name(ask: Ask) -> None:
    """A wildcard answer's owner is the query name with its case as sent."""
    reply = ask("Zenith.APPS.example.test")
    assert_reply(reply, positive({"Zenith.APPS.example.test. 30 IN A 192.0.2.80"}))


def test_mixed_case_nxdomain_echoes_question(ask: Ask) -> None:
    """A mixed-case missing name is NXDOMAIN with the question echoed as sent."""
    reply = ask("NoWhere.Example.TEST")
    assert_reply(reply, nxdomain())
    assert reply.question[0].name.labels == (b"NoWhere", b"Example", b"TEST", b"")

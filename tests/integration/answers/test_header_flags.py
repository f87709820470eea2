"""Header flags (semantics §0, §2.1), on the wire: the reply copies RD from the query, set or clear,
and never sets RA or AD, even when the query sets AD. A real server on 127.0.0.1 serves `ZONE_FILES`
(tests/support/lookup_zones.py); dnspython asks over UDP and over TCP, and each test asserts the
header flags, the rcode and all three sections.
"""

from __future__ import annotations

import dns.flags

from tests.support.lookup_zones import www_a_texts
from tests.support.wire_checks import Ask, assert_reply, positive


def test_ad_in_query_is_never_set_in_reply(ask: Ask) -> None:
    """A query with AD (and RD) set gets a reply with RD copied and AD, RA clear."""
    reply = ask("www.example.test", flags=dns.flags.RD | dns.flags.AD)
    assert_reply(reply, positive(www_a_texts("www.example.test.")))


def test_rd_clear_is_copied(ask: Ask) -> None:
    """A query without RD gets a reply without RD (and still no RA)."""
    reply = ask("www.example.test", flags=0)
    assert_reply(reply, positive(www_a_texts("www.example.test.")), rd=False)

"""The bundled zones answer through a real server and dnspython."""

from __future__ import annotations

import dns.flags
import dns.rcode

from tests.support.helpers import query, rrset_texts


def test_bundled_www_answers_all_values(bundled_server: tuple[str, int]) -> None:
    """www.example.test A returns its three addresses with AA set and the apex NS in authority."""
    reply = query(bundled_server, "www.example.test", "A")
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.flags & dns.flags.AA
    assert {rdata.to_text() for rdata in reply.answer[0]} == {
        "192.0.2.10",
        "192.0.2.11",
        "192.0.2.12",
    }
    assert len(rrset_texts(reply.authority)) == 4

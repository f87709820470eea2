"""The additional section (semantics §2.3), on the wire: MX, SRV and apex NS answers carry the A and
AAAA of their in-zone targets only; an NS answer at the apex leaves authority empty (§2.2). A real
server on 127.0.0.1 serves `ZONE_FILES` (tests/support/lookup_zones.py); dnspython asks over UDP and
over TCP, and each test asserts the header flags, the rcode and all three sections.
"""

from __future__ import annotations

from tests.support.lookup_zones import MAIL_ADDITIONAL
from tests.support.wire_checks import Ask, Expected, assert_reply, positive


def test_mx_answer_adds_in_zone_exchange_addresses(ask: Ask) -> None:
    """MX: both MX values, A and AAAA of the in-zone exchange only in additional."""
    reply = ask("example.test", "MX")
    mx = {
        "example.test. 300 IN MX 10 mail.example.test.",
        "example.test. 300 IN MX 20 mx.elsewhere.example.",
    }
    assert_reply(reply, positive(mx, MAIL_ADDITIONAL))


def test_srv_answer_adds_in_zone_target_addresses(ask: Ask) -> None:
    """SRV: both values, the in-zone target's A only in additional."""
    reply = ask("_sip._tcp.example.test", "SRV")
    srv = {
        "_sip._tcp.example.test. 300 IN SRV 10 60 5060 sip.example.test.",
        "_sip._tcp.example.test. 300 IN SRV 20 0 5060 sip.elsewhere.example.",
    }
    assert_reply(reply, positive(srv, {"sip.example.test. 300 IN A 192.0.2.50"}))


def test_apex_ns_answer_adds_in_zone_name_server_addresses(ask: Ask) -> None:
    """NS at an apex with in-zone servers: NS rrset, empty authority, their A/AAAA additional."""
    reply = ask("inzone.test", "NS")
    expected = Expected(
        answer={
            "inzone.test. 172800 IN NS ns1.inzone.test.",
            "inzone.test. 172800 IN NS ns2.inzone.test.",
            "inzone.test. 172800 IN NS ns.elsewhere.example.",
        },
        additional={
            "ns1.inzone.test. 300 IN A 192.0.2.201",
            "ns2.inzone.test. 300 IN AAAA 2001:db8::202",
        },
    )
    assert_reply(reply, expected)

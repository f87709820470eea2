"""The additional section (semantics §2.3), in the pure lookup: MX, SRV and apex NS answers carry
the A and AAAA of their targets that lie in the same hosted zone, and nothing for targets outside
it; an NS answer at the apex is not repeated in authority (§2.2).
"""

from __future__ import annotations

from r53emu.model.catalog import Catalog
from tests.support.lookup_checks import ask, assert_answer, texts
from tests.support.lookup_zones import MAIL_ADDITIONAL


def test_mx_answer_adds_in_zone_exchange_addresses(catalog: Catalog) -> None:
    """MX: A and AAAA of the in-zone exchange in additional, none for the outside one."""
    answer = ask(catalog, "example.test", "MX")
    assert_answer(
        answer,
        {
            "example.test. 300 IN MX 10 mail.example.test.",
            "example.test. 300 IN MX 20 mx.elsewhere.example.",
        },
    )
    assert texts(answer.additional) == MAIL_ADDITIONAL


def test_srv_answer_adds_in_zone_target_addresses(catalog: Catalog) -> None:
    """SRV: the in-zone target's A in additional, none for the outside target."""
    answer = ask(catalog, "_sip._tcp.example.test", "SRV")
    assert_answer(
        answer,
        {
            "_sip._tcp.example.test. 300 IN SRV 10 60 5060 sip.example.test.",
            "_sip._tcp.example.test. 300 IN SRV 20 0 5060 sip.elsewhere.example.",
        },
    )
    assert texts(answer.additional) == {"sip.example.test. 300 IN A 192.0.2.50"}


def test_apex_ns_answer_adds_in_zone_name_server_addresses(catalog: Catalog) -> None:
    """NS at the apex: the NS rrset (not repeated in authority), in-zone servers' addresses."""
    answer = ask(catalog, "inzone.test", "NS")
    assert_answer(
        answer,
        {
            "inzone.test. 172800 IN NS ns1.inzone.test.",
            "inzone.test. 172800 IN NS ns2.inzone.test.",
            "inzone.test. 172800 IN NS ns.elsewhere.example.",
        },
        authority=set(),
    )
    assert texts(answer.additional) == {
        "ns1.inzone.test. 300 IN A 192.0.2.201",
        "ns2.inzone.test. 300 IN AAAA 2001:db8::202",
    }

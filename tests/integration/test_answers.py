"""The authoritative answers of semantics §0-§2, §3.1 and §4 on the wire.

A real server on 127.0.0.1 serves `ZONE_FILES` (shared with `test_lookup.py`); dnspython asks
over UDP and over TCP, and each test asserts the header flags (QR, AA, RD copied, RA and AD
never), the rcode and all three sections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import pytest

from tests.conftest import ServeZones
from tests.support.helpers import query, rrset_texts
from tests.unit.answer.test_lookup import (
    DEV_GLUE,
    DEV_NS,
    DS_DIGEST,
    EXAMPLE_NS,
    EXAMPLE_SOA,
    MAIL_ADDITIONAL,
    WWW_ADDITIONAL,
    WWW_ADDRESSES,
    ZONE_FILES,
    apex_ns_texts,
    soa_text,
    www_a_texts,
)


@dataclass(frozen=True)
class Expected:
    """What a reply must hold: rcode, AA, and each section as record texts."""

    rcode: dns.rcode.Rcode = dns.rcode.NOERROR
    aa: bool = True
    answer: set[str] = field(default_factory=set)
    authority: set[str] = field(default_factory=set)
    additional: set[str] = field(default_factory=set)


def positive(answer: set[str], additional: Iterable[str] = ()) -> Expected:
    """An authoritative answer of example.test: these records, apex NS in authority."""
    return Expected(answer=answer, authority=set(EXAMPLE_NS), additional=set(additional))


def nodata(soa: str = EXAMPLE_SOA) -> Expected:
    """Authoritative NOERROR without answer, the SOA (negative TTL) in authority."""
    return Expected(authority={soa})


def nxdomain(soa: str = EXAMPLE_SOA) -> Expected:
    """Authoritative NXDOMAIN, the SOA (negative TTL) in authority."""
    return Expected(rcode=dns.rcode.NXDOMAIN, authority={soa})


REFUSED = Expected(rcode=dns.rcode.REFUSED, aa=False)
REFERRAL = Expected(aa=False, authority=set(DEV_NS), additional=set(DEV_GLUE))

Ask = Callable[..., dns.message.Message]


@pytest.fixture(params=["udp", "tcp"])
def ask(request: pytest.FixtureRequest, serve_zones: ServeZones) -> Ask:
    """Query a fresh server on `ZONE_FILES` over the parametrized transport."""
    address = serve_zones(ZONE_FILES)
    tcp = request.param == "tcp"

    def ask(name: str, rdtype: str = "A", **make_query_args: Any) -> dns.message.Message:
        return query(address, name, rdtype, tcp=tcp, **make_query_args)

    return ask


def assert_reply(reply: dns.message.Message, expected: Expected, rd: bool = True) -> None:
    """Flags (QR, AA as expected, RD copied, no RA/AD/TC), rcode and all three sections."""
    assert reply.flags & dns.flags.QR
    assert bool(reply.flags & dns.flags.AA) is expected.aa
    assert bool(reply.flags & dns.flags.RD) is rd
    assert not reply.flags & (dns.flags.RA | dns.flags.AD | dns.flags.TC)
    assert reply.rcode() == expected.rcode
    assert rrset_texts(reply.answer) == expected.answer
    assert rrset_texts(reply.authority) == expected.authority
    assert rrset_texts(reply.additional) == expected.additional


# --- zone selection, zone transfers ---------------------------------------------------------


@pytest.mark.parametrize("name", ["www.example.org", "test", ".", "example.test.evil"])
def test_name_in_no_hosted_zone_is_refused(ask: Ask, name: str) -> None:
    """A name in no hosted zone is REFUSED with AA=0 and empty sections (never recursion)."""
    assert_reply(ask(name), REFUSED)


@pytest.mark.parametrize("rdtype", ["AXFR", "IXFR"])
def test_zone_transfer_is_refused(serve_zones: ServeZones, rdtype: str) -> None:
    """AXFR and IXFR over TCP for a hosted zone are REFUSED (zone transfers are not offered)."""
    address = serve_zones(ZONE_FILES)
    assert_reply(query(address, "example.test", rdtype, tcp=True), REFUSED)


def test_most_specific_hosted_zone_answers(ask: Ask) -> None:
    """A name under a hosted child zone is answered from the child, with the child's NS."""
    reply = ask("host.child.example.test")
    child = Expected(
        answer={"host.child.example.test. 300 IN A 198.51.100.7"},
        authority=apex_ns_texts("child.example.test"),
    )
    assert_reply(reply, child)


def test_parent_records_under_hosted_child_are_not_used(ask: Ask) -> None:
    """A parent record below a hosted child zone is invisible: the child answers NXDOMAIN."""
    reply = ask("only-in-parent.child.example.test")
    assert_reply(reply, nxdomain(soa_text("child.example.test")))


# --- delegations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rdtype"),
    [("dev.example.test", "A"), ("dev.example.test", "NS"), ("a.b.dev.example.test", "AAAA")],
)
def test_delegated_name_gets_referral(ask: Ask, name: str, rdtype: str) -> None:
    """At and below a cut: NOERROR, AA=0, child NS in authority, in-zone glue in additional."""
    assert_reply(ask(name, rdtype), REFERRAL)


def test_ds_at_cut_is_answered_by_parent(ask: Ask) -> None:
    """DS at a delegation point comes from the parent zone, authoritatively."""
    reply = ask("secure.example.test", "DS")
    assert_reply(reply, positive({f"secure.example.test. 300 IN DS 12345 13 2 {DS_DIGEST}"}))


def test_missing_ds_at_cut_is_nodata(ask: Ask) -> None:
    """DS at a cut without DS records: authoritative NODATA with the SOA, not a referral."""
    assert_reply(ask("dev.example.test", "DS"), nodata())


def test_ds_below_cut_is_referral(ask: Ask) -> None:
    """DS for a name below a cut belongs to the child zone: a referral (no glue: none in zone)."""
    reply = ask("x.secure.example.test", "DS")
    referral = Expected(
        aa=False, authority={"secure.example.test. 300 IN NS ns.elsewhere.example."}
    )
    assert_reply(reply, referral)


def test_mixed_case_referral(ask: Ask) -> None:
    """A referral matches case-insensitively and echoes the question as sent."""
    reply = ask("X.Dev.EXAMPLE.test", "A")
    assert_reply(reply, REFERRAL)
    assert reply.question[0].name.labels == (b"X", b"Dev", b"EXAMPLE", b"test", b"")


# --- CNAME and additional section -----------------------------------------------------------


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


def test_default_apex_ns_answer_is_not_repeated_in_authority(ask: Ask) -> None:
    """NS at the apex: the four awsdns names (TTL 172800) in answer, authority empty."""
    assert_reply(ask("example.test", "NS"), Expected(answer=set(EXAMPLE_NS)))


# --- NODATA, NXDOMAIN, negative TTL ---------------------------------------------------------


@pytest.mark.parametrize("rdtype", ["MX", "TYPE666", "MD", "NULL", "WKS"])
def test_absent_type_is_nodata(ask: Ask, rdtype: str) -> None:
    """A type the name lacks (unknown, obsolete too) is NODATA + SOA, never FORMERR/NOTIMP."""
    assert_reply(ask("www.example.test", rdtype), nodata())


def test_missing_name_is_nxdomain_with_default_negative_ttl(ask: Ask) -> None:
    """A missing name is NXDOMAIN with the SOA at the default negative TTL 900."""
    assert_reply(ask("nowhere.example.test"), nxdomain())


def test_negative_ttl_is_soa_minimum_when_smaller(ask: Ask) -> None:
    """With `soa: {minimum: 60}` the SOA in NXDOMAIN and NODATA answers has TTL 60."""
    short_soa = soa_text("short.test", ttl=60, minimum=60)
    assert_reply(ask("nowhere.short.test"), nxdomain(short_soa))
    assert_reply(ask("short.test", "TXT"), nodata(short_soa))


# --- positive answers, header flags and simple routing --------------------------------------


def test_positive_answer_has_all_values_and_apex_ns(ask: Ask) -> None:
    """A simple A record set: every value, AA, the apex NS (4 records, TTL 172800) in authority."""
    reply = ask("www.example.test")
    assert_reply(reply, positive(www_a_texts("www.example.test.")))
    [apex_ns] = reply.authority
    assert (len(apex_ns), apex_ns.ttl) == (4, 172800)


def test_ad_in_query_is_never_set_in_reply(ask: Ask) -> None:
    """A query with AD (and RD) set gets a reply with RD copied and AD, RA clear."""
    reply = ask("www.example.test", flags=dns.flags.RD | dns.flags.AD)
    assert_reply(reply, positive(www_a_texts("www.example.test.")))


def test_rd_clear_is_copied(ask: Ask) -> None:
    """A query without RD gets a reply without RD (and still no RA)."""
    reply = ask("www.example.test", flags=0)
    assert_reply(reply, positive(www_a_texts("www.example.test.")), rd=False)


def test_simple_values_come_in_random_order(ask: Ask) -> None:
    """Over many queries every value is always present and more than one order appears."""
    orders = set()
    for _ in range(40):
        reply = ask("www.example.test")
        order = tuple(rdata.to_text() for rdata in reply.answer[0])
        assert sorted(order) == sorted(WWW_ADDRESSES)
        orders.add(order)
    # 4 values: 24 orders; all 40 answers in one order would happen with odds of 24**-39.
    assert len(orders) > 1


# --- wildcards ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["zenith.apps.example.test", "a.zenith.apps.example.test", "p.a.z.apps.example.test"]
)
def test_wildcard_covers_its_level_and_deeper(ask: Ask, name: str) -> None:
    """`*.apps` answers names at its level and deeper, owner = the query name."""
    assert_reply(ask(name), positive({f"{name}. 30 IN A 192.0.2.80"}))


def test_exact_name_wins_over_wildcard(ask: Ask) -> None:
    """An existing name answers its own record, not the wildcard's."""
    reply = ask("exact.apps.example.test")
    assert_reply(reply, positive({"exact.apps.example.test. 300 IN A 192.0.2.81"}))


def test_wildcard_does_not_match_its_parent(ask: Ask) -> None:
    """`*.apps` does not answer `apps` itself: NODATA (an empty non-terminal)."""
    assert_reply(ask("apps.example.test"), nodata())


def test_existing_name_with_other_types_is_nodata(ask: Ask) -> None:
    """A name with only TXT asked for A is NODATA, not the wildcard's A."""
    assert_reply(ask("texty.apps.example.test"), nodata())


def test_empty_non_terminal_blocks_wildcard(ask: Ask) -> None:
    """An empty non-terminal is NODATA and names below it are NXDOMAIN, not the wildcard."""
    assert_reply(ask("branch.apps.example.test"), nodata())
    assert_reply(ask("x.branch.apps.example.test"), nxdomain())


def test_literal_star_query_matches_wildcard_record(ask: Ask) -> None:
    """A query for `*.apps` itself answers the wildcard record set under `*.apps`."""
    reply = ask("*.apps.example.test")
    assert_reply(reply, positive({"*.apps.example.test. 30 IN A 192.0.2.80"}))


# --- case -----------------------------------------------------------------------------------


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


# --- ANY ------------------------------------------------------------------------------------


def test_any_returns_every_rrset_at_the_name(ask: Ask) -> None:
    """ANY at www: its A, AAAA and TXT record sets; apex NS in authority."""
    records = www_a_texts("www.example.test.") | {
        "www.example.test. 60 IN AAAA 2001:db8::1",
        'www.example.test. 60 IN TXT "www text"',
    }
    assert_reply(ask("www.example.test", "ANY"), positive(records))


def test_any_at_apex_includes_alias_as_its_type(ask: Ask) -> None:
    """ANY at the apex: the alias as A, MX, TXT, NS and SOA; empty authority; MX target glue."""
    records = (
        www_a_texts("example.test.")
        | EXAMPLE_NS
        | {
            EXAMPLE_SOA,
            'example.test. 300 IN TXT "apex text"',
            "example.test. 300 IN MX 10 mail.example.test.",
            "example.test. 300 IN MX 20 mx.elsewhere.example.",
        }
    )
    expected = Expected(answer=records, additional=set(MAIL_ADDITIONAL))
    # EDNS so that the 14-record reply is never cut at 512 bytes over UDP.
    assert_reply(ask("example.test", "ANY", use_edns=0), expected)


# --- aliases --------------------------------------------------------------------------------


def test_alias_answers_with_own_name_type_and_target_ttl(ask: Ask) -> None:
    """An A alias answers as A (never CNAME) under its own name with the target's TTL 60."""
    assert_reply(ask("shop.example.test"), positive(www_a_texts("shop.example.test.")))


def test_alias_at_apex(ask: Ask) -> None:
    """An alias at the zone apex answers with the target's values under the apex name."""
    assert_reply(ask("example.test"), positive(www_a_texts("example.test.")))


def test_alias_chain_answers_final_records(ask: Ask) -> None:
    """alias -> alias -> records: the final values and TTL under the first alias's name."""
    assert_reply(ask("chain.example.test"), positive(www_a_texts("chain.example.test.")))


def test_alias_gives_nodata_for_other_types(ask: Ask) -> None:
    """An A alias answers NODATA for AAAA although its target has AAAA."""
    assert_reply(ask("shop.example.test", "AAAA"), nodata())


def test_wildcard_alias_to_apex(ask: Ask) -> None:
    """`*` aliased to the apex answers missing names with the apex A under the query name."""
    reply = ask("a.b.trick.test")
    expected = Expected(
        answer={"a.b.trick.test. 300 IN A 192.0.2.90"}, authority=apex_ns_texts("trick.test")
    )
    assert_reply(reply, expected)


def test_cname_alias_to_cname_answers_the_cname(ask: Ask) -> None:
    """A CNAME-type alias to a CNAME answers that CNAME (value and TTL) under the alias name."""
    reply = ask("link.example.test")
    cname = {"link.example.test. 120 IN CNAME www.example.test."}
    assert_reply(reply, positive(cname, WWW_ADDITIONAL))

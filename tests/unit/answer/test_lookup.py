"""The pure authoritative lookup (semantics §0-§2, §3.1, §4) over small YAML zones.

`ZONE_FILES` and the `*_TEXTS` constants are shared with `test_answers.py`, which checks the
same behaviours through a real server; records are compared as dnspython's
'owner TTL IN TYPE value' text so both files read the same.
"""

from __future__ import annotations

import random

import dns.rdatatype
import pytest

from r53emu.answer.lookup import lookup
from r53emu.model import apexdefaults, names
from r53emu.model.catalog import Catalog
from r53emu.model.query import (
    RCODE_NOERROR,
    RCODE_NXDOMAIN,
    RCODE_REFUSED,
    Answer,
    Outcome,
    QueryContext,
    ResourceRecord,
)
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import write_zones

DS_DIGEST = "3f1a6b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"

ZONE_FILES = {
    "example.test.yaml": f"""\
        zone: example.test
        ttl: 300
        record_sets:
          - {{name: "@", type: A, alias: {{name: www.example.test}}}}
          - {{name: "@", type: MX, records: ["10 mail.example.test.", "20 mx.elsewhere.example."]}}
          - {{name: "@", type: TXT, records: ["apex text"]}}
          - {{name: www, type: A, ttl: 60,
             records: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4]}}
          - {{name: www, type: AAAA, ttl: 60, records: ["2001:db8::1"]}}
          - {{name: www, type: TXT, ttl: 60, records: ["www text"]}}
          - {{name: shop, type: A, alias: {{name: www.example.test.}}}}
          - {{name: chain, type: A, alias: {{name: shop.example.test}}}}
          - {{name: app, type: CNAME, ttl: 120, records: [www.example.test.]}}
          - {{name: away, type: CNAME, ttl: 120, records: [target.elsewhere.example.]}}
          - {{name: link, type: CNAME, alias: {{name: app.example.test.}}}}
          - {{name: mail, type: A, records: [192.0.2.25]}}
          - {{name: mail, type: AAAA, records: ["2001:db8::25"]}}
          - {{name: _sip._tcp, type: SRV,
             records: ["10 60 5060 sip.example.test.", "20 0 5060 sip.elsewhere.example."]}}
          - {{name: sip, type: A, records: [192.0.2.50]}}
          - {{name: dev, type: NS, ttl: 3600,
             records: [ns1.dev.example.test., ns2.example.test., ns.elsewhere.example.]}}
          - {{name: ns1.dev, type: A, ttl: 3600, records: [192.0.2.53]}}
          - {{name: ns1.dev, type: AAAA, ttl: 3600, records: ["2001:db8::53"]}}
          - {{name: ns2, type: A, records: [192.0.2.54]}}
          - {{name: secure, type: NS, records: [ns.elsewhere.example.]}}
          - {{name: secure, type: DS, records: ["12345 13 2 {DS_DIGEST}"]}}
          - {{name: "*.apps", type: A, ttl: 30, records: [192.0.2.80]}}
          - {{name: "*.apps", type: TXT, ttl: 30, records: ["wild text"]}}
          - {{name: exact.apps, type: A, records: [192.0.2.81]}}
          - {{name: texty.apps, type: TXT, records: ["only text"]}}
          - {{name: leaf.branch.apps, type: A, records: [192.0.2.82]}}
          - {{name: host.child, type: A, records: [192.0.2.7]}}
          - {{name: only-in-parent.child, type: A, records: [192.0.2.8]}}
        """,
    # Hosted here too: the most specific zone answers for its names (semantics §2.5).
    "child.example.test.yaml": """\
        zone: child.example.test
        record_sets:
          - {name: host, type: A, ttl: 300, records: [198.51.100.7]}
        """,
    # Name servers inside the zone: an NS answer carries their addresses in ADDITIONAL.
    "inzone.test.yaml": """\
        zone: inzone.test
        nameservers: [ns1.inzone.test., ns2.inzone.test., ns.elsewhere.example.]
        record_sets:
          - {name: ns1, type: A, ttl: 300, records: [192.0.2.201]}
          - {name: ns2, type: AAAA, ttl: 300, records: ["2001:db8::202"]}
        """,
    # Route 53's documented trick: alias `*` to the apex; plus a wildcard CNAME under an ENT.
    "trick.test.yaml": """\
        zone: trick.test
        record_sets:
          - {name: "@", type: A, ttl: 300, records: [192.0.2.90]}
          - {name: "*", type: A, alias: {name: trick.test}}
          - {name: "*.docs", type: CNAME, ttl: 300, records: [trick.test.]}
        """,
    # SOA MINIMUM below the SOA TTL: negative answers use the smaller (RFC 2308 §3).
    "short.test.yaml": """\
        zone: short.test
        soa: {minimum: 60}
        """,
}


def apex_ns_texts(zone: str) -> set[str]:
    """The default apex NS rrset of `zone` (four awsdns names, TTL 172800) as record texts."""
    return {f"{zone}. 172800 IN NS {ns}" for ns in apexdefaults.nameservers(f"{zone}.")}


def soa_text(zone: str, ttl: int = 900, minimum: int = 86400) -> str:
    """The default SOA of `zone` as Route 53 creates it (semantics §1.1) at `ttl`."""
    mname = apexdefaults.nameservers(f"{zone}.")[0]
    return (
        f"{zone}. {ttl} IN SOA {mname} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 {minimum}"
    )


EXAMPLE_NS = apex_ns_texts("example.test")
EXAMPLE_SOA = soa_text("example.test")
WWW_ADDRESSES = ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4")


def www_a_texts(owner: str) -> set[str]:
    """The four simple A values of www (TTL 60) as answered under `owner`."""
    return {f"{owner} 60 IN A {address}" for address in WWW_ADDRESSES}


WWW_ADDITIONAL = www_a_texts("www.example.test.") | {"www.example.test. 60 IN AAAA 2001:db8::1"}
MAIL_ADDITIONAL = {
    "mail.example.test. 300 IN A 192.0.2.25",
    "mail.example.test. 300 IN AAAA 2001:db8::25",
}
DEV_NS = {
    "dev.example.test. 3600 IN NS ns1.dev.example.test.",
    "dev.example.test. 3600 IN NS ns2.example.test.",
    "dev.example.test. 3600 IN NS ns.elsewhere.example.",
}
DEV_GLUE = {
    "ns1.dev.example.test. 3600 IN A 192.0.2.53",
    "ns1.dev.example.test. 3600 IN AAAA 2001:db8::53",
    "ns2.example.test. 300 IN A 192.0.2.54",
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The catalog of `ZONE_FILES`, loaded once for the module."""
    return load_catalog(write_zones(tmp_path_factory.mktemp("zones"), ZONE_FILES))


def ask(catalog: Catalog, name: str, rdtype: str | int = "A", seed: int = 0) -> Answer:
    """Look up `name` (kept as written, case included) and `rdtype` with a seeded rng."""
    qtype = dns.rdatatype.from_text(rdtype) if isinstance(rdtype, str) else rdtype
    query = QueryContext(qname=names.parse(name), qtype=qtype)
    return lookup(catalog, query, random.Random(seed))


def texts(records: tuple[ResourceRecord, ...]) -> set[str]:
    """Each record as 'owner TTL IN TYPE value' (dnspython's text form), as a set."""
    return {
        f"{names.to_text(rr.name)} {rr.ttl} IN {type_text(rr.rtype)} {rr.text}" for rr in records
    }


def type_text(rtype: int) -> str:
    """A record type's mnemonic as dnspython writes it (TYPE666 for unknown codes)."""
    return dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rtype))


def assert_answer(answer: Answer, records: set[str], authority: set[str] = EXAMPLE_NS) -> None:
    """A positive authoritative answer: NOERROR, AA, these records, apex NS in authority."""
    assert (answer.outcome, answer.rcode, answer.authoritative) == (
        Outcome.ANSWER,
        RCODE_NOERROR,
        True,
    )
    assert texts(answer.answer) == records
    assert texts(answer.authority) == authority


def assert_negative(answer: Answer, outcome: Outcome, soa: str = EXAMPLE_SOA) -> None:
    """NODATA or NXDOMAIN: AA, no answer, only the zone SOA in authority, no additional."""
    rcode = RCODE_NXDOMAIN if outcome is Outcome.NXDOMAIN else RCODE_NOERROR
    assert (answer.outcome, answer.rcode, answer.authoritative) == (outcome, rcode, True)
    assert answer.answer == ()
    assert texts(answer.authority) == {soa}
    assert answer.additional == ()


# --- zone selection ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["www.example.org", "test", ".", "example.test.evil"])
def test_name_in_no_hosted_zone_is_refused(catalog: Catalog, name: str) -> None:
    """A name outside every hosted zone (parents of a zone included) is REFUSED, AA=0, empty."""
    answer = ask(catalog, name)
    assert (answer.outcome, answer.rcode, answer.authoritative) == (
        Outcome.REFUSED,
        RCODE_REFUSED,
        False,
    )
    assert answer.answer == answer.authority == answer.additional == ()


def test_most_specific_hosted_zone_answers(catalog: Catalog) -> None:
    """A name in both a parent and a hosted child zone is answered from the child."""
    answer = ask(catalog, "host.child.example.test")
    assert_answer(
        answer,
        {"host.child.example.test. 300 IN A 198.51.100.7"},
        authority=apex_ns_texts("child.example.test"),
    )
    assert answer.zone == names.parse("child.example.test")


def test_parent_only_record_below_hosted_child_is_nxdomain_from_child(catalog: Catalog) -> None:
    """A record the parent has below a hosted child zone is invisible: the child says NXDOMAIN."""
    answer = ask(catalog, "only-in-parent.child.example.test")
    assert_negative(answer, Outcome.NXDOMAIN, soa_text("child.example.test"))


# --- delegations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rdtype"),
    [("dev.example.test", "A"), ("dev.example.test", "NS"), ("a.b.dev.example.test", "AAAA")],
)
def test_delegated_name_gets_referral(catalog: Catalog, name: str, rdtype: str) -> None:
    """At and below a cut: NOERROR, AA=0, child NS in authority, in-zone glue in additional."""
    answer = ask(catalog, name, rdtype)
    assert (answer.outcome, answer.rcode, answer.authoritative) == (
        Outcome.REFERRAL,
        RCODE_NOERROR,
        False,
    )
    assert answer.answer == ()
    assert texts(answer.authority) == DEV_NS
    assert texts(answer.additional) == DEV_GLUE


def test_ds_at_cut_is_answered_by_parent(catalog: Catalog) -> None:
    """DS at a delegation point is the parent's data: authoritative answer, apex NS."""
    answer = ask(catalog, "secure.example.test", "DS")
    assert_answer(answer, {f"secure.example.test. 300 IN DS 12345 13 2 {DS_DIGEST}"})


def test_missing_ds_at_cut_is_nodata(catalog: Catalog) -> None:
    """DS at a cut without a DS record set is authoritative NODATA with the SOA."""
    assert_negative(ask(catalog, "dev.example.test", "DS"), Outcome.NODATA)


def test_ds_below_cut_is_referral(catalog: Catalog) -> None:
    """DS for a name below a cut belongs to the child: referral, not the parent's DS."""
    answer = ask(catalog, "x.secure.example.test", "DS")
    assert answer.outcome is Outcome.REFERRAL
    assert texts(answer.authority) == {"secure.example.test. 300 IN NS ns.elsewhere.example."}
    assert answer.additional == ()


# --- CNAME and additional section -----------------------------------------------------------


@pytest.mark.parametrize("rdtype", ["A", "AAAA", "TXT", "MX"])
def test_cname_answers_alone_with_target_addresses(catalog: Catalog, rdtype: str) -> None:
    """Any type at a CNAME: only the CNAME (no chasing), the in-zone target's A/AAAA additional."""
    answer = ask(catalog, "app.example.test", rdtype)
    assert answer.outcome is Outcome.CNAME
    assert answer.authoritative
    assert texts(answer.answer) == {"app.example.test. 120 IN CNAME www.example.test."}
    assert texts(answer.authority) == EXAMPLE_NS
    assert texts(answer.additional) == WWW_ADDITIONAL


def test_cname_query_returns_the_cname(catalog: Catalog) -> None:
    """A CNAME query at a CNAME name returns that CNAME (with the target's addresses)."""
    answer = ask(catalog, "app.example.test", "CNAME")
    assert_answer(answer, {"app.example.test. 120 IN CNAME www.example.test."})
    assert texts(answer.additional) == WWW_ADDITIONAL


def test_cname_to_outside_target_has_no_additional(catalog: Catalog) -> None:
    """A CNAME to a name outside the zone gets no additional records."""
    answer = ask(catalog, "away.example.test")
    assert texts(answer.answer) == {"away.example.test. 120 IN CNAME target.elsewhere.example."}
    assert answer.additional == ()


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


def test_default_apex_ns_answer(catalog: Catalog) -> None:
    """NS at a default apex: the four awsdns names at TTL 172800, no authority, no additional."""
    answer = ask(catalog, "example.test", "NS")
    assert_answer(answer, EXAMPLE_NS, authority=set())
    assert answer.additional == ()


# --- NODATA, NXDOMAIN, negative TTL ---------------------------------------------------------


@pytest.mark.parametrize("rdtype", ["MX", "SOA", "TYPE666", "MD", "MF", "NULL", "WKS", "NAPTR"])
def test_absent_type_is_nodata(catalog: Catalog, rdtype: str) -> None:
    """A type the name lacks (unknown and obsolete types included) is NODATA with the SOA."""
    assert_negative(ask(catalog, "www.example.test", rdtype), Outcome.NODATA)


def test_missing_name_is_nxdomain(catalog: Catalog) -> None:
    """A name the zone lacks (and no wildcard covers) is NXDOMAIN with the SOA at TTL 900."""
    assert_negative(ask(catalog, "nowhere.example.test"), Outcome.NXDOMAIN)


def test_negative_ttl_is_soa_minimum_when_smaller(catalog: Catalog) -> None:
    """With SOA MINIMUM 60 < SOA TTL 900 the SOA in a negative answer has TTL 60."""
    short_soa = soa_text("short.test", ttl=60, minimum=60)
    assert_negative(ask(catalog, "nowhere.short.test"), Outcome.NXDOMAIN, short_soa)
    assert_negative(ask(catalog, "short.test", "TXT"), Outcome.NODATA, short_soa)


# --- positive answers and simple routing ----------------------------------------------------


def test_positive_answer_has_every_value_and_apex_ns(catalog: Catalog) -> None:
    """A simple record set answers with all its values, the apex NS in authority, no additional."""
    answer = ask(catalog, "www.example.test")
    assert_answer(answer, www_a_texts("www.example.test."))
    assert len(answer.authority) == 4
    assert answer.additional == ()


def test_simple_values_come_in_random_order(catalog: Catalog) -> None:
    """Simple routing returns every value each time, in an order that varies between answers."""
    orders = set()
    for seed in range(50):
        answer = ask(catalog, "www.example.test", seed=seed)
        values = tuple(rr.text for rr in answer.answer)
        assert sorted(values) == sorted(WWW_ADDRESSES)
        orders.add(values)
    assert len(orders) > 1


def test_apex_soa_query_answers_soa_at_its_own_ttl(catalog: Catalog) -> None:
    """An SOA query at the apex answers the stored SOA (TTL 900), apex NS in authority."""
    assert_answer(ask(catalog, "example.test", "SOA"), {EXAMPLE_SOA})


# --- wildcards ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["zenith.apps.example.test", "a.zenith.apps.example.test", "p.a.z.apps.example.test"]
)
def test_wildcard_covers_its_level_and_deeper(catalog: Catalog, name: str) -> None:
    """`*.apps` answers names one or more levels below apps, with the query name as owner."""
    assert_answer(ask(catalog, name), {f"{name}. 30 IN A 192.0.2.80"})


def test_exact_name_wins_over_wildcard(catalog: Catalog) -> None:
    """An existing name uses its own records, never the wildcard's."""
    assert_answer(
        ask(catalog, "exact.apps.example.test"), {"exact.apps.example.test. 300 IN A 192.0.2.81"}
    )


def test_wildcard_does_not_match_its_parent(catalog: Catalog) -> None:
    """`*.apps` gives nothing to `apps` itself (an empty non-terminal there: NODATA)."""
    assert_negative(ask(catalog, "apps.example.test"), Outcome.NODATA)


def test_existing_name_with_other_types_is_nodata_not_wildcard(catalog: Catalog) -> None:
    """A name that exists with other types does not fall back to the wildcard: NODATA."""
    assert_negative(ask(catalog, "texty.apps.example.test", "A"), Outcome.NODATA)


def test_empty_non_terminal_is_nodata(catalog: Catalog) -> None:
    """An empty non-terminal under a wildcard is NODATA, not the wildcard's data."""
    assert_negative(ask(catalog, "branch.apps.example.test"), Outcome.NODATA)


def test_empty_non_terminal_blocks_wildcard_below_it(catalog: Catalog) -> None:
    """Below an empty non-terminal the wildcard above does not apply: NXDOMAIN (RFC 4592)."""
    assert_negative(ask(catalog, "x.branch.apps.example.test"), Outcome.NXDOMAIN)


def test_literal_star_query_matches_wildcard_record(catalog: Catalog) -> None:
    """A query for `*.apps` itself answers the wildcard record set."""
    assert_answer(ask(catalog, "*.apps.example.test"), {"*.apps.example.test. 30 IN A 192.0.2.80"})


def test_name_below_existing_name_is_nxdomain(catalog: Catalog) -> None:
    """Below an existing name the closest encloser is that name, which has no wildcard: NXDOMAIN."""
    assert_negative(ask(catalog, "x.exact.apps.example.test"), Outcome.NXDOMAIN)


def test_wildcard_alias_to_apex(catalog: Catalog) -> None:
    """`*` aliased to the apex gives every missing name the apex A, under the query name."""
    answer = ask(catalog, "a.b.trick.test")
    assert_answer(answer, {"a.b.trick.test. 300 IN A 192.0.2.90"}, apex_ns_texts("trick.test"))


def test_apex_wildcard_does_not_answer_apex(catalog: Catalog) -> None:
    """The apex wildcard gives nothing to the apex itself: a type it lacks there is NODATA."""
    assert_negative(ask(catalog, "trick.test", "MX"), Outcome.NODATA, soa_text("trick.test"))


def test_wildcard_cname_answers_with_target_addresses(catalog: Catalog) -> None:
    """A wildcard CNAME answers under the query name, with the in-zone target's A additional."""
    answer = ask(catalog, "x.docs.trick.test", "AAAA")
    assert answer.outcome is Outcome.CNAME
    assert texts(answer.answer) == {"x.docs.trick.test. 300 IN CNAME trick.test."}
    assert texts(answer.additional) == {"trick.test. 300 IN A 192.0.2.90"}


def test_empty_non_terminal_blocks_apex_wildcard(catalog: Catalog) -> None:
    """`docs` (only `*.docs` below it) is an empty non-terminal: NODATA, not the apex `*`."""
    assert_negative(ask(catalog, "docs.trick.test"), Outcome.NODATA, soa_text("trick.test"))


def test_wildcard_name_lacking_type_is_nodata(catalog: Catalog) -> None:
    """A wildcard-covered name asking a type the wildcard lacks gets NODATA with the SOA."""
    assert_negative(ask(catalog, "zenith.apps.example.test", "AAAA"), Outcome.NODATA)


def test_wildcard_answers_any_type_it_has(catalog: Catalog) -> None:
    """The wildcard's other record sets answer too, under the query name."""
    answer = ask(catalog, "zenith.apps.example.test", "TXT")
    assert_answer(answer, {'zenith.apps.example.test. 30 IN TXT "wild text"'})


# --- case ------------------------------------------------------------------------------------


def test_matching_ignores_case_and_echoes_query_name(catalog: Catalog) -> None:
    """Mixed-case names match lower-case records; the answer owner keeps the query's case."""
    answer = ask(catalog, "wWw.ExAmPlE.TeSt")
    assert_answer(answer, www_a_texts("wWw.ExAmPlE.TeSt."))
    assert {rr.name for rr in answer.answer} == {(b"wWw", b"ExAmPlE", b"TeSt")}


def test_wildcard_owner_keeps_query_case(catalog: Catalog) -> None:
    """A wildcard answer's owner is the query name exactly as sent."""
    answer = ask(catalog, "Zenith.APPS.example.test")
    assert {rr.name for rr in answer.answer} == {(b"Zenith", b"APPS", b"example", b"test")}


# --- ANY ------------------------------------------------------------------------------------


def test_any_returns_every_rrset_at_the_name(catalog: Catalog) -> None:
    """ANY at www returns its A, AAAA and TXT record sets, apex NS in authority."""
    assert_answer(
        ask(catalog, "www.example.test", "ANY"),
        www_a_texts("www.example.test.")
        | {"www.example.test. 60 IN AAAA 2001:db8::1", 'www.example.test. 60 IN TXT "www text"'},
    )


def test_any_at_apex_includes_alias_as_its_type(catalog: Catalog) -> None:
    """ANY at the apex: alias A as A, MX, TXT, NS and SOA; NS not repeated in authority."""
    answer = ask(catalog, "example.test", "ANY")
    assert_answer(
        answer,
        www_a_texts("example.test.")
        | EXAMPLE_NS
        | {
            EXAMPLE_SOA,
            'example.test. 300 IN TXT "apex text"',
            "example.test. 300 IN MX 10 mail.example.test.",
            "example.test. 300 IN MX 20 mx.elsewhere.example.",
        },
        authority=set(),
    )
    assert texts(answer.additional) == MAIL_ADDITIONAL


# --- aliases --------------------------------------------------------------------------------


def test_alias_answers_with_own_name_type_and_target_ttl(catalog: Catalog) -> None:
    """An A alias answers as A under its own name with the target's values and TTL."""
    assert_answer(ask(catalog, "shop.example.test"), www_a_texts("shop.example.test."))


def test_alias_at_apex(catalog: Catalog) -> None:
    """An alias at the zone apex answers like any alias."""
    assert_answer(ask(catalog, "example.test"), www_a_texts("example.test."))


def test_alias_chain_reaches_final_records(catalog: Catalog) -> None:
    """alias -> alias -> records answers the final values and TTL under the first alias's name."""
    answer = ask(catalog, "chain.example.test")
    assert_answer(answer, www_a_texts("chain.example.test."))
    assert [decision.name for decision in answer.why] == [
        names.parse(name)
        for name in ("chain.example.test", "shop.example.test", "www.example.test")
    ]


def test_alias_does_not_answer_other_types(catalog: Catalog) -> None:
    """An A alias gives NODATA for AAAA although its target has AAAA."""
    assert_negative(ask(catalog, "shop.example.test", "AAAA"), Outcome.NODATA)


def test_cname_alias_to_cname_answers_the_cname(catalog: Catalog) -> None:
    """A CNAME-type alias to a CNAME answers that CNAME's value and TTL under the alias name."""
    answer = ask(catalog, "link.example.test", "A")
    assert answer.outcome is Outcome.CNAME
    assert texts(answer.answer) == {"link.example.test. 120 IN CNAME www.example.test."}
    assert texts(answer.additional) == WWW_ADDITIONAL

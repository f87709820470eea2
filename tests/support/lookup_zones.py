"""The zones the lookup tests answer from, and the record texts they expect (semantics §0-§2, §4).

`ZONE_FILES` is served both by the pure lookup tests of `tests/unit/answer/` and by the wire
tests of `tests/integration/answers/`; records are written as dnspython's 'owner TTL IN TYPE
value' text so both read the same.
"""

from __future__ import annotations

from r53emu.model import apexdefaults

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

"""ANY queries (semantics §2.7), on the wire: every record set at the name, aliases as their
declared type, the apex NS in authority unless the answer holds it, the MX target's addresses in
additional. A real server on 127.0.0.1 serves `ZONE_FILES` (tests/support/lookup_zones.py);
dnspython asks over UDP and over TCP, and each test asserts the header flags, the rcode and all
three sections.
"""

from __future__ import annotations

from tests.support.lookup_zones import EXAMPLE_NS, EXAMPLE_SOA, MAIL_ADDITIONAL, www_a_texts
from tests.support.wire_checks import Ask, Expected, assert_reply, positive


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

"""ANY queries (semantics §2.7), in the pure lookup: ANY answers every record set at the name,
aliases as their declared type, with the apex NS in authority unless the answer already holds it,
and the in-zone MX targets' addresses in additional.
"""

from __future__ import annotations

from r53emu.model.catalog import Catalog
from tests.support.lookup_checks import ask, assert_answer, texts
from tests.support.lookup_zones import EXAMPLE_NS, EXAMPLE_SOA, MAIL_ADDITIONAL, www_a_texts


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

"""Case (semantics §1.2, §2.2), in the pure lookup: names match case-insensitively, and the owner of
every answer record, a wildcard's included, is the query name with its case as sent.
"""

from __future__ import annotations

from r53emu.model.catalog import Catalog
from tests.support.lookup_checks import ask, assert_answer
from tests.support.lookup_zones import www_a_texts


def test_matching_ignores_case_and_echoes_query_name(catalog: Catalog) -> None:
    """Mixed-case names match lower-case records; the answer owner keeps the query's case."""
    answer = ask(catalog, "wWw.ExAmPlE.TeSt")
    assert_answer(answer, www_a_texts("wWw.ExAmPlE.TeSt."))
    assert {rr.name for rr in answer.answer} == {(b"wWw", b"ExAmPlE", b"TeSt")}


def test_wildcard_owner_keeps_query_case(catalog: Catalog) -> None:
    """A wildcard answer's owner is the query name exactly as sent."""
    answer = ask(catalog, "Zenith.APPS.example.test")
    assert {rr.name for rr in answer.answer} == {(b"Zenith", b"APPS", b"example", b"test")}

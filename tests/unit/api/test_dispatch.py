"""The dispatcher: every request gets Route 53's reply or its error document, never a traceback."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from r53emu.api import operations
from r53emu.api.dispatch import ApiDispatcher, max_body
from r53emu.api.hostedzones import ApiZones
from r53emu.api.ids import RandomIds
from r53emu.api.restxml import DEFAULT_MAX_BODY, LARGE_BODY
from r53emu.api.xmlread import Element, read_xml

WHEN = datetime(2024, 5, 1, tzinfo=UTC)
CREATE = (
    b'<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
    b"<Name>example.com</Name><CallerReference>r1</CallerReference></CreateHostedZoneRequest>"
)


@pytest.fixture
def dispatcher() -> ApiDispatcher:
    return ApiDispatcher(ApiZones(clock=lambda: WHEN, ids=RandomIds(random.Random(3))))


def _error(body: bytes) -> tuple[str, str]:
    root = read_xml(body, root="ErrorResponse", namespaces=frozenset({None, *_NS}))
    error = _child(root, "Error")
    return _child(error, "Code").text, _child(error, "Message").text


_NS = {"https://route53.amazonaws.com/doc/2013-04-01/"}


def _child(element: Element, name: str) -> Element:
    return next(child for child in element.children if child.name == name)


def test_a_zone_is_created_with_201_and_its_location(dispatcher: ApiDispatcher) -> None:
    reply = dispatcher.handle("POST", "/2013-04-01/hostedzone", {}, {}, CREATE)
    assert reply.status == 201
    assert reply.headers["Location"].startswith(
        "https://route53.amazonaws.com/2013-04-01/hostedzone/Z"
    )
    assert reply.headers["x-amzn-RequestId"]
    assert b"<CreateHostedZoneResponse" in reply.body


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "words"),
    [
        ("GET", "/nowhere", b"", 404, "InvalidAction", "No Route 53 operation"),
        ("PUT", "/2013-04-01/hostedzone", b"", 405, "InvalidAction", "GET, POST"),
        ("GET", "/2013-04-01/trafficpolicies", b"", 501, "NotImplemented", "ListTrafficPolicies"),
        ("POST", "/2013-04-01/hostedzone", b"<oops", 400, "InvalidInput", "Invalid XML"),
        ("GET", "/2013-04-01/hostedzone/ZNOPE000000000", b"", 404, "NoSuchHostedZone", "ZNOPE"),
    ],
)
def test_failures_are_route53_error_documents(
    dispatcher: ApiDispatcher,
    method: str,
    path: str,
    body: bytes,
    status: int,
    code: str,
    words: str,
) -> None:
    reply = dispatcher.handle(method, path, {}, {}, body)
    assert reply.status == status
    found_code, message = _error(reply.body)
    assert found_code == code
    assert words in message


def test_a_bug_is_an_internal_failure_and_logged(
    dispatcher: ApiDispatcher, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(zones: ApiZones, params: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("secret detail")

    monkeypatch.setitem(operations.OPERATIONS, "GetHostedZoneCount", broken)  # type: ignore[index]
    with caplog.at_level(logging.ERROR):
        reply = dispatcher.handle("GET", "/2013-04-01/hostedzonecount", {}, {}, b"")
    assert reply.status == 500
    code, message = _error(reply.body)
    assert code == "InternalFailure"
    assert "GetHostedZoneCount" in message
    assert b"secret detail" not in reply.body
    assert b"Traceback" not in reply.body
    assert "secret detail" in caplog.text


def test_body_limits_follow_the_operation() -> None:
    assert max_body("POST", "/2013-04-01/hostedzone/Z1/rrset/") == LARGE_BODY
    assert max_body("POST", "/2013-04-01/hostedzone") == DEFAULT_MAX_BODY
    assert max_body("GET", "/unknown") == DEFAULT_MAX_BODY

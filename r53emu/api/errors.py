"""Route 53's error responses: the `ApiError` an operation raises, and the document it becomes.

`error_response` writes Route 53's `ErrorResponse` (the shape botocore reads for rest-xml errors);
InvalidChangeBatch is that same document with every message in one `Message`, `[first, second]`
(see `restxml`'s docstring); a request no operation takes is `InvalidAction`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # only builds documents
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

from r53emu.api.servicemodel import NAMESPACE

CONTENT_TYPE = "text/xml"  # what Route 53 sends
# Characters XML 1.0 cannot carry; written as \\uXXXX so the document stays valid (as
# ops/testdnsanswer.py does).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Reply(NamedTuple):
    """An HTTP response to send: status, headers and body."""

    status: int
    headers: dict[str, str]
    body: bytes


class ApiError(Exception):
    """An error Route 53 would answer with: its `code`, `message`, HTTP `status`, whether the
    sender is at fault (`Type` Sender, else Receiver) and extra `headers` (a 405's `Allow`)."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        sender: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender
        self.headers = dict(headers or {})


def error_response(
    code: str, message: str, status: int, request_id: str, sender: bool = True
) -> Reply:
    """Route 53's error document, the shape botocore reads for rest-xml errors."""
    root = ET.Element("ErrorResponse", xmlns=NAMESPACE)
    details = ET.SubElement(root, "Error")
    ET.SubElement(details, "Type").text = "Sender" if sender else "Receiver"
    ET.SubElement(details, "Code").text = xml_safe(code)
    ET.SubElement(details, "Message").text = xml_safe(message)
    ET.SubElement(root, "RequestId").text = xml_safe(request_id)
    headers = {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": request_id}
    return Reply(status, headers, document_bytes(root))


def render_error(error: ApiError, request_id: str) -> Reply:
    """`error_response` for an `ApiError`, with its extra headers."""
    reply = error_response(error.code, error.message, error.status, request_id, error.sender)
    reply.headers.update(error.headers)
    return reply


def invalid_change_batch(messages: Sequence[str]) -> ApiError:
    """InvalidChangeBatch (400) reporting every message, as Route 53 lists them: `[a, b]`."""
    return ApiError("InvalidChangeBatch", "[" + ", ".join(messages) + "]")


def no_such_operation(method: str, path: str, allowed: Collection[str] = ()) -> ApiError:
    """The error for a request no operation takes: 404 for an unknown path, 405 (with `Allow`)
    for a path whose operations take other methods. The code is InvalidAction, AWS's common
    error for "the action or operation requested is invalid" (Route 53 documents none)."""
    shown = path.partition("?")[0]
    if allowed:
        methods = ", ".join(sorted(allowed))
        return ApiError(
            "InvalidAction",
            f"{method} is not allowed on {shown}: its operations take {methods}",
            405,
            headers={"Allow": methods},
        )
    return ApiError(
        "InvalidAction", f"No Route 53 operation (API 2013-04-01) takes {method} {shown}", 404
    )


def xml_safe(text: str) -> str:
    return _NOT_XML.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def document_bytes(root: ET.Element) -> bytes:
    # ElementTree escapes &, < and > in text; the declaration is the one Route 53 sends.
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    return text.encode("utf-8")

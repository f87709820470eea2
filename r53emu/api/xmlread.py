"""A hardened reader of XML request bodies: bytes in, a small tree of frozen `Element`s out.

Request bodies come from anyone who can reach the admin port, so the reader refuses, each with
an `XmlReadError` naming what was wrong (its `kind`) before doing any work the refusal spares:

- a body over `max_bytes`, before parsing (`TOO_LARGE`);
- bytes that are not UTF-8, or a declaration naming another encoding (`NOT_UTF8`): every SDK
  sends UTF-8, and one decoding rule leaves nothing to guess;
- any DOCTYPE (`DOCTYPE`), refused at its first byte: no entity can be declared, internal or
  external, so no entity expansion (the "billion laughs") and no external entity (XXE) is
  possible; an entity declaration or external reference is refused again should one ever get
  through, and parameter entities are never parsed;
- elements nested deeper than `max_depth` (`TOO_DEEP`), refused when the first one too deep
  opens, however deep the rest goes;
- a root element other than the expected one (`WRONG_ROOT`), or in a namespace not accepted
  (`WRONG_NAMESPACE`), refused at the root's start tag;
- anything else that is not well-formed XML (`NOT_XML`), with expat's message and position.

The parser is the standard library's expat, driven directly with namespace processing (an
element's name is split into `namespace` and local `name`); comments and processing
instructions are dropped and attributes are not kept (Route 53's model has none).
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from xml.parsers import expat

DEFAULT_MAX_BYTES = 32 * 1024
DEFAULT_MAX_DEPTH = 32  # the deepest Route 53 request (a record set's coordinates) has 8 levels

_SEPARATOR = " "  # between namespace and local name: a character no XML name can hold
_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})  # ASCII is a subset of UTF-8


class XmlErrorKind(enum.Enum):
    """Why a body was refused."""

    TOO_LARGE = "too large"
    NOT_UTF8 = "not UTF-8"
    NOT_XML = "not well-formed XML"
    DOCTYPE = "DOCTYPE or entity declaration"
    TOO_DEEP = "nested too deep"
    WRONG_ROOT = "wrong root element"
    WRONG_NAMESPACE = "wrong namespace"


class XmlReadError(ValueError):
    """A refused body: the `kind` of refusal and a message saying what was found; for
    WRONG_ROOT and WRONG_NAMESPACE, `found` is the root element's local name."""

    def __init__(self, kind: XmlErrorKind, message: str, found: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.found = found


@dataclass(frozen=True)
class Element:
    """An element: local `name`, `namespace` (None when it has none), the character data
    directly inside it (`text`, the pieces between children joined) and its `children`."""

    name: str
    namespace: str | None
    text: str
    children: tuple[Element, ...]


def read_xml(
    body: bytes,
    *,
    root: str,
    namespaces: Collection[str | None],
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Element:
    """The document's root element, which must be named `root` in one of `namespaces` (None
    standing for no namespace). Raises `XmlReadError` for every refusal the module lists."""
    if len(body) > max_bytes:
        raise XmlReadError(
            XmlErrorKind.TOO_LARGE,
            f"the request body is {len(body)} bytes, over the limit of {max_bytes} bytes",
        )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XmlReadError(
            XmlErrorKind.NOT_UTF8, f"the request body is not UTF-8 (byte {exc.start})"
        ) from None
    builder = _Builder(root, frozenset(namespaces), max_depth)
    parser = expat.ParserCreate(encoding="UTF-8", namespace_separator=_SEPARATOR)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.XmlDeclHandler = _check_declaration
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.text
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise XmlReadError(XmlErrorKind.NOT_XML, f"not well-formed XML: {exc}") from None
    assert builder.document is not None  # expat reports a document without a root element
    return builder.document


def _check_declaration(version: str, encoding: str | None, standalone: int) -> None:
    if encoding is not None and encoding.lower() not in _UTF8_NAMES:
        raise XmlReadError(
            XmlErrorKind.NOT_UTF8, f"the XML declaration names encoding {encoding!r}, not UTF-8"
        )


def _refuse_doctype(*_: object) -> None:
    raise XmlReadError(XmlErrorKind.DOCTYPE, "a DOCTYPE is not allowed in a request body")


def _refuse_entity(*_: object) -> None:
    raise XmlReadError(XmlErrorKind.DOCTYPE, "entities are not allowed in a request body")


def _refuse_external(
    _context: str, _base: str | None, _system: str | None, _public: str | None
) -> int:
    raise XmlReadError(XmlErrorKind.DOCTYPE, "external entities are not allowed")


def _split_name(qualified: str) -> tuple[str | None, str]:
    namespace, separator, local = qualified.rpartition(_SEPARATOR)
    return (namespace if separator else None), local


class _Builder:
    """expat's callbacks: a stack of open elements (name, namespace, text pieces, children)."""

    def __init__(self, root: str, namespaces: frozenset[str | None], max_depth: int) -> None:
        self._root = root
        self._namespaces = namespaces
        self._max_depth = max_depth
        self._open: list[tuple[str, str | None, list[str], list[Element]]] = []
        self.document: Element | None = None

    def start(self, qualified: str, _attributes: object) -> None:
        namespace, name = _split_name(qualified)
        if not self._open:
            self._check_root(name, namespace)
        elif len(self._open) >= self._max_depth:
            raise XmlReadError(
                XmlErrorKind.TOO_DEEP, f"elements are nested deeper than {self._max_depth} levels"
            )
        self._open.append((name, namespace, [], []))

    def end(self, _qualified: str) -> None:
        name, namespace, text, children = self._open.pop()
        element = Element(name, namespace, "".join(text), tuple(children))
        if self._open:
            self._open[-1][3].append(element)
        else:
            self.document = element

    def text(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)

    def _check_root(self, name: str, namespace: str | None) -> None:
        if name != self._root:
            raise XmlReadError(
                XmlErrorKind.WRONG_ROOT,
                f"the root element is {name}, expected {self._root}",
                found=name,
            )
        if namespace not in self._namespaces:
            shown = "no namespace" if namespace is None else f"namespace {namespace}"
            raise XmlReadError(
                XmlErrorKind.WRONG_NAMESPACE,
                f"the root element {name} is in {shown}",
                found=name,
            )

"""Load errors that name the file, the line and the field, as users need to fix them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from r53emu.zonefiles.quoting import MAX_MESSAGE_CHARS, clipped
from r53emu.zonefiles.sourcefile import LineDict, LineList


@dataclass(frozen=True, slots=True)
class ZoneError:
    """One problem in a zone file, shown as `zones/shop.yaml:14: record_sets[3].ttl: ...`.

    Line 0 means no line (a problem with a whole file or directory), shown `zones: does not exist`.
    """

    file: str
    line: int
    field: str
    message: str

    def __post_init__(self) -> None:
        # A message or path that quotes a huge value or key whole is cut (quoting.py).
        if len(self.message) > MAX_MESSAGE_CHARS or len(self.field) > MAX_MESSAGE_CHARS:
            object.__setattr__(self, "message", clipped(self.message))
            object.__setattr__(self, "field", clipped(self.field))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line > 0 else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ZoneLoadError(Exception):
    """Raised when zones cannot be loaded; holds every error found, in file order."""

    def __init__(self, errors: list[ZoneError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = tuple(errors)


_KEY, _INDEX, _ATTRIBUTE = 0, 1, 2  # how `Field.child` joins a key to the path


class Field:
    """A position in a zone file: the file, the dotted field path and its line.

    `Field.child` follows a key or index and picks up the line where that key or item stands, so
    code that walks a parsed file can report errors without tracking lines itself. A Field is
    not changed once made. Loading a zone makes about ten per record set and reads the path of
    very few (those with an error), so a child's path is only worked out when it is read.
    """

    __slots__ = ("_key", "_parent", "_path", "_step", "file", "line")

    def __init__(
        self,
        file: str,
        path: str | None,
        line: int,
        parent: Field | None = None,
        key: Any = None,
        step: int = 0,
    ) -> None:
        self.file = file
        self.line = line
        self._path = path  # None until worked out from the parent, the key and the step
        self._parent = parent
        self._key = key  # the key's shown name, or the key or index itself
        self._step = step  # _KEY, _INDEX or _ATTRIBUTE: how the key joins the parent's path

    @property
    def path(self) -> str:
        path = self._path
        if path is None:
            assert self._parent is not None
            parent, key = self._parent.path, self._key
            if self._step == _INDEX:
                path = f"{parent}[{key}]"
            elif self._step == _KEY:
                name = key if isinstance(key, str) else str(key)
                path = (f"{parent}.{name}" if parent else name) if name else parent
            else:
                path = f"{parent}.{key}" if parent else str(key)
            self._path = path
        return path

    def child(self, container: Any, key: Any) -> Field:
        """The field at `container[key]`, where `container` is the value at this field.

        A key that `container` lacks names the field where it belongs, at the container's line.
        A key whose shown name is empty adds nothing to the path: a JSON `Weight` is read as
        `weighted_routing_policy.weight`, and its errors must still name `Weight` alone.
        """
        if isinstance(container, LineDict):
            line = container.key_lines.get(key, container.line)
            return Field(self.file, None, line, self, container.key_names.get(key, key), _KEY)
        if isinstance(container, LineList):
            return Field(self.file, None, container.line_of(key), self, key, _INDEX)
        step = _INDEX if isinstance(key, int) else _ATTRIBUTE
        return Field(self.file, None, self.line, self, key, step)

    def error(self, message: str) -> ZoneError:
        return ZoneError(self.file, self.line, self.path, message)

    def __repr__(self) -> str:
        return f"Field(file={self.file!r}, path={self.path!r}, line={self.line!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Field):
            return NotImplemented
        return (self.file, self.path, self.line) == (other.file, other.path, other.line)

    def __hash__(self) -> int:
        return hash((self.file, self.path, self.line))

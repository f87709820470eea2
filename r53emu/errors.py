"""Load errors that name the file, the line and the field, as users need to fix them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from r53emu.sourcefile import LineDict, LineList


@dataclass(frozen=True, slots=True)
class ZoneError:
    """One problem in a zone file, shown as `zones/shop.yaml:14: record_sets[3].ttl: ...`."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ZoneLoadError(Exception):
    """Raised when zones cannot be loaded; holds every error found, in file order."""

    def __init__(self, errors: list[ZoneError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = tuple(errors)


@dataclass(frozen=True, slots=True)
class Field:
    """A position in a zone file: the file, the dotted field path and its line.

    `Field.child` follows a key or index and picks up the line where that key or item stands, so
    code that walks a parsed file can report errors without tracking lines itself.
    """

    file: str
    path: str
    line: int

    def child(self, container: Any, key: Any) -> Field:
        """The field at `container[key]`, where `container` is the value at this field.

        A key that `container` lacks names the field where it belongs, at the container's line.
        A key whose shown name is empty adds nothing to the path: a JSON `Weight` is read as
        `weighted_routing_policy.weight`, and its errors must still name `Weight` alone.
        """
        if isinstance(container, LineDict):
            name = container.name_of(key)
            if not name:
                return Field(self.file, self.path, container.line_of(key))
            path = f"{self.path}.{name}" if self.path else name
            return Field(self.file, path, container.line_of(key))
        if isinstance(container, LineList):
            return Field(self.file, f"{self.path}[{key}]", container.line_of(key))
        if isinstance(key, int):
            return Field(self.file, f"{self.path}[{key}]", self.line)
        return Field(self.file, f"{self.path}.{key}" if self.path else str(key), self.line)

    def error(self, message: str) -> ZoneError:
        return ZoneError(self.file, self.line, self.path, message)

"""r53emu: an emulator of Amazon Route 53's DNS answering.

The names below are imported on first use: the pytest plugin (an entry point every pytest run
of an environment with r53emu loads) imports this package, and should not pay for the server
and aiohttp unless a test asks for the `r53emu` fixture.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from r53emu.answer.lookup import lookup
    from r53emu.app import R53Emu, ServerConfig
    from r53emu.zonefiles.errors import ZoneError, ZoneLoadError
    from r53emu.zonefiles.loader import load_catalog

__version__ = "0.1.0"

_HOMES = {
    "R53Emu": "r53emu.app",
    "ServerConfig": "r53emu.app",
    "ZoneError": "r53emu.zonefiles.errors",
    "ZoneLoadError": "r53emu.zonefiles.errors",
    "lookup": "r53emu.answer.lookup",
    "load_catalog": "r53emu.zonefiles.loader",
}

__all__ = ["R53Emu", "ServerConfig", "ZoneError", "ZoneLoadError", "load_catalog", "lookup"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'r53emu' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)

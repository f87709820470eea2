"""r53emu: an emulator of Amazon Route 53's DNS answering."""

from r53emu.app import R53Emu, ServerConfig
from r53emu.errors import ZoneError, ZoneLoadError
from r53emu.lookup import lookup
from r53emu.zonefile import load_catalog

__version__ = "0.1.0"

__all__ = ["R53Emu", "ServerConfig", "ZoneError", "ZoneLoadError", "load_catalog", "lookup"]

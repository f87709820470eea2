"""The `catalog` the pure lookup tests of this directory ask: `ZONE_FILES`, loaded per module."""

from __future__ import annotations

import pytest

from r53emu.model.catalog import Catalog
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import write_zones
from tests.support.lookup_zones import ZONE_FILES


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The catalog of `ZONE_FILES`, loaded once for the module."""
    return load_catalog(write_zones(tmp_path_factory.mktemp("zones"), ZONE_FILES))

"""The garbage collector pause around zone loading: off while any load runs, restored after."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from r53emu.zonefiles.errors import ZoneLoadError
from r53emu.zonefiles.gcpause import collector_paused
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import write_zones


@pytest.fixture(autouse=True)
def collector_enabled() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_paused_inside_restored_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_pauses_in_two_threads_restore_once_both_end() -> None:
    """One thread's load ending does not turn the collector back on under another's."""
    inside, leave = threading.Event(), threading.Event()

    def other_load() -> None:
        with collector_paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other_load)
    thread.start()
    inside.wait(5)
    with collector_paused():
        pass
    assert not gc.isenabled()  # the other thread is still loading
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_program_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_load_catalog_restores_the_collector_after_success_and_failure(tmp_path: Path) -> None:
    good = write_zones(tmp_path / "good", {"a.yaml": "zone: a.test\nttl: 60\nrecord_sets: []\n"})
    load_catalog(good)
    assert gc.isenabled()
    bad = write_zones(tmp_path / "bad", {"a.yaml": "zone: a.test\nrecord_sets: [{name: x}]\n"})
    with pytest.raises(ZoneLoadError):
        load_catalog(bad)
    assert gc.isenabled()

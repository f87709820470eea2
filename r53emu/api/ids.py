"""The identifiers the API hands out (hosted zones, changes, requests) and how it reads them back.

The state never makes an identifier itself: it is given an `IdSource`, so tests get the same ids
on every run (`RandomIds(random.Random(seed))`) and the server can use a seed of its own.
Route 53's shapes: a hosted zone id is `Z` and 13 to 32 upper-case letters and digits (today's
are `Z` and 20: `Z0123456789ABCDEFGHIJ`), a change id `C` and the same, a request id a UUID.

Responses carry ids with their prefix (`/hostedzone/Z...`, `/change/C...`); botocore strips the
prefix from ids before it sends them, other clients may not, so `bare_id` accepts both.
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Protocol

ZONE_PREFIX = "/hostedzone/"
CHANGE_PREFIX = "/change/"
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ID_LENGTH = 20  # characters after the leading letter, as Route 53's ids have today
ZONE_ID = re.compile(r"Z[A-Z0-9]{13,32}")


class IdSource(Protocol):
    """Where the API's new identifiers come from."""

    def zone_id(self) -> str: ...

    def change_id(self) -> str: ...

    def request_id(self) -> str: ...


class RandomIds:
    """Route 53-shaped ids drawn from `rng` (seed it for ids that repeat from run to run)."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()

    def _letters(self, first: str) -> str:
        return first + "".join(self._rng.choices(_ALPHABET, k=_ID_LENGTH))

    def zone_id(self) -> str:
        return self._letters("Z")

    def change_id(self) -> str:
        return self._letters("C")

    def request_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


def bare_id(value: str, prefix: str) -> str:
    """`value` without its `/hostedzone/` (or `/change/`) prefix, as users may pass it."""
    return value[len(prefix) :] if value.startswith(prefix) else value

"""A zone whose every answer says which version of the file it came from, for reload tests."""

from __future__ import annotations

import textwrap

WATCH_BOUND = 10.0  # seconds for a saved file to be served: settling plus a loaded machine


def version(number: int) -> str:
    """Zone `reload.test` at version `number`: the TTL is 100 x number and the MX target, its
    glue and www's addresses end in the number, so a mixed answer shows."""
    return textwrap.dedent(
        f"""\
        zone: reload.test
        ttl: {100 * number}
        record_sets:
          - {{name: "@", type: MX, records: ["10 mail{number}.reload.test."]}}
          - {{name: mail{number}, type: A, records: [192.0.2.{number}]}}
          - {{name: www, type: A, records: [192.0.2.{number}, 198.51.100.{number}]}}
        """
    )

"""Named crash points for fault tests (`SSP_FAILPOINTS=outbox.before_publish,...`).

A failpoint ends the process at once, as a SIGKILL or a power cut would, so tests can prove
what survives a crash at that exact place. `name@key` arms it for one record key only, so a
test's crash is not triggered by other tests' records on a shared broker. Unset in production,
it costs one set lookup.
"""

from __future__ import annotations

import os
import sys

_ACTIVE = frozenset(filter(None, os.environ.get("SSP_FAILPOINTS", "").split(",")))
EXIT_CODE = 77


def failpoint(name: str, key: str | None = None) -> None:
    if name in _ACTIVE or (key is not None and f"{name}@{key}" in _ACTIVE):
        sys.stderr.write(f"failpoint {name} hit: exiting\n")
        sys.stderr.flush()
        os._exit(EXIT_CODE)

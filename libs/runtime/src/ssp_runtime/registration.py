"""How a service makes itself known to the document generators (`ssp_runtime.asyncapi`,
`ssp_runtime.operations_doc`) and the monitoring checks, without the runtime naming it.

Each service declares an entry point in the group `ssp.services` of its `pyproject.toml`,
named after the service and pointing at a `Registration` in its `app` module:

    [project.entry-points."ssp.services"]
    device-registry = "device_registry.app:REGISTRATION"

Building a registered service connects to nothing (its lifespan does).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from ssp_runtime.service import Service
from ssp_runtime.settings import ServiceSettings

ENTRY_POINT_GROUP = "ssp.services"


@dataclass(frozen=True)
class Endpoints:
    """HTTP routes a client calls besides every service's ops routes, on one listener."""

    listener: str  # how operations.md names the listener, e.g. "8000" or "device (8100)"
    routes: Sequence[Any]  # Starlette or FastAPI routes


@dataclass(frozen=True)
class Built:
    service: Service
    endpoints: Sequence[Endpoints] = ()


@dataclass(frozen=True)
class Registration:
    settings: type[ServiceSettings]
    build: Callable[[Any], Built]  # takes an instance of `settings`


@dataclass(frozen=True)
class Registered:
    name: str
    registration: Registration
    intro: str = field(default="")  # the docstring of the module registering it

    def build_demo(self) -> Built:
        """The service as it runs, in demo mode (no secrets needed)."""
        return self.registration.build(self.registration.settings(demo_mode=True))


def registered() -> dict[str, Registered]:
    """Every installed service, by name, in name order (so generated documents are stable)."""
    found: dict[str, Registered] = {}
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        registration = point.load()
        if not isinstance(registration, Registration):
            raise TypeError(f"entry point {point.name} = {point.value} is not a Registration")
        intro = (importlib.import_module(point.module).__doc__ or "").strip()
        found[point.name] = Registered(point.name, registration, intro)
    if not found:  # documents generated from nothing would look current
        raise LookupError(f"no service registers an entry point in {ENTRY_POINT_GROUP!r}: "
                          "are the services installed (make install)?")
    return found


def clear_settings_environment() -> None:
    """Generated documents must not depend on who runs the generator (a CLI process only)."""
    for key in [k for k in os.environ if k.startswith(("SSP_", "KAFKA_")) or
                k == "MONGODB_URL"]:
        del os.environ[key]
    # Per-instance names (e.g. the gateway's live-update consumer groups) must not be random.
    os.environ["SSP_INSTANCE_ID"] = "<instance-id>"

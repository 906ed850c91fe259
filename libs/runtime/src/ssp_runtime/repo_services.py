"""The services of this repository, built the way they run, for the document generators
(`ssp_runtime.asyncapi`, `ssp_runtime.operations_doc`). Building connects to nothing."""

from __future__ import annotations

import importlib
import os
from typing import Any

from ssp_runtime.service import Service

# name -> (package, "module:factory"); the factory takes the package's Settings.
SERVICES: dict[str, tuple[str, str]] = {
    "permission-service": ("permission_service", "app:build_service"),
    "device-registry": ("device_registry", "app:build_service"),
    "command-dispatcher": ("command_dispatcher", "app:Dispatcher"),
    "portal-gateway": ("portal_gateway", "app:create_app"),
}


def settings_class(name: str) -> Any:
    return importlib.import_module(f"{SERVICES[name][0]}.settings").Settings


def build(name: str) -> Any:
    """The service's Service, Dispatcher or FastAPI app, in demo mode (no secrets needed)."""
    package, factory = SERVICES[name]
    module, attr = factory.split(":")
    return getattr(importlib.import_module(f"{package}.{module}"), attr)(
        settings_class(name)(demo_mode=True))


def service_of(built: Any) -> Service:
    if isinstance(built, Service):
        return built
    service = getattr(built, "service", None) or built.state.service  # Dispatcher, FastAPI
    assert isinstance(service, Service)
    return service


def clear_settings_environment() -> None:
    """Generated documents must not depend on who runs the generator (a CLI process only)."""
    for key in [k for k in os.environ if k.startswith("SSP_") or k in
                ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL")]:
        del os.environ[key]
    # Per-instance names (e.g. the gateway's live-update consumer groups) must not be random.
    os.environ["SSP_INSTANCE_ID"] = "<instance-id>"

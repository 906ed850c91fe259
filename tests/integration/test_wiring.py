"""One service's process publishes, another's consumes through the real broker and persists
in the real database."""

from __future__ import annotations

import asyncio
import urllib.request

import pytest
from cryptography.fernet import Fernet

from tests.conftest import database_name
from tests.support.waiting import eventually


async def test_heartbeat_of_one_service_is_stored_by_another(services, mongo, run_id):
    permissions = services("permission_service")
    registry = services("device_registry")
    instance = permissions.get_json("/healthz")["instance"]

    peers = mongo[database_name(run_id, "device_registry")]["peers"]

    async def stored():
        return await peers.find_one({"service": "permission-service", "instance_id": instance})

    doc = await eventually(stored, timeout_s=30, what="permission-service heartbeat stored")
    assert doc["last_seen"] >= doc["started_at"]
    # The same fact is visible through the registry's own HTTP surface.
    listed = registry.get_json("/peers")["peers"]
    assert any(p["instance_id"] == instance for p in listed)


async def test_every_service_answers_health_and_metrics(services):
    secrets = {"command_dispatcher": {"SSP_SECRET_KEY": Fernet.generate_key().decode()}}
    for module in ("permission_service", "device_registry", "command_dispatcher",
                   "portal_gateway"):
        proc = services(module, **secrets.get(module, {}))
        assert proc.get_json("/healthz")["status"] == "ok"
        ready = proc.get_json("/readyz")
        assert ready["checks"] == {"database": "ok", "kafka": "ok"}
        text = await asyncio.to_thread(_get_text, proc.url + "/metrics")
        assert 'ssp_service_up{service="' in text
        assert "process_resident_memory_bytes" in text


async def test_dispatcher_refuses_to_start_without_a_secret_key_outside_demo_mode(services):
    with pytest.raises(RuntimeError, match="SSP_SECRET_KEY must be set"):
        services("command_dispatcher")


def _get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode()

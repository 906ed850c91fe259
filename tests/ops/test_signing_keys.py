"""The key pairs `make run` / `make test` generate fit together: each service, outside demo
mode, builds its signer or verifier from only its own part, and the readers accept what the
signers sign. No stack needed."""

from __future__ import annotations

from command_dispatcher.settings import Settings as DispatcherSettings
from permission_service.settings import Settings as PermissionSettings
from portal_gateway.settings import Settings as GatewaySettings
from ssp_contracts.commands import CommandAuthorized, CommandRequested
from ssp_devstack.signing_keys import for_service, signing_env


def test_each_service_gets_its_own_part_and_the_parts_fit(monkeypatch):
    env = signing_env()
    for name in env:
        monkeypatch.delenv(name, raising=False)
    parts = {module: for_service(module, env) for module in
             ("permission_service", "portal_gateway", "command_dispatcher")}
    assert "SSP_AUTHORIZATION_SIGNING_KEY" not in parts["command_dispatcher"]
    assert "SSP_PORTAL_REQUEST_SIGNING_KEY" not in parts["permission_service"]

    def settings(cls, module):
        with monkeypatch.context() as m:
            for name, value in parts[module].items():
                m.setenv(name, value)
            return cls(demo_mode=False)

    permission = settings(PermissionSettings, "permission_service")
    gateway = settings(GatewaySettings, "portal_gateway")
    dispatcher = settings(DispatcherSettings, "command_dispatcher")
    value = b'{"command_id": "c-1"}'
    authorized = permission.authorization_signer().headers(CommandAuthorized.event_type, value)
    dispatcher.authorization_verifier().verify(CommandAuthorized.event_type, value, authorized)
    requested = gateway.portal_request_signer().headers(CommandRequested.event_type, value)
    permission.portal_request_verifier().verify(CommandRequested.event_type, value, requested)

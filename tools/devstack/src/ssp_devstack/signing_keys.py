"""Fresh signing key pairs for a local run: the permission-service signs authorizations, the
gateway signs the portal's requests, and each reader trusts the matching public key.

Generated per `make run` / `make test`, never written to disk: a client on the local broker
cannot forge either kind of record. Which service gets which key is the table below; a process
launcher that starts them all alike (the tests) may pass every variable to every service.
"""

from __future__ import annotations

import json

from ssp_runtime.signing import new_key_pair

# Service module -> the variables it reads of `signing_env()`.
READERS = {
    "permission_service": ("SSP_AUTHORIZATION_SIGNING_KEY", "SSP_PORTAL_REQUEST_TRUSTED_KEYS"),
    "portal_gateway": ("SSP_PORTAL_REQUEST_SIGNING_KEY",),
    "command_dispatcher": ("SSP_AUTHORIZATION_TRUSTED_KEYS",),
}


def signing_env() -> dict[str, str]:
    authorization_private, authorization_public = new_key_pair()
    request_private, request_public = new_key_pair()
    return {
        "SSP_AUTHORIZATION_SIGNING_KEY": authorization_private,
        "SSP_AUTHORIZATION_TRUSTED_KEYS": json.dumps([authorization_public]),
        "SSP_PORTAL_REQUEST_SIGNING_KEY": request_private,
        "SSP_PORTAL_REQUEST_TRUSTED_KEYS": json.dumps([request_public]),
    }


def for_service(module: str, env: dict[str, str]) -> dict[str, str]:
    """The part of `env` (from `signing_env`) that `module` needs: no service holds another's
    private key."""
    return {name: env[name] for name in READERS.get(module, ()) if name in env}

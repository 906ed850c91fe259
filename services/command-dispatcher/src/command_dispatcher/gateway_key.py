"""The gateway's key that one-time secrets (new passcodes) are sealed to.

The key handling lives in `ssp_runtime.sealing`, shared with the gateway that opens them (the
demo key derivation is documented there). These names stay for code and tests that import
them from here.
"""

from __future__ import annotations

from ssp_runtime.sealing import DEMO_SEED, key_from_setting
from ssp_runtime.sealing import KeySettingError as GatewayKeyError
from ssp_runtime.sealing import demo_private_key as demo_gateway_private_key
from ssp_runtime.sealing import demo_public_key as demo_gateway_public_key

__all__ = ["DEMO_SEED", "GatewayKeyError", "demo_gateway_private_key",
           "demo_gateway_public_key", "parse_public_key"]


def parse_public_key(value: str) -> bytes:
    return key_from_setting(value, "SSP_GATEWAY_PUBLIC_KEY")

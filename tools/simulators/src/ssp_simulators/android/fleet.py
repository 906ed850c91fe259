"""A ready-made simulated enterprise: N devices cycling through the three management kinds."""

from __future__ import annotations

import random
from datetime import timedelta

from ssp_simulators.android.devices import DeviceKind, new_device
from ssp_simulators.android.state import AmapiState

DEFAULT_ENTERPRISE = "enterprises/LC00ssp0sim"
_KINDS = (DeviceKind.FULLY_MANAGED, DeviceKind.WORK_PROFILE_PERSONAL,
          DeviceKind.WORK_PROFILE_COMPANY)


def populated_state(
    devices: int = 3,
    *,
    enterprise: str = DEFAULT_ENTERPRISE,
    seed: int | None = None,
    completion_delay_s: float = 0.0,
    lost_mode_cooldown: timedelta = timedelta(0),
) -> AmapiState:
    """`devices` devices: fully managed, personal work profile, company-owned work profile, ..."""
    rng = random.Random(seed)  # noqa: S311 - simulated hardware facts, not secrets
    state = AmapiState(
        completion_delay_s=completion_delay_s, lost_mode_cooldown=lost_mode_cooldown
    )
    for index in range(devices):
        device = new_device(rng, _KINDS[index % len(_KINDS)], enterprise)
        device.enrollment_token_data = f"ssp-sim-{index}"
        state.add(device)
    return state

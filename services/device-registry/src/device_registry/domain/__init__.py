"""Pure rules of the device-registry: no I/O, so every rule is unit-tested in milliseconds.

import_outcomes, import_progress                           deciding rows, counting chunks
device_state (+ command_effects, inventory_merge)          folding reports and commands
reservations                                               links made before enrollment
"""

from device_registry.domain.command_effects import can_change_device
from device_registry.domain.device_state import (
    DeviceState,
    apply_command_status,
    apply_report,
    link,
    to_snapshot,
)
from device_registry.domain.errors import DeviceMismatch, DomainError
from device_registry.domain.import_outcomes import (
    RowDecision,
    count_outcomes,
    decide_row,
    to_apply,
)
from device_registry.domain.reservations import (
    Reservation,
    ReservationDecision,
    decide,
    match,
    reservation_for,
)

__all__ = [
    "DeviceMismatch", "DeviceState", "DomainError", "Reservation", "ReservationDecision",
    "RowDecision", "apply_command_status", "apply_report", "can_change_device",
    "count_outcomes", "decide", "decide_row", "link", "match", "reservation_for", "to_apply",
    "to_snapshot",
]

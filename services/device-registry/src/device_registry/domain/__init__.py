"""Pure rules of the device-registry: no I/O, so every rule is unit-tested in milliseconds.

csv_source -> csv_header -> csv_import -> import_chunks   parsing an upload, two passes
import_outcomes, report                                    deciding rows, the download
device_state (+ command_effects, inventory_merge)          folding reports and commands
reservations                                               links made before enrollment
"""

from device_registry.domain.command_effects import can_change_device
from device_registry.domain.csv_header import CsvColumns
from device_registry.domain.csv_import import CsvRows, ImportLimits, ImportScan, read_csv, scan
from device_registry.domain.device_state import (
    DeviceState,
    apply_command_status,
    apply_report,
    link,
    to_snapshot,
)
from device_registry.domain.errors import CsvFileError, DeviceMismatch, DomainError
from device_registry.domain.import_chunks import chunk_count, chunked, submissions
from device_registry.domain.import_outcomes import (
    RowDecision,
    count_outcomes,
    decide_row,
    to_apply,
)
from device_registry.domain.report import neutralise, report_csv
from device_registry.domain.reservations import (
    Reservation,
    ReservationDecision,
    decide,
    match,
    reservation_for,
)

__all__ = [
    "CsvColumns", "CsvFileError", "CsvRows", "DeviceMismatch", "DeviceState", "DomainError",
    "ImportLimits", "ImportScan", "Reservation", "ReservationDecision", "RowDecision",
    "apply_command_status", "apply_report", "can_change_device", "chunk_count", "chunked",
    "count_outcomes", "decide", "decide_row", "link", "match", "neutralise", "read_csv",
    "report_csv", "reservation_for", "scan", "submissions", "to_apply", "to_snapshot",
]

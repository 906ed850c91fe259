"""Event contracts of the device self-service portal: the only shared vocabulary of services."""

from ssp_contracts.access import RoleRef, UserAccess
from ssp_contracts.audit import AuditRecord, ServiceHeartbeat
from ssp_contracts.base import Contract, Event, utcnow
from ssp_contracts.commands import (
    CommandAuthorized,
    CommandCancelRequested,
    CommandParams,
    CommandRequested,
    CommandResult,
    CommandStatusChanged,
    ErrorDetail,
    Location,
)
from ssp_contracts.devices import (
    DeviceIdentifiers,
    DeviceInventory,
    DeviceOwner,
    DeviceReported,
    DeviceSnapshot,
)
from ssp_contracts.enums import (
    Action,
    CommandStatus,
    DeviceReportKind,
    LinkSource,
    ManagementMode,
    Permission,
    Platform,
    PlatformFamily,
)
from ssp_contracts.links import (
    ImportProgress,
    ImportRow,
    ImportRowOutcome,
    ImportRowsSubmitted,
    LinkRequested,
)
from ssp_contracts.reservations import ReservationReply, ReservationRequest, ReservationView
from ssp_contracts.rpc import (
    AdminReply,
    AdminRequest,
    CredentialsVerdict,
    FieldProblem,
    ReverifyPassword,
    ReverifyVerdict,
    VerifyCredentials,
)
from ssp_contracts.sessions import SessionEnded

EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (
        CommandRequested, CommandAuthorized, CommandCancelRequested, CommandStatusChanged,
        DeviceReported, DeviceSnapshot, LinkRequested, ImportRowsSubmitted, ImportProgress,
        UserAccess, AuditRecord, ServiceHeartbeat, VerifyCredentials, ReverifyPassword,
        AdminRequest, ReservationRequest, SessionEnded,
    )
}

__all__ = [
    "EVENT_TYPES",
    "Action",
    "AdminReply",
    "AdminRequest",
    "AuditRecord",
    "CommandAuthorized",
    "CommandCancelRequested",
    "CommandParams",
    "CommandRequested",
    "CommandResult",
    "CommandStatus",
    "CommandStatusChanged",
    "Contract",
    "CredentialsVerdict",
    "DeviceIdentifiers",
    "DeviceInventory",
    "DeviceOwner",
    "DeviceReportKind",
    "DeviceReported",
    "DeviceSnapshot",
    "ErrorDetail",
    "Event",
    "FieldProblem",
    "ImportProgress",
    "ImportRow",
    "ImportRowOutcome",
    "ImportRowsSubmitted",
    "LinkRequested",
    "LinkSource",
    "Location",
    "ManagementMode",
    "Permission",
    "Platform",
    "PlatformFamily",
    "ReservationReply",
    "ReservationRequest",
    "ReservationView",
    "ReverifyPassword",
    "ReverifyVerdict",
    "RoleRef",
    "ServiceHeartbeat",
    "SessionEnded",
    "UserAccess",
    "VerifyCredentials",
    "utcnow",
]

"""Simulated Windows devices that run OMA-DM (SyncML 1.2) sessions over real HTTP.

Each session opens with Alert 1201 + Replace ./DevInfo, answers every command with Status and
Results, and ends when a server message carries no commands. `unenroll` sends the
unenrollment alert (1226) that a user's "Disconnect" makes Windows send. The client certificate
travels URL-encoded in a header, as a TLS-terminating proxy forwards it.
"""

from ssp_simulators.windows.device import SimulatedWindowsDevice, new_laptop
from ssp_simulators.windows.fleet import WindowsFleet
from ssp_simulators.windows.session import SessionError, SessionReport, run_session, unenroll

__all__ = [
    "SessionError", "SessionReport", "SimulatedWindowsDevice", "WindowsFleet", "new_laptop",
    "run_session", "unenroll",
]

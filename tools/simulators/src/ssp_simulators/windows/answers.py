"""How the device answers each server command: Status codes, Results and side effects."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ssp_simulators.windows.device import SimulatedWindowsDevice
from ssp_simulators.windows.syncml import DeviceMessage, ServerCommand, ServerMessage

_REMOTE_WIPE = "./Device/Vendor/MSFT/RemoteWipe/"
_RESET_PIN = "./Vendor/MSFT/RemoteLock/LockAndResetPIN"
_DMCLIENT_PROVIDER = "./Vendor/MSFT/DMClient/Provider/"
ROLLED_BACK = "216"  # Atomic roll back OK
ATOMIC_FAILED = "507"
FORBIDDEN_IN_ATOMIC = "500"  # Get or nested Atomic directly inside an Atomic


@dataclass(frozen=True)
class Answer:
    cmd_ref: str
    cmd: str
    code: str
    values: dict[str, str] | None = None  # Results items, when the command reads


def _ok(code: str) -> bool:
    return code.startswith("2")


class Responder:
    """Runs the server's commands on one device during one session."""

    def __init__(
        self, device: SimulatedWindowsDevice, session_id: str, rng: random.Random
    ) -> None:
        self._device, self._session_id, self._rng = device, session_id, rng

    def answer(self, message: ServerMessage, out: DeviceMessage) -> None:
        out.status(message.msg_id, "0", "SyncHdr", "200")
        for command in message.requests:
            for answer in self._run(command):
                out.status(message.msg_id, answer.cmd_ref, answer.cmd, answer.code)
                if answer.values:
                    out.results(message.msg_id, answer.cmd_ref, answer.values)

    def _run(self, command: ServerCommand) -> list[Answer]:
        if command.verb == "Atomic":
            return self._atomic(command)
        if command.verb == "Sequence":
            inner = [answer for child in command.children for answer in self._run(child)]
            return [Answer(command.cmd_id, "Sequence", "200"), *inner]
        if command.verb == "Get":
            return [self._get(command)]
        if command.verb == "Exec":
            return [Answer(command.cmd_id, "Exec", self._exec(command))]
        code = "200" if command.verb in ("Replace", "Alert") else "406"
        self._record(command, code)
        return [Answer(command.cmd_id, command.verb, code)]

    def _atomic(self, command: ServerCommand) -> list[Answer]:
        # Windows refuses a Get (or another Atomic) directly inside an Atomic with 500 (OMA DM
        # protocol support page); Gets that must be read together go in a Sequence inside it.
        inner: list[Answer] = []
        for child in command.children:
            if child.verb in ("Get", "Atomic"):
                self._record(child, FORBIDDEN_IN_ATOMIC)
                inner.append(Answer(child.cmd_id, child.verb, FORBIDDEN_IN_ATOMIC))
            else:
                inner.extend(self._run(child))
        if all(_ok(answer.code) for answer in inner):
            return [Answer(command.cmd_id, "Atomic", "200"), *inner]
        # All or nothing: what succeeded is rolled back and reads nothing.
        undone = [a if not _ok(a.code) else Answer(a.cmd_ref, a.cmd, ROLLED_BACK) for a in inner]
        return [Answer(command.cmd_id, "Atomic", ATOMIC_FAILED), *undone]

    def _get(self, command: ServerCommand) -> Answer:
        values = {target: self._device.read(target) for target in command.targets}
        found = {target: value for target, value in values.items() if value is not None}
        location_off = any("/RemoteFind/" in t for t in command.targets) and not found
        code = "200" if found else "500" if location_off else "404"
        self._record(command, code)
        return Answer(command.cmd_id, "Get", code, found or None)

    def _exec(self, command: ServerCommand) -> str:
        target = command.targets[0] if command.targets else ""
        if target.startswith(_REMOTE_WIPE):
            self._device.wiped, self._device.wipe_node = True, target.removeprefix(_REMOTE_WIPE)
            code = "200"
        elif target == f"{_DMCLIENT_PROVIDER}{self._device.provider_id}/Unenroll":
            # Server-initiated unenrollment: accepted now, carried out as the session ends;
            # the device opens no session after it. Another provider's node does not exist.
            self._device.unenrolled = self._device.unenrolled_by_server = True
            code = "200"
        elif target == _RESET_PIN:
            code = "200" if self._device.reset_pin(self._rng) else "405"  # 405: no PIN set
        else:
            code = "405" if target.startswith("./Vendor/MSFT/RemoteLock/") else "404"
        self._record(command, code)
        return code

    def _record(self, command: ServerCommand, code: str) -> None:
        target = ",".join(command.targets)
        self._device.record(command.verb, target, code, self._session_id)

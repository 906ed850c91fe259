"""The command limits at the authority, for requests written straight to Kafka by another
system (no gateway, no portal signature): one pending command per device and action, the
per-device and per-user rate limits and the per-org wipe breaker, with the gateway's reason
codes; a finished command frees its slot; the admin reset closes the breaker; and the state is
rebuilt from `ssp.commands.status` when the service starts again.

The dispatcher's part is played by this test: it writes the `acknowledged` statuses."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from ssp_contracts.commands import CommandRequested, CommandStatusChanged
from ssp_contracts.devices import DeviceOwner, DeviceSnapshot
from ssp_contracts.enums import Action, CommandStatus, LinkSource, ManagementMode, Platform
from ssp_contracts.policy import (
    BREAKER_OPEN,
    COMMAND_PENDING,
    DEVICE_RATE_LIMITED,
    USER_RATE_LIMITED,
)
from ssp_contracts.topics import COMMANDS_REQUESTED, COMMANDS_STATUS, DEVICES
from ssp_devstack.processes import ServiceProcess

from tests.integration import test_permission_harness as harness
from tests.integration.test_permission_harness import (
    admin_call,
    admin_env,
    bootstrap_admin_id,
    create_user,
    new_id,
    start_service,
)
from tests.support.kafka import Producer, Tail, json_of

database = harness.database
org = harness.org
rpc = harness.rpc

USER_LIMIT, DEVICE_LIMIT, WIPE_MAX = 12, 10, 3  # the device limit is the default
LIMITS = {"SSP_USER_COMMAND_LIMIT": str(USER_LIMIT), "SSP_WIPE_BREAKER_MAX": str(WIPE_MAX)}
SOURCE = "mdm-sync"  # another system: these records carry no portal signature


@pytest.fixture(scope="module")
def permission_service(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory,
                       database: str, org: str) -> Iterator[ServiceProcess]:
    proc = start_service(stack_env, tmp_path_factory.mktemp("logs"), database,
                         **admin_env(org), **LIMITS)
    yield proc
    proc.stop()


class Integration:
    """Writes devices, requests and the dispatcher's answers; reads the decisions."""

    def __init__(self, org: str, producer: Producer, statuses: Tail) -> None:
        self.org = org
        self.producer = producer
        self.statuses = statuses
        self.latest: dict[str, str] = {}  # device id -> the last command requested for it

    async def device(self, owner: str) -> str:
        device_id = new_id("dev")
        await self.producer.send_event(DEVICES, DeviceSnapshot(
            org_id=self.org, device_id=device_id, version=1, platform=Platform.IOS,
            management_mode=ManagementMode.IOS_SUPERVISED,
            owner=DeviceOwner(user_id=owner, linked_at=datetime.now(UTC),
                              source=LinkSource.MANUAL)))
        return device_id

    async def request(self, user: str, device_id: str, action: Action) -> str:
        """The decision: "authorized" or the rejection's reason code."""
        return (await self.requests(user, [(device_id, action)]))[0]

    async def requests(self, user: str, targets: list[tuple[str, Action]]) -> list[str]:
        ids = []
        for device_id, action in targets:
            request = CommandRequested(
                org_id=self.org, command_id=new_id("cmd"), device_id=device_id, action=action,
                requested_by=user, requested_at=datetime.now(UTC), source=SOURCE)
            await self.producer.send_event(COMMANDS_REQUESTED, request)
            ids.append(request.command_id)
            self.latest[device_id] = request.command_id
        return [await self.decision(command_id) for command_id in ids]

    async def decision(self, command_id: str) -> str:
        [record] = await self.statuses.wait_for(
            lambda r: json_of(r)["command_id"] == command_id
            and json_of(r)["status"] in ("authorized", "rejected"))
        body = json_of(record)
        return "authorized" if body["status"] == "authorized" else body["reason_code"]

    async def finish(self, user: str, device_id: str, action: Action, command_id: str) -> None:
        """As the dispatcher reports a device's answer."""
        await self.producer.send_event(COMMANDS_STATUS, CommandStatusChanged(
            org_id=self.org, command_id=command_id, device_id=device_id, action=action,
            status=CommandStatus.ACKNOWLEDGED, version=5, requested_by=user,
            occurred_at=datetime.now(UTC)))

    def last_command(self, device_id: str) -> str:
        return self.latest[device_id]


@pytest.fixture(scope="module")
async def admin(permission_service, rpc, org) -> str:
    return await bootstrap_admin_id(rpc, org)


@pytest.fixture(scope="module")
async def system(permission_service, bootstrap, org) -> AsyncIterator[Integration]:
    async with Producer(bootstrap) as producer, Tail(bootstrap, COMMANDS_STATUS) as statuses:
        yield Integration(org, producer, statuses)


async def full_access(rpc, org, admin) -> str:
    return await create_user(rpc, org, admin, roles=["builtin-ssp-full"])


async def test_a_second_pending_lock_is_rejected_until_the_first_finishes(system, rpc, org,
                                                                          admin):
    user = await full_access(rpc, org, admin)
    device = await system.device(user)
    assert await system.request(user, device, Action.LOCK) == "authorized"
    first = system.last_command(device)
    assert await system.request(user, device, Action.LOCK) == COMMAND_PENDING
    assert await system.request(user, device, Action.REFRESH) == "authorized"  # another action
    await system.finish(user, device, Action.LOCK, first)
    assert await system.request(user, device, Action.LOCK) == "authorized"


async def test_the_eleventh_command_to_a_device_in_the_window_is_rejected(system, rpc, org,
                                                                          admin):
    user = await full_access(rpc, org, admin)
    device = await system.device(user)
    for _ in range(DEVICE_LIMIT):
        assert await system.request(user, device, Action.REFRESH) == "authorized"
        await system.finish(user, device, Action.REFRESH, system.last_command(device))
    assert await system.request(user, device, Action.REFRESH) == DEVICE_RATE_LIMITED
    other = await system.device(user)
    assert await system.request(user, other, Action.REFRESH) == "authorized"


async def test_commands_beyond_the_user_limit_are_rejected_across_devices(system, rpc, org,
                                                                          admin):
    user = await full_access(rpc, org, admin)
    devices = [await system.device(user) for _ in range(USER_LIMIT + 1)]
    decided = await system.requests(user, [(d, Action.REFRESH) for d in devices])
    # Devices spread over partitions, decided in no set order: which one is refused varies.
    assert Counter(decided) == {"authorized": USER_LIMIT, USER_RATE_LIMITED: 1}
    someone_else = await full_access(rpc, org, admin)
    device = await system.device(someone_else)
    assert await system.request(someone_else, device, Action.REFRESH) == "authorized"


async def test_wipes_beyond_the_breaker_are_rejected_until_an_admin_resets_it(system, rpc, org,
                                                                              admin):
    role = await admin_call(rpc, org, admin, "create_role", name=new_id("Integration"),
                            permissions=["ssp.wipe", "ssp.integration"])
    assert role.status == 201, role
    robot = await create_user(rpc, org, admin, roles=[role.data["role_id"]])
    devices = [await system.device(robot) for _ in range(WIPE_MAX + 3)]
    decided = await system.requests(robot, [(d, Action.WIPE) for d in devices[:WIPE_MAX + 2]])
    assert Counter(decided) == {"authorized": WIPE_MAX, BREAKER_OPEN: 2}
    state = await admin_call(rpc, org, admin, "get_wipe_breaker")
    assert (state.status, state.data["open"]) == (200, True), state
    reset = await admin_call(rpc, org, admin, "reset_wipe_breaker")
    assert (reset.status, reset.data["open"], reset.data["wipes_in_window"]) == (200, False, 0)
    assert await system.request(robot, devices[-1], Action.WIPE) == "authorized"


async def test_a_restarted_authority_rebuilds_the_limits_from_the_status_topic(
        system, rpc, org, admin, permission_service):
    user = await full_access(rpc, org, admin)
    device = await system.device(user)
    assert await system.request(user, device, Action.LOCK) == "authorized"
    first = system.last_command(device)
    permission_service.stop()
    permission_service.start(wait=True)
    assert await system.request(user, device, Action.LOCK) == COMMAND_PENDING
    await system.finish(user, device, Action.LOCK, first)
    assert await system.request(user, device, Action.LOCK) == "authorized"

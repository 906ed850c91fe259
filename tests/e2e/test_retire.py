"""Retire end to end, for every family that can leave management without a wipe: the four
services in demo mode, an iPhone, a personally owned and a company-owned Android work profile
and a Windows laptop, each answered by its simulator as the platform does. The request goes
through the gateway (step-up and confirmation), the permission-service decides it, the
dispatcher speaks each protocol, and the registry and the portal end "no longer managed"."""

from __future__ import annotations

import asyncio
import time

import httpx
from ssp_contracts.topics import DEVICES
from ssp_devstack.processes import free_port
from ssp_simulators.android import DeviceKind
from ssp_simulators.apple.fleet import AppleFleet
from ssp_simulators.windows import WindowsFleet
from ssp_simulators.windows.device import DEFAULT_PROVIDER_ID

from tests.browser.demo_org import DemoOrg
from tests.browser.device_links import link_devices
from tests.browser.portal_stack import enroll_all, start_services
from tests.browser.projection_catch_up import wait_until_accounts_known, wait_until_caught_up
from tests.support.android import amapi_stand_in, android_id
from tests.support.kafka import Producer, Tail, json_of
from tests.support.windows import windows_id

FULL_ACCESS_ROLE_ID = "builtin-ssp-full"


async def _grant_retire(demo: DemoOrg, username: str) -> None:
    """The admin's way: a custom role with ssp.retire, next to the user's full access."""
    async with demo.api_session("admin") as admin:
        role = await admin.post("/api/v1/admin/roles", json={
            "name": "Remove devices", "permissions": ["ssp.view", "ssp.retire"]})
        assert role.status_code == 201, role.text
        granted = await admin.put(f"/api/v1/admin/users/{demo.user_id(username)}/roles", json={
            "roles": [FULL_ACCESS_ROLE_ID, role.json()["data"]["role_id"]]})
        assert granted.status_code == 200, granted.text


async def _until(what: str, check, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.3)


async def test_each_family_leaves_management_with_its_own_protocol_and_no_wipe(
        services, bootstrap):
    demo, port = DemoOrg(), free_port()
    apple = AppleFleet(f"http://127.0.0.1:{port}", iphones=1, macs=0)
    windows = WindowsFleet(f"http://127.0.0.1:{port}", devices=1)
    async with amapi_stand_in(3, delay_s=0.3) as amapi, Tail(bootstrap, DEVICES) as devices, \
            Producer(bootstrap) as producer, httpx.AsyncClient(timeout=30) as http:
        await apple.start(enroll=False)
        try:
            gateway = await asyncio.to_thread(start_services, services, demo, apple, amapi, port)
            demo.url = gateway.url
            await wait_until_caught_up(demo, bootstrap)
            await enroll_all(apple)
            assert all(await windows.run_sessions(http))  # its first session enrolls it
            [iphone], [laptop] = apple.devices, windows.devices
            android = {d.kind: d for d in amapi.state.devices.values()}
            personal = android[DeviceKind.WORK_PROFILE_PERSONAL]
            company = android[DeviceKind.WORK_PROFILE_COMPANY]
            ids = [iphone.udid, android_id(personal.name), android_id(company.name),
                   windows_id(laptop)]
            demo.owners = dict.fromkeys(ids, "alice")
            await link_devices(demo, producer, devices)
            await wait_until_accounts_known(demo, {"alice"})
            await _grant_retire(demo, "alice")

            async with demo.api_session("alice") as alice:
                async def may_retire() -> bool:
                    return "ssp.retire" in (await alice.get("/api/v1/me")).json()["permissions"]

                await _until("alice holds ssp.retire", may_retire)
                refused = await alice.post(f"/api/v1/devices/{ids[0]}/commands",
                                           json={"action": "retire", "params": {}})
                assert refused.status_code == 403, refused.text  # confirmation, step-up first
                reauth = await alice.post("/api/v1/session/reauth",
                                          json={"password": demo.password})
                assert reauth.status_code == 200, reauth.text
                for device_id in ids:
                    token = await alice.post(f"/api/v1/devices/{device_id}/commands/confirmations",
                                             json={"action": "retire"})
                    assert token.status_code == 201, token.text
                    sent = await alice.post(f"/api/v1/devices/{device_id}/commands", json={
                        "action": "retire", "params": {},
                        "confirmation_token": token.json()["confirmation_token"]})
                    assert sent.status_code == 202, sent.text

                async def laptop_unenrolled() -> bool:
                    await windows.run_sessions(http)  # Windows takes commands in its sessions
                    return laptop.unenrolled

                await _until("the laptop ran DMClient's Unenroll", laptop_unenrolled)

                async def all_unmanaged() -> bool:
                    shown = [(await alice.get(f"/api/v1/devices/{d}")).json() for d in ids]
                    return all(device["status"] == "unenrolled" for device in shown)

                await _until("the portal shows every device no longer managed", all_unmanaged)

            # The registry's snapshots say the same on ssp.devices.
            for device_id in ids:
                await devices.wait_for(lambda r, d=device_id: r.value is not None
                                       and json_of(r)["device_id"] == d
                                       and json_of(r)["enrolled"] is False, 30)

            # Each platform got its own way out, and none was wiped.
            [removal] = [r for r in iphone.received if r.request_type == "RemoveProfile"]
            assert removal.status == "Acknowledged"
            assert (iphone.unenroll_count, iphone.wipe_count) == (1, 0)
            [deleted] = amapi.state.effects[personal.name]
            assert deleted.command_type == "DELETE" and deleted.details["wipe_flags"] == []
            assert deleted.details["factory_reset"] is False
            assert [(e.command_type, e.outcome) for e in amapi.state.effects[company.name]] == [
                ("RELINQUISH_OWNERSHIP", "SUCCESS")]
            assert {personal.name, company.name} <= set(amapi.state.removed)
            assert laptop.unenrolled_by_server and not laptop.wiped
            [unenroll] = [e for e in laptop.history if e.verb == "Exec"]
            assert unenroll.target == \
                f"./Vendor/MSFT/DMClient/Provider/{DEFAULT_PROVIDER_ID}/Unenroll"
            assert unenroll.code == "200"
        finally:
            await apple.stop()

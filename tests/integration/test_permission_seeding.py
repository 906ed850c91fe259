"""Accounts that exist without an admin creating them: the bootstrap admin (from settings, never
overwritten) and the demo users (demo mode only, the only place a password is ever logged)."""

from __future__ import annotations

import re

from tests.conftest import database_name
from tests.integration import test_permission_harness as harness
from tests.integration.test_permission_harness import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    admin_env,
    new_id,
    verify,
)

# Fixtures of the shared harness, bound here so pytest finds them for this module.
rpc = harness.rpc


async def test_the_bootstrap_admin_is_created_once_and_never_overwritten(services, rpc):
    org = new_id("org")
    first = services("permission_service", **admin_env(org))
    verdict = await verify(rpc, org, ADMIN_USERNAME, ADMIN_PASSWORD)
    assert verdict.ok and [p.value for p in verdict.permissions] == ["admin"]
    first.stop()
    services("permission_service", **{**admin_env(org),
                                      "SSP_BOOTSTRAP_ADMIN_PASSWORD": "another-long-password"})
    assert (await verify(rpc, org, ADMIN_USERNAME, ADMIN_PASSWORD)).ok
    assert not (await verify(rpc, org, ADMIN_USERNAME, "another-long-password")).ok


async def test_without_bootstrap_settings_no_account_exists_and_the_log_says_how(
        services, mongo, run_id):
    proc = services("permission_service")
    db = mongo[database_name(run_id, "permission_service")]
    assert await db["accounts"].count_documents({}) == 0
    assert "SSP_BOOTSTRAP_ADMIN_USERNAME and SSP_BOOTSTRAP_ADMIN_PASSWORD" in proc.tail(200)
    assert "password):" not in proc.log_path.read_text()


async def test_a_placeholder_admin_password_is_refused_outside_demo_mode(services):
    proc = services("permission_service", wait=False, SSP_BOOTSTRAP_ADMIN_USERNAME="boss",
                    SSP_BOOTSTRAP_ADMIN_PASSWORD="changeme")
    assert proc.wait_exit(60) != 0
    assert "SSP_BOOTSTRAP_ADMIN_PASSWORD must be set to a real secret" in proc.tail(80)


async def test_demo_mode_seeds_the_demo_users_and_logs_their_passwords(services, rpc):
    proc = services("permission_service", SSP_DEMO_MODE="true")
    logged = re.search(r"DEMO MODE: demo users of org 'demo' \(username / password\): ([^\"]+)",
                       proc.log_path.read_text())
    assert logged, proc.tail()
    passwords = dict(pair.split(" / ") for pair in logged.group(1).split("; "))
    assert set(passwords) == {"alice", "bob", "carol", "admin"}
    expected = {"alice": ["ssp.locate", "ssp.lock", "ssp.lost_mode", "ssp.reset_passcode",
                          "ssp.view", "ssp.wipe"],
                "bob": ["ssp.view"], "carol": []}
    for username, permissions in expected.items():
        verdict = await verify(rpc, "demo", username, passwords[username])
        assert verdict.ok and verdict.user_id == f"demo-{username}"
        assert [p.value for p in verdict.permissions] == permissions
    admin = await verify(rpc, "demo", "admin", passwords["admin"])
    assert "admin" in [p.value for p in admin.permissions]

"""What the schemathesis run found, pinned: a user id outside the contracts' id shape reached
AdminRequest's validation and answered 500; it is refused up front now as a malformed request
(400, issue 17 finding 8: "malformed identifiers -> 400, never 500")."""

from __future__ import annotations

import pytest

from tests.gateway.portal_world import World


@pytest.mark.parametrize("user_id", ["<script>", "a b", "x" * 129, "é"])
async def test_a_malformed_user_id_is_400_not_500(local_world: World, user_id: str):
    admin = await local_world.browser(await local_world.user(permissions=["admin"]))
    api = await admin.http.patch(f"/api/v1/admin/users/{user_id}", json={"enabled": False},
                                 headers={"X-CSRF-Token": admin.csrf})
    assert api.status_code == 400, api.text
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["code"] == "identifier.malformed"
    page = await admin.http.post(f"/admin/users/{user_id}/enabled",
                                 data={"enabled": "false", "csrf_token": admin.csrf})
    assert page.status_code == 400

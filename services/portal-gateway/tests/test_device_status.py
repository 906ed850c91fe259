"""The one state a device's card and page tell first, the most final winning."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from portal_gateway.domain.access import Caller
from portal_gateway.domain.device_status import device_status
from portal_gateway.domain.device_view import device_public
from ssp_contracts.enums import Permission

from .snapshots import snapshot

SEEN = datetime(2026, 12, 6, 22, 39, tzinfo=UTC)


@pytest.mark.parametrize(("fields", "status"), [
    ({"last_contact_at": SEEN}, "active"),
    ({"last_contact_at": SEEN, "lost_mode": True}, "lost_mode"),
    ({"last_contact_at": None}, "never_contacted"),
    ({"last_contact_at": SEEN, "wipe_state": "pending", "lost_mode": True}, "wipe_pending"),
    # An erased device's last report may still say lost mode: erased is what matters.
    ({"last_contact_at": SEEN, "wipe_state": "wiped", "lost_mode": True}, "wiped"),
    ({"last_contact_at": SEEN, "enrolled": False}, "unenrolled"),
    ({"last_contact_at": None, "enrolled": False}, "unenrolled"),
])
def test_status(fields, status):
    device = snapshot().model_copy(update=fields)
    assert device_status(device) == status
    admin = Caller(user_id="u-1", org_id="acme", username="admin",
                   permissions=frozenset(Permission))
    assert device_public(device, admin, admin.permissions).status == status

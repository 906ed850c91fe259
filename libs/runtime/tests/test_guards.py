"""The query subset the stores' guards use, evaluated on a document read by _id."""

from datetime import UTC, datetime, timedelta

import pytest
from ssp_runtime.mongo import matches

NOW = datetime(2026, 11, 27, tzinfo=UTC)
DOC = {"_id": "d1", "version": 3, "_outbox": [{"id": "e1"}, {"id": "e2"}],
       "_outbox_lease": {"owner": "me", "until": NOW}}


@pytest.mark.parametrize(("condition", "expected"), [
    ({"version": 3}, True),
    ({"version": 2}, False),
    ({"_outbox.0.id": "e1"}, True),
    ({"_outbox.0.id": "e2"}, False),
    ({"_outbox.1": {"$exists": True}}, True),
    ({"_outbox.2": {"$exists": True}}, False),
    ({"missing": {"$exists": False}}, True),
    ({"version": {"$lt": 4}}, True),
    ({"version": {"$lt": 3}}, False),
    ({"version": {"$in": [1, 3]}}, True),
    ({"$or": [{"_outbox_lease": {"$exists": False}},
              {"_outbox_lease.until": {"$lt": NOW + timedelta(seconds=1)}}]}, True),
    ({"$or": [{"_outbox_lease.owner": "other"}, {"version": 9}]}, False),
    ({"version": 3, "_outbox.0.id": "e2"}, False),
])
def test_conditions(condition, expected):
    assert matches(DOC, condition) is expected

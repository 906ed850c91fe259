"""Fixtures of the gateway's unit tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 27, 9, 30, tzinfo=UTC)

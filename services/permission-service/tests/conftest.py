"""Fixtures shared by the domain tests: cheap hashing and a fixed clock."""

from datetime import UTC, datetime

import pytest
from permission_service.domain.passwords import TEST_PARAMETERS, PasswordHashing


@pytest.fixture(scope="session")
def hashing() -> PasswordHashing:
    return PasswordHashing(TEST_PARAMETERS)


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

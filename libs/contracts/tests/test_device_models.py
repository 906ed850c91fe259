"""Model identifiers in words: the table's shape and how stored model texts are read."""

from __future__ import annotations

import re

import pytest
from ssp_contracts.device_models import APPLE_MODELS, friendly_model


@pytest.mark.parametrize(("stored", "shown"), [
    ("iPhone15,4", "iPhone 15"),
    ("iPhone (iPhone15,4)", "iPhone 15"),  # family and identifier, as the inventory joins them
    ("iPhone (iPhone15,2)", "iPhone 14 Pro"),
    ("iPad (iPad13,18)", "iPad (10th generation)"),
    ("MacBook Air (Mac14,2)", "MacBook Air (M2, 2022)"),
    ("iPhone (iPhone99,1)", "iPhone (iPhone99,1)"),  # unknown: as reported, never a guess
    ("Pixel 8", "Pixel 8"),  # Android's marketing name passes unchanged
    ("", ""),
    (None, None),
])
def test_stored_models_read_as_people_name_them(stored: str | None, shown: str | None) -> None:
    assert friendly_model(stored) == shown


def test_every_line_of_the_table_is_an_identifier_and_a_name() -> None:
    for identifier, name in APPLE_MODELS.items():
        assert re.fullmatch(r"(iPhone|iPad|Mac|MacBookAir|MacBookPro|Macmini|iMac)\d+,\d+",
                            identifier), identifier
        assert name.startswith(("iPhone", "iPad", "Mac", "iMac")) and identifier not in name

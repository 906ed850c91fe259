"""Merging what a device reported into what the registry knows: present fields only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ssp_contracts.devices import DeviceIdentifiers, DeviceInventory

INVENTORY_FIELDS = tuple(DeviceInventory.model_fields)

Model = TypeVar("Model", bound=BaseModel)


def inventory_updates(inventory: DeviceInventory) -> dict[str, Any]:
    """The reported fields, named as in the device state; None means unknown, not empty."""
    return {
        name: value for name in INVENTORY_FIELDS if (value := getattr(inventory, name)) is not None
    }


def merged_identifiers(stored: DeviceIdentifiers, reported: DeviceIdentifiers) -> DeviceIdentifiers:
    present = reported.model_dump(exclude_none=True)
    if all(getattr(stored, name) == value for name, value in present.items()):
        return stored
    return stored.model_copy(update=present)


def _valid_fields(model: type[Model], raw: Mapping[str, Any]) -> Model:
    # Field by field, so one bad value from a device (battery 1.5) does not lose the others.
    kept: dict[str, Any] = {}
    for name in model.model_fields:
        if raw.get(name) is None:
            continue
        try:
            kept[name] = getattr(model.model_validate({name: raw[name]}), name)
        except ValidationError:
            continue
    return model.model_validate(kept)


def parse_refreshed(raw: Mapping[str, Any]) -> tuple[DeviceInventory, DeviceIdentifiers]:
    """A refresh result is a free-form dict; take the fields both contracts know, drop the rest."""
    return _valid_fields(DeviceInventory, raw), _valid_fields(DeviceIdentifiers, raw)

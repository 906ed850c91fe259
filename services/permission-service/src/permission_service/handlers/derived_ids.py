"""Ids derived from what asked for the entity, so asking twice names the same entity."""

from __future__ import annotations

import uuid

# Fixed namespace of this service's uuid5 ids; changing it would change every derived id.
_NAMESPACE = uuid.UUID("0b7f8f64-5d0e-4c1f-9a1e-6f3f2c6f9d21")


def derived_id(prefix: str, *parts: str) -> str:
    return f"{prefix}-{uuid.uuid5(_NAMESPACE, '/'.join(parts)).hex}"

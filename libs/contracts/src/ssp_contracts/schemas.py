"""JSON Schema documents of every event, for other systems and for the stability test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ssp_contracts import EVENT_TYPES


def schema_documents() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, one per event type."""
    docs = {}
    for event_type, model in sorted(EVENT_TYPES.items()):
        schema = model.model_json_schema(mode="serialization")
        schema["$id"] = f"urn:ssp:event:{event_type}"
        schema["x-ce-type"] = event_type
        docs[f"{event_type}.json"] = schema
    return docs


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schema_documents().items():
        path = directory / name
        path.write_text(render(schema))
        written.append(path)
    return written


if __name__ == "__main__":
    import sys

    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        print(path)

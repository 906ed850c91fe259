"""The committed AsyncAPI documents (docs/asyncapi/) are what the services register now."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "docs" / "asyncapi"


def test_committed_asyncapi_documents_are_current():
    # A subprocess: building every service imports a lot, and the generator clears SSP_*.
    result = subprocess.run(
        [sys.executable, "-m", "ssp_runtime.asyncapi", "--check", str(CATALOGUE)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_channel_names_its_payload():
    for path in sorted(CATALOGUE.glob("*.json")):
        doc = json.loads(path.read_text())
        assert doc["asyncapi"].startswith("3."), path.name
        schemas = doc["components"]["schemas"]
        for name, message in doc["components"]["messages"].items():
            ref = message["payload"]["$ref"].rsplit("/", 1)[-1]
            if name.split(":")[1].endswith(".dlq"):
                continue  # dead letters carry whatever bytes could not be read
            assert ref in schemas, (path.name, name)
            assert schemas[ref].get("properties") or schemas[ref].get("oneOf") or \
                schemas[ref].get("anyOf"), (path.name, name)


def test_every_property_of_every_payload_is_described():
    """Events and request/reply payloads alike, and the models inside them: the catalogue
    explains each field."""
    def undescribed(node: object, where: str) -> list[str]:
        if isinstance(node, list):
            return [gap for item in node for gap in undescribed(item, where)]
        if not isinstance(node, dict):
            return []
        gaps = [f"{where}: {node.get('title')}.{prop}"
                for prop, spec in (node.get("properties") or {}).items()
                if isinstance(spec, dict) and not spec.get("description")]
        return gaps + [gap for value in node.values() for gap in undescribed(value, where)]

    assert [gap for path in sorted(CATALOGUE.glob("*.json"))
            for gap in undescribed(json.loads(path.read_text()), path.name)] == []

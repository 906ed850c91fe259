"""The committed JSON Schemas are the published contract: a model change must update them."""

import json
from pathlib import Path

from ssp_contracts.schemas import render, schema_documents

SCHEMAS = Path(__file__).resolve().parents[3] / "docs" / "schemas"


def test_committed_schemas_match_the_models():
    expected = schema_documents()
    committed = {p.name for p in SCHEMAS.glob("*.json")}
    assert committed == set(expected), "run `make schemas` and commit docs/schemas/"
    for name, schema in expected.items():
        assert (SCHEMAS / name).read_text() == render(schema), f"{name} is stale: make schemas"


def test_every_schema_is_valid_json_with_an_id():
    for path in SCHEMAS.glob("*.json"):
        doc = json.loads(path.read_text())
        assert doc["$id"].startswith("urn:ssp:event:")
        assert doc["properties"]["org_id"]


def test_every_property_of_every_event_is_described():
    """docs/schemas/ and the AsyncAPI documents explain each field to other systems' authors:
    every property, of the events and of the models inside them, carries a description."""
    undescribed = []
    for name, schema in schema_documents().items():
        models = [schema, *schema.get("$defs", {}).values()]
        undescribed += [f"{name}: {model['title']}.{prop}" for model in models
                        for prop, spec in model.get("properties", {}).items()
                        if not spec.get("description")]
    assert undescribed == []

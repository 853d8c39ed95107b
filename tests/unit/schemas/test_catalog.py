from __future__ import annotations

import json

from schemas.catalog import event_schemas, parsed_schema


def test_every_avsc_parses_and_is_keyed_by_its_record_name() -> None:
    schemas = event_schemas()

    assert "CaseOpened" in schemas
    for name, text in schemas.items():
        assert json.loads(text)["name"] == name
        assert parsed_schema(name)["name"] == f"casesync.events.{name}"


def test_every_field_has_a_doc() -> None:
    for name, text in event_schemas().items():
        for field in json.loads(text)["fields"]:
            assert field.get("doc"), f"{name}.{field['name']} has no doc"

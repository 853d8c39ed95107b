"""Model == .avsc, field by field; and the checker really catches drift."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from schemas.catalog import event_schemas
from schemas.contract import contract_problems, record_problems
from schemas.events import EVENT_TYPES


def test_every_model_matches_its_schema_and_every_envelope_is_the_same() -> None:
    assert contract_problems() == []


def test_every_schema_has_a_model_and_every_model_a_schema() -> None:
    assert set(event_schemas()) == set(EVENT_TYPES)


def _person_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(event_schemas()["PersonRecorded"])
    return schema


def _field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in schema["fields"] if f["name"] == name)


def _drop_field(schema: dict[str, Any]) -> None:
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "phones"]


def _rename_enum_symbol(schema: dict[str, Any]) -> None:
    _field(schema, "role")["type"]["symbols"][0] = "INJURED_PARTY"


def _make_optional_required(schema: dict[str, Any]) -> None:
    field = _field(schema, "family_name")
    field["type"] = "string"
    del field["default"]


def _change_default(schema: dict[str, Any]) -> None:
    _field(schema, "sex")["default"] = "MALE"


def _change_logical_type(schema: dict[str, Any]) -> None:
    _field(schema, "occurred_at")["type"] = "long"


def _change_nested_record(schema: dict[str, Any]) -> None:
    _field(schema, "date_of_birth")["type"][1]["fields"][0]["type"] = "string"


def _change_array_items(schema: dict[str, Any]) -> None:
    _field(schema, "phones")["type"]["items"] = "long"


@pytest.mark.parametrize(
    "mutate",
    [
        _drop_field,
        _rename_enum_symbol,
        _make_optional_required,
        _change_default,
        _change_logical_type,
        _change_nested_record,
        _change_array_items,
    ],
)
def test_the_checker_reports_each_kind_of_drift(mutate: Any) -> None:
    schema = _person_schema()
    drifted = copy.deepcopy(schema)
    mutate(drifted)

    assert record_problems("PersonRecorded", schema, EVENT_TYPES["PersonRecorded"], {}) == []
    assert record_problems("PersonRecorded", drifted, EVENT_TYPES["PersonRecorded"], {}) != []

"""The `.avsc` files shipped in this package: the single source of truth for every event."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from fastavro import parse_schema


@cache
def event_schemas() -> dict[str, str]:
    """Every event's schema text, keyed by its record name (e.g. ``CaseOpened``)."""
    schemas: dict[str, str] = {}
    for entry in sorted(resources.files("schemas").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".avsc"):
            text = entry.read_text(encoding="utf-8")
            schemas[json.loads(text)["name"]] = text
    return schemas


def parsed_schema(event_type: str) -> dict[str, Any]:
    """The fastavro-parsed schema of ``event_type`` (raises KeyError if unknown)."""
    parsed = parse_schema(json.loads(event_schemas()[event_type]))
    if not isinstance(parsed, dict):
        raise TypeError(f"{event_type}.avsc is not a record schema")
    return parsed

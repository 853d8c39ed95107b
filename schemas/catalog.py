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


@cache
def historical_schemas(version: int) -> dict[str, str]:
    """Earlier versions kept in ``schemas/history/<event>.v<version>.avsc``, by record name.

    Events without a file for ``version`` are absent; callers fall back to the current schema.
    """
    schemas: dict[str, str] = {}
    folder = resources.files("schemas").joinpath("history")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(f".v{version}.avsc"):
            text = entry.read_text(encoding="utf-8")
            schemas[json.loads(text)["name"]] = text
    return schemas


@cache
def downstream_schema(record_name: str) -> str:
    """A schema casesync publishes for downstream subscribers (``schemas/downstream/``)."""
    folder = resources.files("schemas").joinpath("downstream")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".avsc"):
            text = entry.read_text(encoding="utf-8")
            if json.loads(text)["name"] == record_name:
                return text
    raise KeyError(f"no downstream schema named {record_name!r}")


def schemas_as_of(version: int) -> dict[str, str]:
    """The whole contract as a writer or reader of ``version`` saw it (current where unchanged)."""
    return {**event_schemas(), **historical_schemas(version)}


def parsed_schema(event_type: str) -> dict[str, Any]:
    """The fastavro-parsed schema of ``event_type`` (raises KeyError if unknown)."""
    parsed = parse_schema(json.loads(event_schemas()[event_type]))
    if not isinstance(parsed, dict):
        raise TypeError(f"{event_type}.avsc is not a record schema")
    return parsed

"""`casesync schemas docs`: the events and their fields as a Markdown page, from the `.avsc`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

HEADER = """# Events

Generated from `schemas/*.avsc` by `casesync schemas docs`; do not edit by hand (a test fails
when this page and the schemas disagree). Every event starts with the same envelope; the tables
list the fields after it. HTCDS is IOM's Human Trafficking Case Data Standard 2.0.

Topics: each agency publishes to `casesync.events.<agency code>` (`uk-police`, `uk-sca`,
`ro-anitp`, `ro-police`, `ro-diicot`), keyed by `case_ref`; subjects are
`<topic>-casesync.events.<Event>` with BACKWARD compatibility.
"""


def type_name(avro: Any) -> str:
    """A short readable name of an Avro type."""
    if isinstance(avro, str):
        return avro
    if isinstance(avro, list):
        # The contract's only unions are ["null", T]; a "|" would also break the table.
        return f"{type_name(avro[-1])} (optional)"
    if "logicalType" in avro:
        return str(avro["logicalType"])
    if avro["type"] == "array":
        return f"array<{type_name(avro['items'])}>"
    if avro["type"] == "enum":
        return f"{avro['name']} ({', '.join(avro['symbols'])})"
    return str(avro.get("name", avro["type"]))


def _rows(fields: list[dict[str, Any]]) -> list[str]:
    rows = ["| field | type | default | HTCDS | meaning |", "|---|---|---|---|---|"]
    for field in fields:
        default = json.dumps(field["default"]) if "default" in field else ""
        rows.append(
            f"| `{field['name']}` | {type_name(field['type'])} | {default} | "
            f"{field.get('htcds', '')} | {field['doc']} |"
        )
    return rows


def render_events_markdown(schemas: Mapping[str, str], envelope_size: int) -> str:
    """The whole page: the envelope once, then one table per event."""
    parsed = {name: json.loads(text) for name, text in sorted(schemas.items())}
    first = next(iter(parsed.values()))
    lines = [HEADER, "## Envelope (every event)", "", *_rows(first["fields"][:envelope_size])]
    for name, schema in parsed.items():
        lines += ["", f"## {name}", "", schema["doc"], "", *_rows(schema["fields"][envelope_size:])]
        nested = [t for f in schema["fields"] for t in _nested_records(f["type"])]
        for record in nested:
            lines += ["", f"### {name}: {record['name']}", "", *_rows(record["fields"])]
    return "\n".join(lines) + "\n"


def _nested_records(avro: Any) -> list[dict[str, Any]]:
    if isinstance(avro, list):
        return [r for t in avro for r in _nested_records(t)]
    if isinstance(avro, dict) and avro.get("type") == "record":
        return [avro]
    if isinstance(avro, dict) and avro.get("type") == "array":
        return _nested_records(avro["items"])
    return []

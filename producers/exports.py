"""Reading export files row by row; row numbers are what an operator sees in an editor."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from infra.errors import ExportRowError


def read_csv(
    path: Path, delimiter: str = ",", encoding: str = "utf-8-sig"
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) per data row; the header is line 1."""
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        for row in reader:
            yield reader.line_num, row


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) per non-empty line; a line that is not an object is its own reject."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                value = {"__error__": f"not JSON: {exc.msg} at column {exc.colno}"}
            yield number, value if isinstance(value, dict) else {"__error__": "not a JSON object"}


def read_json_list(path: Path, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based index, item) for each item of the list under ``key`` of a JSON document."""
    with path.open(encoding="utf-8") as handle:
        document = json.load(handle)
    items = document.get(key) if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise ExportRowError(key, f"{path.name} has no list under {key!r}")
    for number, item in enumerate(items, start=1):
        yield number, item if isinstance(item, dict) else {"__error__": "not a JSON object"}


def count_lines(path: Path) -> int:
    """Lines in a text file (for progress bars), read in binary blocks."""
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def checked_row(shape: TypeAdapter[Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` validated against its export's shape (types of every field the adapter reads);
    the first wrong field becomes an ExportRowError naming it (never quoting the value)."""
    try:
        checked: dict[str, Any] = shape.validate_python(row)
    except ValidationError as exc:
        first = exc.errors(include_input=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "row"
        raise ExportRowError(field, first["msg"]) from None
    return checked

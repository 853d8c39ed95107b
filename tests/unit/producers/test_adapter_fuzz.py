"""Fuzzing the agency adapters (hypothesis): real export rows with one field replaced by something
hostile (control characters, SQL and HTML fragments, huge or odd values, wrong types). Each row
must become validated events that survive the wire, or a reject naming a field; any other
exception would stop a whole export's publication."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.errors import ExportRowError
from producers.agencies import Adapter, adapter_for
from producers.generate import EXPORT_FILES, generate
from schemas.codec import RegistryCodec
from schemas.registry import register_contract
from schemas.topics import AGENCY_CODES, agency_topic

FUZZ = settings(
    max_examples=int(os.environ.get("CASESYNC_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
HOSTILE_TEXT = [
    "Robert'); DROP TABLE agency_persons;--",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "\x00\x01\x1b[31mred\x7f",
    "Ioana\r\nMaria\tPopescu",
    "\u202eevil\u202c",  # right-to-left override
    "x" * 100_000,
    "",
    " ",
    "Ștefan Ţuţu Ăâîşţ",
    "NaN",
    "-1",
    "9" * 40,
    "2026-13-45",
    "null",
]
HOSTILE_VALUES = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=300),
    st.none(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.lists(st.text(max_size=20), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)


@cache
def caseload() -> Path:
    folder = Path(f"/tmp/casesync-fuzz-{uuid.uuid4().hex[:8]}")
    generate(folder, weeks=10, victims=60, seed=5, bad_row_rate=0.0)
    return folder


@cache
def adapter(code: str) -> Adapter:
    return adapter_for(code)


@cache
def sample_rows(code: str) -> tuple[Mapping[str, Any], ...]:
    rows = [row for _n, row in adapter(code).rows(caseload() / EXPORT_FILES[code])]
    return tuple(rows[:20])


@cache
def codec() -> RegistryCodec:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    register_contract(client, [agency_topic(code) for code in AGENCY_CODES])
    return RegistryCodec(client)


def _replace(row: Mapping[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    """A copy of ``row`` with the field at ``path`` (nested for JSON exports) set to ``value``."""
    copy = dict(row)
    if len(path) == 1:
        copy[path[0]] = value
    else:
        inner = copy.get(path[0])
        copy[path[0]] = _replace(inner if isinstance(inner, Mapping) else {}, path[1:], value)
    return copy


def _paths(row: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[list[str]]:
    paths = []
    for key, value in row.items():
        if isinstance(value, Mapping):
            paths += _paths(value, (*prefix, key))
        paths.append([*prefix, key])
    return paths


def becomes_events_or_a_named_reject(code: str, row: Mapping[str, Any]) -> None:
    """The row's events are valid and round-trip the wire, or it is refused naming a field."""
    try:
        events = adapter(code).to_events(row)
    except ExportRowError as exc:
        refused: ExportRowError | None = exc
    else:
        refused = None
    if refused is not None:
        assert refused.field, refused
        return
    topic = agency_topic(code)
    for event in events:
        assert codec().decode(topic, codec().encode(topic, event)) == event


@pytest.mark.parametrize("code", AGENCY_CODES)
def test_every_sample_row_is_accepted_as_it_stands(code: str) -> None:
    rows = sample_rows(code)

    assert rows
    for row in rows:
        assert adapter(code).to_events(row)


@pytest.mark.parametrize("code", AGENCY_CODES)
@FUZZ
@given(data=st.data())
def test_a_hostile_field_gives_valid_events_or_a_reject_naming_a_field(
    code: str, data: st.DataObject
) -> None:
    row = data.draw(st.sampled_from(sample_rows(code)))
    path = data.draw(st.sampled_from(_paths(row)))
    value = data.draw(HOSTILE_VALUES)
    if not code.startswith(("uk-sca", "ro-police")):  # CSV exports: every cell is text
        value = "" if value is None else str(value)

    becomes_events_or_a_named_reject(code, _replace(row, path, value))


@pytest.mark.parametrize("code", AGENCY_CODES)
@FUZZ
@given(data=st.data())
def test_hostile_names_survive_as_data(code: str, data: st.DataObject) -> None:
    """Names full of SQL, HTML and control characters are data: kept exactly, or refused."""
    row = data.draw(st.sampled_from(sample_rows(code)))
    named = [p for p in _paths(row) if "name" in p[-1].lower()]
    if not named:
        return
    value = data.draw(st.sampled_from(HOSTILE_TEXT[:6]))

    becomes_events_or_a_named_reject(code, _replace(row, data.draw(st.sampled_from(named)), value))

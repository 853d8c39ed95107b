"""Declarative adapters: a TOML mapping (column → field, parser, value maps) instead of code."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from infra.errors import EventValidationError, ExportRowError, MappingError
from producers import parsing
from producers.identity import event_id
from schemas.contract import validate_event
from schemas.events import EVENT_TYPES, Envelope
from schemas.vocabulary import Agency

ParserName = Literal[
    "text",
    "int",
    "bool",
    "datetime",
    "date",
    "partial_date",
    "country",
    "countries",
    "phones",
    "list",
    "enum",
    "family_name",
    "given_names",
    "slice",
    "identifiers",
    "event_id_of",
]


class Rule(BaseModel):
    """How one event field is read from a row."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str | None = None
    value: Any = None
    parse: ParserName = "text"
    formats: list[str] = []
    timezone: str = "UTC"
    map: dict[str, str] = {}
    separator: str = ";"
    region: str = "GB"
    style: Literal["comma", "upper_first"] = "comma"
    start: int = 0
    end: int | None = None
    columns: dict[str, str] = {}
    issuing_country: str | None = None

    @model_validator(mode="after")
    def _has_a_source(self) -> Rule:
        if self.column is None and self.value is None and not self.columns:
            raise ValueError("a rule needs 'column', 'columns' or 'value'")
        return self


class KindSpec(BaseModel):
    """Rows of one kind become one event type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event: str
    fields: dict[str, Rule] = {}


class RecordSpec(BaseModel):
    """Columns that identify a row: its case, its place in the case, its id and version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_ref: str
    sequence: str
    record_id: str
    version: str


class ExportMapping(BaseModel):
    """A whole mapping file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agency: str
    format: Literal["csv", "jsonl"]
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    kind_column: str
    record: RecordSpec
    envelope: dict[str, Rule] = {}
    kinds: dict[str, KindSpec]

    @field_validator("agency")
    @classmethod
    def _agency_exists(cls, value: str) -> str:
        return Agency.from_code(value).code

    @model_validator(mode="after")
    def _targets_exist(self) -> ExportMapping:
        for kind, spec in self.kinds.items():
            model = EVENT_TYPES.get(spec.event)
            if model is None:
                raise ValueError(f"kinds.{kind}.event: unknown event type {spec.event!r}")
            for name in [*spec.fields, *self.envelope]:
                if name not in model.model_fields:
                    raise ValueError(f"kinds.{kind}: {spec.event} has no field {name!r}")
        return self


def load_mapping(path: Path) -> ExportMapping:
    """Read and check a mapping file; MappingError names the file and the key."""
    try:
        return ExportMapping.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise MappingError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise MappingError(f"{path}: {problems}") from None


def _text(rule: Rule, row: Mapping[str, Any], column: str | None = None) -> str | None:
    name = column or rule.column
    return parsing.clean(row.get(name)) if name else None


def _identifiers(rule: Rule, row: Mapping[str, Any], _agency: Agency) -> list[dict[str, Any]]:
    found = []
    for kind, column in rule.columns.items():
        value = _text(rule, row, column)
        if value is not None:
            compact = value.replace(" ", "").replace("-", "").upper()
            found.append({"type": kind, "value": compact, "issuing_country": rule.issuing_country})
    return found


def _event_id_of(rule: Rule, row: Mapping[str, Any], agency: Agency) -> str | None:
    record, version = (
        _text(rule, row, rule.columns["record_id"]),
        _text(rule, row, rule.columns["version"]),
    )
    if record is None or version is None:
        return None
    return str(event_id(agency, record, int(version)))


def _family(value: str, rule: Rule) -> str | None:
    split = parsing.split_name_comma if rule.style == "comma" else parsing.split_name_upper_first
    return split(value)[0]


def _given(value: str, rule: Rule) -> list[str]:
    split = parsing.split_name_comma if rule.style == "comma" else parsing.split_name_upper_first
    return split(value)[1]


# Parsers of one cleaned text value; each is pure.
_VALUE_PARSERS: dict[str, Callable[[str, Rule], Any]] = {
    "text": lambda v, r: v,
    "int": lambda v, r: int(v),
    "bool": lambda v, r: parsing.map_value(v, r.map or {"true": "1", "false": ""}) == "1",
    "datetime": lambda v, r: parsing.parse_datetime(v, r.formats, r.timezone),
    "date": lambda v, r: parsing.parse_date(v, r.formats),
    "partial_date": lambda v, r: parsing.parse_partial_date(v, r.formats),
    "country": lambda v, r: parsing.parse_country(v),
    "countries": lambda v, r: [
        parsing.parse_country(c) for c in parsing.split_list(v, r.separator)
    ],
    "phones": lambda v, r: [
        parsing.parse_phone(p, r.region) for p in parsing.split_list(v, r.separator)
    ],
    "list": lambda v, r: [
        parsing.map_value(i, r.map) if r.map else i for i in parsing.split_list(v, r.separator)
    ],
    "enum": lambda v, r: parsing.map_value(v, r.map),
    "family_name": _family,
    "given_names": _given,
    "slice": lambda v, r: v[r.start : r.end] or None,
}
# Parsers that read several columns of the row.
_ROW_PARSERS: dict[str, Callable[[Rule, Mapping[str, Any], Agency], Any]] = {
    "identifiers": _identifiers,
    "event_id_of": _event_id_of,
}


def apply_rule(rule: Rule, row: Mapping[str, Any], agency: Agency) -> Any:
    """The field's value, or None when the row leaves it empty (the model's default applies)."""
    if rule.value is not None:
        return rule.value
    if rule.parse in _ROW_PARSERS:
        return _ROW_PARSERS[rule.parse](rule, row, agency)
    text = _text(rule, row)
    if text is None:
        return None
    value = _VALUE_PARSERS[rule.parse](text, rule)
    if rule.parse == "slice" and value is not None and rule.map:
        return parsing.map_value(value, rule.map)
    return value


class MappedAdapter:
    """An agency adapter defined by an ExportMapping; `to_events` is pure."""

    def __init__(self, mapping: ExportMapping) -> None:
        self.mapping = mapping
        self.agency = Agency.from_code(mapping.agency)

    def to_events(self, row: Mapping[str, Any]) -> list[Envelope]:
        """One row → its event (a list, like the coded adapters that emit several)."""
        kind = parsing.clean(row.get(self.mapping.kind_column))
        spec = self.mapping.kinds.get(kind or "")
        if spec is None:
            known = ", ".join(sorted(self.mapping.kinds))
            raise ExportRowError(
                self.mapping.kind_column, f"unknown record kind (expected {known})"
            )
        data = self._envelope(row)
        for name, rule in {**self.mapping.envelope, **spec.fields}.items():
            try:
                value = apply_rule(rule, row, self.agency)
            except (ValueError, KeyError) as exc:
                raise ExportRowError(name, f"column {rule.column or rule.columns}: {exc}") from None
            if value is not None:
                data[name] = value
        try:
            return [validate_event(spec.event, data)]
        except EventValidationError as exc:
            raise ExportRowError(exc.fields[0] if exc.fields else spec.event, str(exc)) from None

    def _envelope(self, row: Mapping[str, Any]) -> dict[str, Any]:
        record = self.mapping.record
        values = {}
        for field, column in record.model_dump().items():
            value = parsing.clean(row.get(column))
            if value is None:
                raise ExportRowError(field, f"column {column} is empty")
            values[field] = value
        try:
            version, sequence = int(values["version"]), int(values["sequence"])
        except ValueError:
            raise ExportRowError(
                "sequence", f"columns {record.version}/{record.sequence} must be integers"
            ) from None
        return {
            "event_id": event_id(self.agency, values["record_id"], version),
            "agency": self.agency,
            "country": self.agency.country,
            "case_ref": values["case_ref"],
            "sequence": sequence,
        }

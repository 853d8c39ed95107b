"""The contract's own checks: models equal their `.avsc`, envelopes agree, events validate."""

from __future__ import annotations

import json
import types
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Union, get_args, get_origin
from uuid import UUID

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from infra.errors import EventValidationError, UnknownEventTypeError
from schemas.catalog import event_schemas
from schemas.events import EVENT_TYPES, Envelope

AVRO_PRIMITIVES: dict[str, type] = {"string": str, "long": int, "int": int, "boolean": bool}
LOGICAL_TYPES: dict[str, type] = {"uuid": UUID, "timestamp-millis": datetime, "date": date}


def validate_event(event_type: str, data: Mapping[str, Any]) -> Envelope:
    """Build the model of ``event_type`` from ``data``; errors name every failing field."""
    model = EVENT_TYPES.get(event_type)
    if model is None:
        raise UnknownEventTypeError(f"unknown event type {event_type!r}")
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        # include_input=False: inputs are personal data and must not reach logs.
        errors = exc.errors(include_input=False, include_url=False)
        fields = [".".join(str(p) for p in error["loc"]) or "(event)" for error in errors]
        problems = "; ".join(
            f"field '{field}': {error['msg']}" for field, error in zip(fields, errors, strict=True)
        )
        raise EventValidationError(f"invalid {event_type}: {problems}", fields) from None


def to_record(event: Envelope) -> dict[str, Any]:
    """The Avro datum of an event (enum members are their symbols, tuples are arrays)."""
    return event.model_dump(mode="python")


def contract_problems() -> list[str]:
    """Every disagreement between the `.avsc` files, the models and the envelope; [] if none."""
    schemas = event_schemas()
    problems = [
        f"{name}.avsc has no model in EVENT_TYPES" for name in schemas if name not in EVENT_TYPES
    ]
    problems += [f"model {name} has no .avsc" for name in EVENT_TYPES if name not in schemas]
    envelope = list(Envelope.model_fields)
    reference_fields: list[Any] | None = None
    for name, text in sorted(schemas.items()):
        schema = json.loads(text)
        fields = schema["fields"]
        head = fields[: len(envelope)]
        if [f["name"] for f in head] != envelope:
            problems.append(f"{name}: does not start with the envelope fields {envelope}")
        elif reference_fields is None:
            reference_fields = head
        elif head != reference_fields:
            problems.append(f"{name}: envelope fields differ from the other events'")
        problems += [f"{name}.{f['name']}: no doc" for f in fields if not f.get("doc")]
        if name in EVENT_TYPES:
            problems += record_problems(name, schema, EVENT_TYPES[name], {})
    return problems


def record_problems(
    where: str, schema: Mapping[str, Any], model: type[BaseModel], named: dict[str, Any]
) -> list[str]:
    """Field-by-field differences between an Avro record schema and a pydantic model."""
    named[schema["name"]] = schema
    avro_fields = [f["name"] for f in schema["fields"]]
    model_fields = list(model.model_fields)
    if avro_fields != model_fields:
        return [f"{where}: fields {avro_fields} (avsc) != {model_fields} (model)"]
    problems: list[str] = []
    for field in schema["fields"]:
        info = model.model_fields[field["name"]]
        path = f"{where}.{field['name']}"
        problems += _default_problems(path, field, info)
        problems += _type_problems(path, field["type"], info.annotation, named)
    return problems


def _default_problems(path: str, field: Mapping[str, Any], info: FieldInfo) -> list[str]:
    has_model_default = info.default is not PydanticUndefined
    if ("default" in field) != has_model_default:
        return [f"{path}: default in avsc {'default' in field}, in model {has_model_default}"]
    if not has_model_default:
        return []
    model_default = info.default
    if isinstance(model_default, tuple):
        model_default = list(model_default)
    if model_default != field["default"]:
        return [f"{path}: default {field['default']!r} (avsc) != {info.default!r} (model)"]
    return []


def _strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _type_problems(  # noqa: PLR0911  (one dispatch over the Avro type kinds)
    path: str, avro: Any, annotation: Any, named: dict[str, Any]
) -> list[str]:
    annotation = _strip_annotated(annotation)
    if isinstance(avro, list):
        return _union_problems(path, avro, annotation, named)
    if isinstance(avro, str) and avro in named:
        avro = named[avro]
    if isinstance(avro, str):
        expected = AVRO_PRIMITIVES.get(avro)
        return [] if annotation is expected else [f"{path}: {avro} vs {annotation}"]
    kind = avro["type"]
    if "logicalType" in avro:
        expected = LOGICAL_TYPES.get(avro["logicalType"])
        return [] if annotation is expected else [f"{path}: {avro['logicalType']} vs {annotation}"]
    if kind == "enum":
        named[avro["name"]] = avro
        return _enum_problems(path, avro, annotation)
    if kind == "array":
        if get_origin(annotation) is not tuple or get_args(annotation)[1:] != (Ellipsis,):
            return [f"{path}: array vs {annotation} (expected tuple[..., ...])"]
        return _type_problems(f"{path}[]", avro["items"], get_args(annotation)[0], named)
    if kind == "record":
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return [f"{path}: record {avro['name']} vs {annotation}"]
        return record_problems(path, avro, annotation, named)
    return [f"{path}: unsupported Avro type {kind}"]


def _union_problems(
    path: str, avro: list[Any], annotation: Any, named: dict[str, Any]
) -> list[str]:
    if len(avro) != 2 or avro[0] != "null":
        return [f"{path}: only ['null', T] unions are used in the contract"]
    origin = get_origin(annotation)
    arguments = get_args(annotation)
    if origin not in (Union, types.UnionType) or len(arguments) != 2 or type(None) not in arguments:
        return [f"{path}: optional in avsc, {annotation} in model"]
    inner = next(a for a in arguments if a is not type(None))
    return _type_problems(path, avro[1], inner, named)


def _enum_problems(path: str, avro: Mapping[str, Any], annotation: Any) -> list[str]:
    if not (isinstance(annotation, type) and issubclass(annotation, StrEnum)):
        return [f"{path}: enum {avro['name']} vs {annotation}"]
    if annotation.__name__ != avro["name"]:
        return [f"{path}: enum {avro['name']} (avsc) vs {annotation.__name__} (model)"]
    symbols = [member.value for member in annotation]
    if symbols != avro["symbols"]:
        return [f"{path}: symbols {avro['symbols']} (avsc) != {symbols} (model)"]
    return []

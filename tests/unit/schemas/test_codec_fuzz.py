"""Fuzzing the consumer's decoder (hypothesis): whatever bytes arrive, decoding either gives a
validated event or raises the project's own error, which the consumer sends to the dead-letter
topic. Any other exception would stop the consumer."""

from __future__ import annotations

import contextlib
import uuid
from functools import cache

from confluent_kafka.schema_registry import SchemaRegistryClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.errors import CasesyncError
from schemas.codec import RegistryCodec
from schemas.examples import all_examples
from schemas.registry import register_contract

TOPIC = "casesync.events.ro-anitp"
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def codec() -> RegistryCodec:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    register_contract(client, [TOPIC])
    return RegistryCodec(client)


@cache
def valid_messages() -> tuple[bytes, ...]:
    return tuple(codec().encode(TOPIC, event) for event in all_examples())


def decodes_or_refuses(data: bytes) -> None:
    """Decode; a refusal must be a CasesyncError (the consumer dead-letters those)."""
    with contextlib.suppress(CasesyncError):
        codec().decode(TOPIC, data)


@FUZZ
@given(st.binary(max_size=512))
def test_arbitrary_bytes_are_refused_with_the_projects_error(data: bytes) -> None:
    decodes_or_refuses(data)


@FUZZ
@given(st.data())
def test_a_real_header_with_an_arbitrary_body_is_refused_or_decoded(data: st.DataObject) -> None:
    header = data.draw(st.sampled_from(valid_messages()))[:5]
    decodes_or_refuses(header + data.draw(st.binary(max_size=512)))


@FUZZ
@given(st.data())
def test_truncated_and_mutated_messages_are_refused_or_decoded(data: st.DataObject) -> None:
    message = bytearray(data.draw(st.sampled_from(valid_messages())))
    cut = data.draw(st.integers(min_value=0, max_value=len(message)))
    for _ in range(data.draw(st.integers(min_value=0, max_value=4))):
        position = data.draw(st.integers(min_value=0, max_value=len(message) - 1))
        message[position] = data.draw(st.integers(min_value=0, max_value=255))
    decodes_or_refuses(bytes(message[:cut]))
    decodes_or_refuses(bytes(message))


@FUZZ
@given(st.integers(min_value=0, max_value=2**32 - 1), st.binary(max_size=64))
def test_unknown_schema_ids_and_wrong_magic_bytes_are_refused(schema_id: int, body: bytes) -> None:
    decodes_or_refuses(b"\x00" + schema_id.to_bytes(4, "big") + body)
    decodes_or_refuses(b"\x01" + schema_id.to_bytes(4, "big") + body)

"""Fixtures shared by the consumer tests."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from infra.clients import make_admin, make_registry_client
from infra.settings import Settings
from infra.topics import ensure_topics
from producers.generate import generate
from schemas.registry import register_contract
from schemas.topics import agency_topics, contract_topics


@pytest.fixture(scope="package")
def caseload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("consume")
    generate(out, weeks=12, victims=400, seed=23, bad_row_rate=0.0)
    return out


@pytest.fixture
def prefix(service_settings: Settings) -> str:
    """A topic prefix of this test's own: its agency topics, DLQ and subjects."""
    value = f"t{uuid.uuid4().hex[:10]}."
    ensure_topics(make_admin(service_settings), contract_topics(value))
    register_contract(make_registry_client(service_settings), agency_topics(value))
    return value

"""Fixtures of the flow tests: a joint view filled from a generated caseload (no broker)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from consumers.apply import apply_batch
from consumers.database import upgrade
from consumers.handlers import AppliedEvent
from infra.database import make_engine
from infra.settings import Settings
from producers.generate import EXPORT_FILES, generate
from producers.pipeline import caseload_events


@pytest.fixture(scope="module")
def caseload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dedup")
    generate(folder, weeks=12, victims=300, seed=5, bad_row_rate=0.0)
    return folder


def fill_view(engine: Engine, caseload: Path, agencies: Iterable[str]) -> None:
    """Apply the agencies' exports of ``caseload`` to the view, as the consumer would."""
    now = datetime.now(UTC)
    events = [
        AppliedEvent(event, "casesync.events.test", 0, offset, now)
        for offset, event in enumerate(caseload_events(caseload, agencies))
    ]
    for start in range(0, len(events), 500):
        apply_batch(engine, events[start : start + 500])


@pytest.fixture
def empty_view(database_settings: Settings) -> Engine:
    engine = make_engine(database_settings)
    upgrade(engine)
    return engine


@pytest.fixture
def view(empty_view: Engine, caseload: Path) -> Engine:
    fill_view(empty_view, caseload, EXPORT_FILES)
    return empty_view

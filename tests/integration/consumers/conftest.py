"""Fixtures shared by the consumer tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from producers.generate import generate


@pytest.fixture(scope="package")
def caseload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("consume")
    generate(out, weeks=12, victims=400, seed=23, bad_row_rate=0.0)
    return out

"""The Spark backend (local mode) gets the same clusters as DuckDB on the same records."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flows.matching import IN_PROCESS, MatchThresholds, backend_for, match
from flows.normalise import matching_row, packaged_variants
from flows.records import latest_records
from producers.generate import generate
from producers.pipeline import caseload_events
from schemas.events import PersonRecorded
from tests.unit.flows.people import DOBRE, people, rows

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def spark_backend(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    try:
        import pyspark  # noqa: F401, PLC0415
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("pyspark is not installed (pip install '.[dev]' brings it)")
        pytest.skip("pyspark is not installed")
    backend = backend_for("spark", tmp_path_factory.mktemp("spark"))
    yield backend
    backend.spark.stop()


def _caseload_rows(folder: Path) -> list[dict[str, object]]:
    generate(folder, weeks=12, victims=80, seed=3, bad_row_rate=0.0)
    events = [e for e in caseload_events(folder) if isinstance(e, PersonRecorded)]
    variants = packaged_variants()
    return [matching_row(r, variants) for r in latest_records(events)]


def _groups(clusters: dict[str, str]) -> set[frozenset[str]]:
    members: dict[str, set[str]] = {}
    for record, cluster in clusters.items():
        members.setdefault(cluster, set()).add(record)
    return {frozenset(m) for m in members.values()}


def test_spark_and_duckdb_find_the_same_persons(spark_backend, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    thresholds = MatchThresholds(link=0.9, review=0.3)
    small = rows(people())
    caseload = _caseload_rows(tmp_path)

    on_spark = match(small, thresholds, backend=spark_backend)
    on_duckdb = match(small, thresholds, backend=IN_PROCESS)
    assert _groups(on_spark.clusters) == _groups(on_duckdb.clusters)
    assert frozenset(DOBRE) in _groups(on_spark.clusters)

    spark_caseload = match(caseload, backend=spark_backend)
    duckdb_caseload = match(caseload, backend=IN_PROCESS)
    assert len(caseload) > 200
    assert _groups(spark_caseload.clusters) == _groups(duckdb_caseload.clusters)

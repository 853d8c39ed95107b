"""The weekly-statistics flow against a real view, broker and registry: snapshots, revisions,
files, and the public topic as a plain Confluent subscriber reads it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from consumers.view import StatsCell, StatsSnapshot
from flows.stats_flow import weekly_statistics
from infra.settings import Settings
from producers.generate import EXPORT_FILES
from schemas.topics import weekly_statistics_topic
from tests.integration.consumers.change_stream import latest_per_key
from tests.integration.flows.conftest import fill_view

pytestmark = pytest.mark.integration
WEEK = "2026-W48"
CASESYNC = str(Path(sys.executable).with_name("casesync"))
LATE_AGENCY = "ro-diicot"  # its export arrives after the first run: a revision


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


def _settings(database: Settings, service: Settings, prefix: str) -> Settings:
    return database.model_copy(
        update={
            "kafka_bootstrap": service.effective_kafka_bootstrap,
            "schema_registry_url": service.effective_schema_registry_url,
            "topic_prefix": prefix,
        }
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if not row["measure"].startswith("#")]


def _label(row: dict[str, str]) -> str:
    """A cells.csv row's figure, as the topic's key names it."""
    return "/".join(row[k] for k in ("measure", "view", "period", "week")) + (
        f"/{row['dimension']}={row['category']}"
    )


def test_a_late_export_revises_earlier_weeks_and_only_public_figures_leave(
    harness: None,
    empty_view: Engine,
    caseload: Path,
    database_settings: Settings,
    service_settings: Settings,
    prefix: str,
) -> None:
    settings = _settings(database_settings, service_settings, prefix)
    fill_view(empty_view, caseload, [a for a in EXPORT_FILES if a != LATE_AGENCY])

    first = weekly_statistics(week=WEEK, settings=settings)
    fill_view(empty_view, caseload, [LATE_AGENCY])
    second = weekly_statistics(week=WEEK, settings=settings)

    with Session(empty_view) as session:
        assert session.scalar(select(func.count()).select_from(StatsSnapshot)) == 2
        stored = session.scalar(
            select(func.count()).where(StatsCell.snapshot_id == second["snapshot_id"])
        )
    assert stored == second["cells"] > 0
    folder = Path(str(second["folder"]))
    restricted = _rows(folder / "restricted" / "cells.csv")
    public = _rows(folder / "public" / "cells.csv")
    assert len(restricted) == second["cells"]
    assert len(public) == second["public_cells"] <= second["cells"]
    # A quarter of the caseload's records are H2: counted inside, never in the public figures.
    assert second["withheld_records"] > 0
    total = f"potential_victims/uk/cumulative/{WEEK}/total=all"
    inside = next(r for r in restricted if _label(r) == total)
    outside = next(r for r in public if _label(r) == total)
    assert outside["value"] == "" or int(outside["value"]) < int(inside["value"])
    # Public: nothing from 1 to k-1, every table carries the rule; restricted has small counts.
    assert all(r["value"] == "" or int(r["value"]) == 0 or int(r["value"]) >= 11 for r in public)
    assert any(0 < int(r["value"]) < 11 for r in restricted)
    html = (folder / "public" / "report.html").read_text(encoding="utf-8")
    assert html.count("k = 11") >= 5
    assert "<svg" in html
    assert "<script" not in html
    # DIICOT's late prosecutions revise weeks the first snapshot had already reported.
    revised = _rows(folder / "restricted" / "revisions.csv")
    assert {r["measure"] for r in revised} >= {"prosecuted"}
    assert all(int(r["after"]) != int(r["before"]) for r in revised)
    assert first["snapshot_id"] != second["snapshot_id"]
    # The topic holds the latest public value of every figure, null when suppressed.
    _read, latest = latest_per_key(settings, weekly_statistics_topic(prefix), None)
    assert len(latest) == second["public_cells"] == second["published"]
    by_label = {_label(r): r for r in public}
    for key, record in latest.items():
        assert record["snapshot_id"] == second["snapshot_id"]
        assert record["suppressed"] == (record["value"] is None)
        assert record["value"] is None or record["value"] == 0 or record["value"] >= 11
        assert str(record["value"] if record["value"] is not None else "") == by_label[key]["value"]
        assert "k = 11" in str(record["disclosure_rule"])


def test_the_stats_command_prints_the_public_tables_and_writes_the_files(
    view: Engine, database_settings: Settings, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "COLUMNS": "220",
        "CASESYNC_STATE_DIR": str(tmp_path),
        "CASESYNC_DATABASE_URL": database_settings.effective_database_url,
    }

    done = subprocess.run(
        [CASESYNC, "stats", "--week", WEEK, "--no-publish"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    wrong = subprocess.run(
        [CASESYNC, "stats", "--week", "2026-48", "--no-publish"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Discrepancy to the end of {WEEK} (public)" in done.stdout
    assert "[c]" in done.stdout
    assert "k = 11" in done.stdout
    assert (tmp_path / "reports" / WEEK / "public" / "report.html").exists()
    assert wrong.returncode == 2
    assert "2026-48" in wrong.stderr

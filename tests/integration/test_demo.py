"""`casesync demo` end to end, as a user runs it: infra up, generate, publish, consume,
de-duplicate, weekly statistics; the reconciled counts checked against the generator's truth."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from consumers.view import AgencyPerson, CaseFact, StatsCell
from producers.generate import read_person_truth
from schemas.vocabulary import Agency

pytestmark = pytest.mark.integration

CASESYNC = str(Path(sys.executable).with_name("casesync"))
WEEK = "2026-W48"


def _truth_counts(database_url: str, caseload: Path) -> dict[str, tuple[int, int]]:
    """Per population: (records the view counts, distinct true persons behind them)."""
    truth = {(agency, ref): person for agency, ref, person in read_person_truth(caseload)}
    engine = create_engine(database_url)
    with Session(engine) as session:
        referred = {
            (Agency(row.agency).code, row.person_ref)
            for row in session.execute(
                select(CaseFact.agency, CaseFact.person_ref).where(CaseFact.kind == "ReferralMade")
            )
        }
        suspects = {
            (Agency(row.agency).code, row.person_ref)
            for row in session.execute(
                select(AgencyPerson.agency, AgencyPerson.person_ref).where(
                    AgencyPerson.role == "SUSPECT", AgencyPerson.retracted.is_(False)
                )
            )
        }
    engine.dispose()
    return {
        "potential_victims": (len(referred), len({truth[r] for r in referred})),
        "suspects": (len(suspects), len({truth[r] for r in suspects})),
    }


def _figures(database_url: str, snapshot_id: int) -> dict[tuple[str, str], int]:
    engine = create_engine(database_url)
    with Session(engine) as session:
        rows = session.scalars(
            select(StatsCell).where(
                StatsCell.snapshot_id == snapshot_id,
                StatsCell.period == "cumulative",
                StatsCell.week == WEEK,
                StatsCell.dimension == "total",
            )
        ).all()
        figures = {(row.measure, row.view): row.value for row in rows}
    engine.dispose()
    return figures


def test_the_demo_runs_the_whole_pipeline_and_reconciles_to_the_truth(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path}/demo.db"
    env = {
        **service_env,
        "COLUMNS": "200",
        "CASESYNC_STATE_DIR": str(tmp_path),
        "CASESYNC_CACHE_DIR": str(Path(service_env["CASESYNC_STATE_DIR"]) / "cache"),
        "CASESYNC_DATABASE_URL": database_url,
        "CASESYNC_TOPIC_PREFIX": f"demo{uuid.uuid4().hex[:8]}.",
        "CASESYNC_CONSUMER_GROUP": f"demo-{uuid.uuid4().hex[:8]}",
    }
    done = subprocess.run(
        [CASESYNC, "demo", "--victims", "150"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    for step in range(1, 7):
        assert f"{step}/6" in done.stdout
    assert "Discrepancy to the end of 2026-W48" in done.stdout
    public = tmp_path / "reports" / WEEK / "public" / "report.html"
    assert f"public report:     {public}" in done.stdout.replace("\n", "")
    assert public.exists()
    assert (tmp_path / "reports" / WEEK / "restricted" / "report.html").exists()
    snapshot = int(re.findall(r"weekly statistics, snapshot (\d+)", done.stdout)[0])
    figures = _figures(database_url, snapshot)
    for measure, (records, persons) in _truth_counts(
        database_url, tmp_path / "demo-caseload"
    ).items():
        reported = figures[(measure, "uk")] + figures[(measure, "ro")]
        reconciled = figures[(measure, "reconciled")]
        assert reported == records  # each side's figure counts its agencies' records
        assert reconciled < records  # persons known to several agencies are counted once
        # Matching is not perfect (F1 ~0.97): the reconciled count is within 5 % of the truth.
        assert abs(reconciled - persons) <= 0.05 * persons, (measure, reconciled, persons)
        assert figures[(measure, "double_counted")] == reported - reconciled


def test_infra_status_lists_the_services(service_env: dict[str, str]) -> None:
    done = subprocess.run(
        [CASESYNC, "infra", "status"],
        env={**service_env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    rows = {line.split()[1]: line for line in done.stdout.splitlines() if line.startswith("│")}
    # service_env names the broker and registry explicitly, so they are external and answering.
    assert "external" in rows["kafka"]
    assert "external" in rows["registry"]
    assert "prefect" in rows

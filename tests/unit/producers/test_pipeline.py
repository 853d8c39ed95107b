"""publish_export in dry-run mode (no broker): summary, rejects file, in-file duplicates."""

from __future__ import annotations

import csv
from pathlib import Path

from producers.agencies import adapter_for
from producers.pipeline import publish_export
from tests.unit.producers.test_mapping import NOMINAL


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    columns = sorted({key for row in rows for key in row})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def test_dry_run_counts_rows_events_rejects_and_duplicates(tmp_path: Path) -> None:
    export = tmp_path / "uk-police.csv"
    broken = {**NOMINAL, "entry_id": "UKN2", "nominal_dob": "31/02/1990"}
    _write(export, [NOMINAL, broken, NOMINAL])
    rejects = tmp_path / "rejects.csv"

    summary = publish_export(adapter_for("uk-police"), export, None, rejects)

    assert (summary.read, summary.events, summary.rejected, summary.duplicates) == (3, 2, 1, 1)
    assert summary.published == 0
    assert summary.dry_run
    with rejects.open() as handle:
        (reject,) = list(csv.DictReader(handle))
    assert reject["row"] == "3"  # line 3: header, first row, then the broken one
    assert reject["field"] == "date_of_birth"
    assert "31/02" not in reject["reason"]

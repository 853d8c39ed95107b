"""`casesync dedup` and `casesync dedup-evaluate` as a user runs them (files, no services)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from flows.records import CSV_COLUMNS

pytestmark = pytest.mark.integration

CASESYNC = str(Path(sys.executable).with_name("casesync"))
PERSONS = [
    # record_id, agency, given_names, family_name, date_of_birth, sex, nationality, national_id,
    # passport_no, phone, an extra column the command ignores
    ("r1", "ro-anitp", "Ştefan", "Dobre", "1980-01-01", "MALE", "RO", "1800101221144", "", "", "x"),
    ("r2", "uk-police", "Stephen", "DOBRE", "1980-01-01", "male", "RO", "", "", "", "y"),
    ("r3", "uk-sca", "Dobre", "Stefan", "1980", "MALE", "", "", "", "", ""),
    ("r4", "uk-police", "Sarah", "Smith", "1975-06", "FEMALE", "GB", "", "", "", ""),
    ("r5", "uk-police", "James", "Jones", "", "", "GB", "", "", "+44 7700 900123", ""),
]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [CASESYNC, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _write(path: Path, rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


HEADER = (*CSV_COLUMNS, "notes")  # an extra column the command ignores


def _clusters(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["record_id"]: row["person_id"] for row in csv.DictReader(handle)}


def test_dedup_writes_one_person_id_per_real_person(tmp_path: Path) -> None:
    persons = _write(tmp_path / "persons.csv", PERSONS, HEADER)
    out = tmp_path / "clusters.csv"

    done = _run("dedup", str(persons), "--out", str(out))

    assert done.returncode == 0, done.stdout + done.stderr
    clusters = _clusters(out)
    assert len(clusters) == 5
    assert clusters["r1"] == clusters["r2"] == clusters["r3"]
    assert len(set(clusters.values())) == 3
    assert "5 records → 3 persons" in done.stdout


def test_a_rerun_with_a_new_record_keeps_the_ids_of_the_previous_file(tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    _run("dedup", str(_write(tmp_path / "p1.csv", PERSONS[1:], HEADER)), "--out", str(first))
    second = tmp_path / "second.csv"

    done = _run(
        "dedup",
        str(_write(tmp_path / "p2.csv", PERSONS, HEADER)),
        "--out",
        str(second),
        "--previous",
        str(first),
    )

    assert done.returncode == 0, done.stdout + done.stderr
    before, after = _clusters(first), _clusters(second)
    assert all(after[record] == person for record, person in before.items())
    assert after["r1"] == before["r2"]  # the new record joined an existing person
    assert "grew" in done.stdout


def test_a_file_without_record_id_is_refused_naming_the_column(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.csv", [("a", "b")], ("id", "family_name"))

    done = _run("dedup", str(bad), "--out", str(tmp_path / "x.csv"))

    assert done.returncode == 1
    assert "no record_id column" in done.stdout


def test_dedup_evaluate_on_febrl_1_reaches_the_aim() -> None:
    done = _run("dedup-evaluate", "--victims", "300", "--febrl", "1", "--json")

    assert done.returncode == 0, done.stderr
    results = {r["dataset"].split(" (")[0]: r for r in json.loads(done.stdout)}
    assert results["FEBRL dataset 1"]["records"] == 1000
    assert results["FEBRL dataset 1"]["pairwise"]["f1"] >= 0.95
    assert results["synthetic caseload"]["pairwise"]["f1"] >= 0.95

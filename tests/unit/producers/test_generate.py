"""The synthetic caseload: deterministic, realistic, and consistent with its ground truth."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from infra.errors import ExportRowError
from producers.agencies import adapter_for
from producers.generate import EXPORT_FILES, generate


@pytest.fixture(scope="module")
def caseload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("caseload")
    generate(out, weeks=12, victims=600, seed=11, bad_row_rate=0.01)
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_files_other_seed_other_files(caseload: Path, tmp_path: Path) -> None:
    generate(tmp_path / "again", weeks=12, victims=600, seed=11, bad_row_rate=0.01)
    generate(tmp_path / "other", weeks=12, victims=600, seed=12, bad_row_rate=0.01)

    assert _digest(tmp_path / "again") == _digest(caseload)
    assert _digest(tmp_path / "other") != _digest(caseload)


def test_every_row_maps_except_exactly_the_rows_broken_on_purpose(caseload: Path) -> None:
    with (caseload / "ground_truth" / "bad_rows.csv").open() as handle:
        expected = {(r["agency"], int(r["row"]), r["field"]) for r in csv.DictReader(handle)}
    rejected = set()
    for agency, name in EXPORT_FILES.items():
        adapter = adapter_for(agency)
        for number, row in adapter.rows(caseload / name):
            try:
                adapter.to_events(row)
            except ExportRowError as exc:
                rejected.add((agency, number, exc.field))

    assert expected, "the fixture should contain broken rows"
    assert rejected == expected


def _person_events(caseload: Path) -> dict[str, list[dict[str, object]]]:
    found: dict[str, list[dict[str, object]]] = {}
    for agency, name in EXPORT_FILES.items():
        adapter = adapter_for(agency)
        for _number, row in adapter.rows(caseload / name):
            try:
                events = adapter.to_events(row)
            except ExportRowError:
                continue
            found.setdefault(agency, []).extend(
                e.model_dump() for e in events if e.event_type() == "PersonRecorded"
            )
    return found


def test_ground_truth_names_every_person_record(caseload: Path) -> None:
    with (caseload / "ground_truth" / "persons.csv").open() as handle:
        truth = {(r["agency"], r["person_ref"]) for r in csv.DictReader(handle)}
    recorded = {
        (a, str(p["person_ref"])) for a, people in _person_events(caseload).items() for p in people
    }

    assert recorded <= truth


def test_the_caseload_looks_like_the_real_problem(caseload: Path) -> None:
    people = _person_events(caseload)
    uk_names = " ".join(str(p["family_name"]) for p in people["uk-police"])
    ro_names = " ".join(str(p["family_name"]) for p in people["ro-anitp"])
    with (caseload / "ground_truth" / "persons.csv").open() as handle:
        truth = list(csv.DictReader(handle))
    by_person: dict[str, set[str]] = {}
    for row in truth:
        by_person.setdefault(row["true_person_id"], set()).add(row["agency"][:2])

    assert any(c in ro_names for c in "ăâîșț"), "Romanian records keep diacritics"
    assert any(c in ro_names for c in "şţ"), "some Romanian records use cedilla letters"
    assert uk_names.isascii() or sum(not c.isascii() for c in uk_names) < len(uk_names) / 50
    assert all(
        not any(i["type"] == "CNP" for i in p["identifiers"])  # type: ignore[attr-defined]
        for p in people["uk-police"] + people["uk-sca"]
    ), "UK records never hold a CNP"
    assert any(any(i["type"] == "CNP" for i in p["identifiers"]) for p in people["ro-anitp"])  # type: ignore[attr-defined]
    assert any(
        p["date_of_birth"] and p["date_of_birth"].get("month") is None for p in people["uk-sca"]
    )  # type: ignore[union-attr]
    both = sum(1 for sides in by_person.values() if sides == {"uk", "ro"})
    one = sum(1 for sides in by_person.values() if len(sides) == 1)
    assert both > 50, "persons known to both sides"
    assert one > 50, "persons known to one side only"


def test_corrections_retractions_and_late_rows_are_present(caseload: Path) -> None:
    with (caseload / "uk-police.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    versions = {r["entry_version"] for r in rows}
    kinds = {r["entry_type"] for r in rows}
    recorded = [r["recorded"] for r in rows]

    assert "2" in versions
    assert "DELETE" in kinds
    assert recorded != sorted(recorded, key=lambda t: (t[6:10], t[3:5], t[0:2], t[11:])), (
        "late rows come last"
    )


def test_nrm_export_is_one_json_document(caseload: Path) -> None:
    document = json.loads((caseload / "uk-sca.json").read_text())

    assert len(document["referrals"]) > 100

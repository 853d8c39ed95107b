"""De-duplication benchmark: casesync matching on N person records vs exact-key grouping.

Run: `make bench` or `.venv/bin/python bench/dedup_bench.py [--records 100000]`. The records
come from a generated caseload (prepared in a child process, so the peak memory reported is the
matching's). Prints wall time, peak RSS, candidate comparisons per record, pairwise and B-cubed
F1 against the generator's truth, and the rate beside a raw baseline measured in the same run:
exact grouping on the normalised name key and full birth date in DuckDB (the cheapest
de-duplication there is, and the one casesync must beat on quality).
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow  # type: ignore[import-untyped]
from report import print_rates
from splink import DuckDBAPI
from splink.blocking_analysis import count_comparisons_from_blocking_rules

from flows.evaluation import evaluate
from flows.matching import blocking_rules
from flows.normalise import matching_row, packaged_variants
from flows.offline import deduplicate
from flows.records import CSV_COLUMNS, latest_records, read_csv, record_id
from producers.generate import generate, read_person_truth
from producers.pipeline import caseload_events
from schemas.events import PersonRecorded

PERSON_RECORDS_PER_VICTIM = 3.15  # the generator's mix (victims, suspects, several agencies)


def prepare(folder: Path, records: int, seed: int) -> None:
    """Generate a caseload of about ``records`` person records; write persons.csv, truth.csv."""
    generate(folder, weeks=12, victims=int(records / PERSON_RECORDS_PER_VICTIM) + 1, seed=seed)
    events = [e for e in caseload_events(folder) if isinstance(e, PersonRecorded)]
    with (folder / "persons.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for r in latest_records(events):
            born = r.date_of_birth
            dob = "-".join(
                f"{part:02d}" if n else str(part)
                for n, part in enumerate((born.year, born.month, born.day))
                if part is not None
            )
            given = " ".join(r.given_names)
            writer.writerow(
                [
                    r.record_id,
                    r.agency,
                    given,
                    r.family_name or "",
                    dob,
                    r.sex or "",
                    r.nationality or "",
                    r.national_id or "",
                    r.passport_no or "",
                    r.phone or "",
                ]
            )
    with (folder / "truth.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "person"])
        for agency, ref, person in read_person_truth(folder):
            writer.writerow([record_id(agency, ref), person])


def main() -> None:
    """Prepare the records in a child, then time both sides on them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, args.records, args.seed)
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--prepare",
                str(folder),
                "--records",
                str(args.records),
                "--seed",
                str(args.seed),
            ],
            check=True,
        )
        records = list(read_csv(folder / "persons.csv"))
        with (folder / "truth.csv").open(newline="", encoding="utf-8") as handle:
            truth = {row["record_id"]: row["person"] for row in csv.DictReader(handle)}

    began = time.perf_counter()
    run = deduplicate(records)
    ours_s = time.perf_counter() - began
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    variants = packaged_variants()
    rows = [matching_row(r, variants) for r in records]
    api = DuckDBAPI()
    table = api.register(rows, table_name="bench_records")
    counted = count_comparisons_from_blocking_rules(
        table,
        blocking_rules=blocking_rules(),
        link_type="dedupe_only",
        record_sample_proportion=1.0,
    )
    comparisons = counted[-1]["cumulative_comparison_count"]

    began = time.perf_counter()
    raw_rows = [matching_row(r, variants) for r in records]
    connection = duckdb.connect()
    connection.register("raw_records", pyarrow.Table.from_pylist(raw_rows))
    groups = connection.execute(
        "SELECT unique_id, dense_rank() OVER (ORDER BY name_tokens, dob_year, dob_month, dob_day)"
        " FROM raw_records"
    ).fetchall()
    raw_s = time.perf_counter() - began
    raw_clusters = {str(uid): str(group) for uid, group in groups}
    del raw_rows

    scores = evaluate(run.assignment.person_of, {r: truth[r] for r in run.assignment.person_of})
    raw_scores = evaluate(raw_clusters, {r: truth[r] for r in raw_clusters})
    n = len(records)
    print_rates(
        f"De-duplication of {n:,} person records (DuckDB, {peak_mib:,.0f} MiB peak RSS)",
        [
            (
                f"casesync dedup: normalise, train, block, score, cluster, assign ids "
                f"({ours_s:.1f} s; {comparisons / n:.1f} comparisons per record; "
                f"F1 {scores.pairwise.f1:.3f}, B³ {scores.b_cubed.f1:.3f})",
                n / ours_s,
            )
        ],
        (
            f"raw: normalise + exact grouping on name key and birth date ({raw_s:.1f} s; "
            f"F1 {raw_scores.pairwise.f1:.3f}, B³ {raw_scores.b_cubed.f1:.3f})",
            n / raw_s,
        ),
    )
    print()
    print("(events/s above are person records per second)")


if __name__ == "__main__":
    main()

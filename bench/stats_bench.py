"""Weekly statistics at scale: a PostgreSQL view of 10M events and 1M persons, built with SQL.

The view is filled directly (INSERT ... SELECT generate_series), not through the consumer, which
would take hours at this size. Then the weekly-statistics tasks run one by one (load, compute,
disclosure control, store, write files; no publishing), each timed, beside the raw baseline:
PostgreSQL itself counting the headline figures (distinct records and persons per measure and
week) in one GROUP BY. Needs CASESYNC_BENCH_DATABASE_URL (a PostgreSQL server).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from consume_bench import bench_database
from sqlalchemy import Engine, text

from consumers.database import upgrade
from flows import stats_flow
from infra.database import make_engine
from infra.settings import Settings

REPORT_WEEK = "2026-W48"
PROVENANCE = "gen_random_uuid()::text, 'bench', 0, 0, now()"

# One row per agency person record: i is the true person; victims i % 3 <> 0, suspects i % 3 = 0.
RECORDS = """
INSERT INTO agency_persons (event_id, topic, partition, "offset", applied_at, agency, person_ref,
    case_ref, country, role, given_names, aliases, sex, nationalities, identifiers, phones,
    age_group, exploitation_types, handling_code, source_sequence, retracted)
SELECT {provenance}, r.agency, r.prefix || i, 'C' || r.prefix || i, r.country, r.role,
    '[]'::json, '[]'::json, CASE WHEN i % 2 = 0 THEN 'FEMALE' ELSE 'MALE' END,
    json_build_array(CASE WHEN i % 7 = 0 THEN 'GB' ELSE 'RO' END), '[]'::json, '[]'::json,
    CASE WHEN i % 9 = 0 THEN 'CHILD' ELSE 'ADULT' END,
    json_build_array((ARRAY['LABOUR','SEXUAL','CRIMINAL','DOMESTIC_SERVITUDE'])[1 + i % 4]),
    'H0', 1, false
FROM generate_series(1, :persons) AS i
JOIN (VALUES ('UK_SCA', 'S', 'GB', 'VICTIM', 3, 1), ('RO_ANITP', 'A', 'RO', 'VICTIM', 3, 2),
             ('RO_POLICE', 'R', 'RO', 'SUSPECT', 3, 0), ('RO_DIICOT', 'D', 'RO', 'SUSPECT', 6, 0),
             ('UK_POLICE', 'U', 'GB', 'SUSPECT', 12, 0))
    AS r(agency, prefix, country, role, modulus, remainder)
  ON (r.role = 'VICTIM' AND i % 3 <> 0 AND (r.remainder = 1 OR i % 2 = 0))
  OR (r.role = 'SUSPECT' AND i % r.modulus = 0)
"""
CASES = """
INSERT INTO agency_cases (event_id, topic, partition, "offset", applied_at, agency, case_ref,
    country, status, exploitation_types, max_sequence, opened_sequence, status_sequence)
SELECT event_id, topic, partition, "offset", applied_at, agency, case_ref, country, 'open',
    exploitation_types, 1, 1, 0
FROM agency_persons
"""
# Facts: (kind, agency, details, share of that agency's records).
FACTS = """
INSERT INTO case_facts (event_id, topic, partition, "offset", applied_at, agency, case_ref, kind,
    person_ref, fact_date, details, sequence)
SELECT {provenance}, p.agency, p.case_ref, f.kind,
    CASE WHEN f.kind = 'ProsecutionStarted' THEN NULL ELSE p.person_ref END,
    DATE '2025-12-01' + (hashtext(p.person_ref || f.kind) & 1023) % 364,
    CASE WHEN f.kind = 'ProsecutionStarted'
         THEN json_build_object('defendant_refs', json_build_array(p.person_ref))
         ELSE f.details::json END,
    2
FROM agency_persons p
JOIN (VALUES
    ('ReferralMade', 'UK_SCA', '{{"age_group": "ADULT", "exploitation_types": ["LABOUR"]}}', 1),
    ('ReferralMade', 'RO_ANITP', '{{"age_group": "ADULT", "exploitation_types": ["SEXUAL"]}}', 1),
    ('IdentificationDecided', 'UK_SCA',
     '{{"stage": "REASONABLE_GROUNDS", "outcome": "POSITIVE"}}', 1),
    ('IdentificationDecided', 'UK_SCA',
     '{{"stage": "CONCLUSIVE_GROUNDS", "outcome": "POSITIVE"}}', 5),
    ('IdentificationDecided', 'RO_ANITP',
     '{{"stage": "RO_FORMAL_IDENTIFICATION", "outcome": "POSITIVE"}}', 1),
    ('SuspectCharged', 'RO_DIICOT', '{{"offence": "art. 210 CP"}}', 1),
    ('SuspectCharged', 'UK_POLICE', '{{"offence": "MSA 2015 s.2"}}', 2),
    ('ProsecutionStarted', 'RO_DIICOT', '{{}}', 1),
    ('CourtOutcomeRecorded', 'RO_DIICOT', '{{"outcome": "CONVICTED"}}', 2))
    AS f(kind, agency, details, every)
  ON f.agency = p.agency AND p.id % f.every = 0
"""
TIMELINE = """
INSERT INTO timeline (event_id, topic, partition, "offset", applied_at, agency, case_ref,
    sequence, event_type, occurred_at, recorded_at, handling_code, outcome, gap_before)
SELECT event_id, topic, partition, "offset", applied_at, agency, case_ref, 1, 'PersonRecorded',
    TIMESTAMPTZ '2025-12-01' + ((id::bigint * 7919) % 364) * INTERVAL '1 day', applied_at, 'H0',
    'applied', 0
FROM agency_persons
UNION ALL
SELECT event_id, topic, partition, "offset", applied_at, agency, case_ref, sequence, kind,
    fact_date, applied_at, 'H0', 'applied', 0
FROM case_facts
"""
FILLER = """
INSERT INTO timeline (event_id, topic, partition, "offset", applied_at, agency, case_ref,
    sequence, event_type, occurred_at, recorded_at, handling_code, outcome, gap_before)
SELECT {provenance}, 'UK_POLICE', 'F' || (i / 20), 3 + i % 20, 'InvestigationOpened',
    TIMESTAMPTZ '2025-12-01' + (i % 364) * INTERVAL '1 day', now(), 'H0', 'applied', 0
FROM generate_series(1, :count) AS i
"""
PERSONS = """
INSERT INTO match_runs (id, mode, started_at, finished_at, records, candidate_pairs, persons, model)
VALUES (1, 'full', now(), now(), 0, 0, 0, '{}'::json);
INSERT INTO persons (person_id, created_at, created_by_run, status, updated_at)
SELECT 'P' || lpad(i::text, 8, '0'), now(), 1, 'active', now()
FROM generate_series(1, :persons) AS i;
INSERT INTO person_records (agency, person_ref, person_id, run_id)
SELECT agency, person_ref, 'P' || lpad(substr(person_ref, 2), 8, '0'), 1
FROM agency_persons WHERE substr(person_ref, 2)::bigint % 10 <> 0;
"""
# The raw baseline: distinct records and distinct persons per measure-ish kind and week.
RAW = """
SELECT f.kind, a.country, date_trunc('week', f.fact_date) AS week,
       count(DISTINCT f.agency || ':' || f.person_ref) AS records,
       count(DISTINCT coalesce(pr.person_id, f.agency || ':' || f.person_ref)) AS persons
FROM case_facts f
JOIN (VALUES ('UK_SCA', 'GB'), ('UK_POLICE', 'GB'), ('RO_ANITP', 'RO'), ('RO_POLICE', 'RO'),
             ('RO_DIICOT', 'RO')) AS a(agency, country) ON a.agency = f.agency
LEFT JOIN person_records pr ON pr.agency = f.agency AND pr.person_ref = f.person_ref
GROUP BY f.kind, a.country, date_trunc('week', f.fact_date)
"""


def fill(engine: Engine, persons: int, events: int) -> dict[str, int]:
    """The synthetic view; row counts per table."""
    with engine.begin() as connection:
        connection.execute(text("SET synchronous_commit = off"))
        connection.execute(text(RECORDS.format(provenance=PROVENANCE)), {"persons": persons})
        connection.execute(text(CASES))
        connection.execute(text(FACTS.format(provenance=PROVENANCE)))
        connection.execute(text(TIMELINE))
        so_far = connection.scalar(text("SELECT count(*) FROM timeline")) or 0
        filler = text(FILLER.format(provenance=PROVENANCE))
        connection.execute(filler, {"count": max(0, events - so_far)})
        for statement in PERSONS.strip().split(";\n"):
            connection.execute(text(statement), {"persons": persons})
        connection.execute(text("ANALYZE"))
    return table_counts(engine)


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows of the tables the statistics read."""
    tables = ("agency_persons", "agency_cases", "case_facts", "timeline", "person_records")
    with engine.connect() as connection:
        return {t: connection.scalar(text(f"SELECT count(*) FROM {t}")) or 0 for t in tables}  # noqa: S608


def main() -> None:
    """Fill the view, then time the raw GROUP BY and each task of the flow."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument(
        "--database", help="Reuse a view this bench filled before (its URL) instead of a new one."
    )
    args = parser.parse_args()
    if not os.environ.get("CASESYNC_BENCH_DATABASE_URL"):
        print("stats_bench: set CASESYNC_BENCH_DATABASE_URL to a PostgreSQL server; skipped")
        return
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or bench_database(Path(folder))
        settings = Settings(state_dir=Path(folder), database_url=url)
        engine = make_engine(settings)
        upgrade(engine)
        began = time.perf_counter()
        counts = table_counts(engine) if args.database else fill(engine, args.persons, args.events)
        print(f"view ready in {time.perf_counter() - began:.0f} s: {counts}")
        print(f"(rerun on it with --database {engine.url.render_as_string(hide_password=True)})")
        began = time.perf_counter()
        with engine.connect() as connection:
            raw_rows = len(connection.execute(text(RAW)).all())
        raw = time.perf_counter() - began
        timings: list[tuple[str, float]] = []

        def timed(label: str, step: object) -> object:
            start = time.perf_counter()
            result = step() if callable(step) else step
            timings.append((label, time.perf_counter() - start))
            return result

        stats_input = timed("load counted records", lambda: stats_flow.load.fn(settings))
        first_week, cells, public = timed(
            "compute figures", lambda: stats_flow.compute.fn(stats_input, REPORT_WEEK)
        )
        suppression = timed("disclosure control", lambda: stats_flow.suppress.fn(public, 11))
        snapshot, _previous = timed(
            "store snapshot",
            lambda: stats_flow.save.fn(
                settings, REPORT_WEEK, first_week, cells, public, suppression, stats_input
            ),
        )
        timed("write CSV and HTML", lambda: stats_flow.write_reports.fn(settings, snapshot, None))
        total = sum(seconds for _, seconds in timings)
        print()
        print("## Weekly statistics over the view (PostgreSQL)")
        print()
        print(
            f"{counts['timeline']:,} events, {args.persons:,} true persons, "
            f"{counts['agency_persons']:,} person records, {counts['case_facts']:,} facts, "
            f"{stats_input.records.num_rows:,} counted records, {len(cells):,} cells, "
            f"{len(suppression.hidden):,} suppressed"
        )
        print()
        print("| step | seconds |")
        print("|---|---:|")
        for label, seconds in timings:
            print(f"| {label} | {seconds:.1f} |")
        print(f"| **weekly statistics, all steps** | **{total:.1f}** |")
        label = f"raw: one GROUP BY of distinct records and persons ({raw_rows:,} rows)"
        print(f"| {label} | {raw:.1f} |")
        print()
        print(f"ratio raw / ours: {raw / total:.2f} (aim: all steps <= 30 s)")
        engine.dispose()


if __name__ == "__main__":
    main()

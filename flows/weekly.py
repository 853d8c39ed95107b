"""The weekly statistics' edges: read measured records from the view, store snapshots, compare
them (revisions), and turn public cells into downstream records. Computing is in
`flows.statistics` and `flows.disclosure`."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv
from sqlalchemy import Engine, Select, String, cast, func, insert, literal, null, select, true
from sqlalchemy.orm import Session

from consumers.view import (
    AgencyCase,
    AgencyPerson,
    CaseFact,
    MatchRun,
    PersonRecordLink,
    StatsCell,
    StatsSnapshot,
    TimelineEntry,
)
from flows.disclosure import Suppression, disclosure_rule
from flows.statistics import RECORD_SCHEMA, CellKey, iso_week
from schemas.vocabulary import Agency

FACT_KINDS = (
    "ReferralMade",
    "IdentificationDecided",
    "SuspectCharged",
    "ProsecutionStarted",
    "CourtOutcomeRecorded",
)


@dataclass(frozen=True)
class StatsInput:
    """What the statistics are computed from: the counted records (a records table, with
    each record's person from matching) and the dedup run they reflect."""

    records: pa.Table
    match_run_id: int | None

    @property
    def withheld(self) -> int:
        """Counted records marked H2 (or of an H2 fact): in the restricted figures only."""
        onward = pc.sum(self.records["onward"]).as_py() or 0
        return int(self.records.num_rows) - int(onward)

    def first_week(self, report_week: str) -> str:
        """The week of the earliest counted record (the report week if there is none)."""
        earliest = pc.min(self.records["day"]).as_py() if self.records.num_rows else None
        return report_week if earliest is None else min(iso_week(earliest), report_week)


# Which facts count towards which measure: (event type, stage, outcome, measure); None matches
# anything. PersonRecorded rows are the suspect records (the query keeps only those).
MEASURE_OF_FACT = (
    ("ReferralMade", None, None, "potential_victims"),
    ("IdentificationDecided", "REASONABLE_GROUNDS", "POSITIVE", "positive_reasonable_grounds"),
    ("IdentificationDecided", "CONCLUSIVE_GROUNDS", "POSITIVE", "positive_conclusive"),
    ("IdentificationDecided", "RO_FORMAL_IDENTIFICATION", "POSITIVE", "positive_conclusive"),
    ("SuspectCharged", None, None, "suspects_charged"),
    ("ProsecutionStarted", None, None, "prosecuted"),
    ("CourtOutcomeRecorded", None, "CONVICTED", "convicted"),
    ("PersonRecorded", None, None, "suspects"),
)
# One row per counted fact as the database returns it (day as text: a date or a timestamp).
RAW_COLUMNS = (
    "kind",
    "agency",
    "person_ref",
    "day",
    "stage",
    "outcome",
    "referred_age",
    "referred_type",
    "sex",
    "age_group",
    "nationality",
    "person_type",
    "case_type",
    "person_id",
    "fact_handling",
    "person_handling",
)
RAW_SCHEMA = pa.schema([(name, pa.string()) for name in RAW_COLUMNS])
_NORMALISE_SQL = """
SELECT m.measure, a.code AS agency, a.country, a.code || ':' || r.person_ref AS record,
       CAST(substr(r.day, 1, 10) AS DATE) AS day,
       coalesce(r.sex, 'UNKNOWN') AS sex,
       CASE WHEN r.age_group IS NOT NULL AND r.age_group <> 'UNKNOWN' THEN r.age_group
            ELSE coalesce(r.referred_age, 'UNKNOWN') END AS age_group,
       coalesce(r.nationality, 'UNKNOWN') AS nationality,
       coalesce(r.referred_type, r.person_type, r.case_type, 'UNKNOWN') AS exploitation,
       coalesce(r.fact_handling, '') <> 'H2' AND coalesce(r.person_handling, '') <> 'H2'
           AS onward,
       r.person_id AS person
FROM raw r
JOIN measures m ON m.kind = r.kind AND (m.stage IS NULL OR m.stage = r.stage)
                AND (m.outcome IS NULL OR m.outcome = r.outcome)
JOIN agencies a ON a.agency = r.agency
WHERE r.day IS NOT NULL AND r.person_ref IS NOT NULL
"""


def normalise_facts(raw: pa.Table) -> pa.Table:
    """Raw fact rows (RAW_COLUMNS) to a records table (`flows.statistics.RECORD_COLUMNS`):
    the measure each counts towards, agency code and country, record key, attributes."""
    measures = pa.table(
        dict(
            zip(
                ("kind", "stage", "outcome", "measure"),
                zip(*MEASURE_OF_FACT, strict=True),
                strict=True,
            )
        ),
        schema=pa.schema([(name, pa.string()) for name in ("kind", "stage", "outcome", "measure")]),
    )
    agencies = pa.table(
        {
            "agency": [member.value for member in Agency],
            "code": [member.code for member in Agency],
            "country": [member.country for member in Agency],
        }
    )
    connection = duckdb.connect()
    try:
        for name, table in (("raw", raw), ("measures", measures), ("agencies", agencies)):
            connection.register(name, table)
        result: pa.Table = connection.sql(_NORMALISE_SQL).to_arrow_table()
    finally:
        connection.close()
    return result.cast(RECORD_SCHEMA)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _fetch(session: Session, query: Select[*tuple[Any, ...]]) -> pa.Table:
    """A query's rows as a RAW_COLUMNS table; on PostgreSQL through COPY (millions of rows)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        sql = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        driver = connection.connection.driver_connection
        buffer = io.BytesIO()
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")  # days are UTC days
            cursor.execute("SET LOCAL work_mem = '64MB'")  # hash joins of millions of rows
            with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
                for block in copy:
                    buffer.write(block)
        if not buffer.getbuffer().nbytes:
            return RAW_SCHEMA.empty_table()
        buffer.seek(0)
        return pa_csv.read_csv(
            buffer,
            read_options=pa_csv.ReadOptions(column_names=list(RAW_COLUMNS)),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),  # refs are free text
            convert_options=pa_csv.ConvertOptions(
                column_types=RAW_SCHEMA, strings_can_be_null=True
            ),
        )
    rows = session.execute(query).all()
    columns = zip(*rows, strict=True) if rows else [() for _ in RAW_COLUMNS]
    return pa.table(
        [pa.array([_text(v) for v in column], pa.string()) for column in columns],
        schema=RAW_SCHEMA,
    )


def _person_attributes() -> tuple[Any, ...]:
    """A person record's columns the breakdowns use: sex, age group, first nationality and
    first form of exploitation."""
    person = AgencyPerson
    return (
        person.sex,
        person.age_group,
        person.nationalities[0].as_string(),
        person.exploitation_types[0].as_string(),
    )


def _facts_query() -> Select[*tuple[Any, ...]]:
    person, link, case, fact = AgencyPerson, PersonRecordLink, AgencyCase, CaseFact
    details = fact.details
    return (
        select(
            fact.kind,
            fact.agency,
            fact.person_ref,
            fact.fact_date,
            details["stage"].as_string(),
            details["outcome"].as_string(),
            details["age_group"].as_string(),
            details[("exploitation_types", 0)].as_string(),
            *_person_attributes(),
            case.exploitation_types[0].as_string(),
            link.person_id,
            fact.handling_code,
            person.handling_code,
        )
        .outerjoin(person, (person.agency == fact.agency) & (person.person_ref == fact.person_ref))
        .outerjoin(case, (case.agency == fact.agency) & (case.case_ref == fact.case_ref))
        .outerjoin(link, (link.agency == fact.agency) & (link.person_ref == fact.person_ref))
        .where(
            fact.kind.in_(FACT_KINDS),
            fact.person_ref.is_not(None),
            fact.fact_date.is_not(None),
        )
    )


def _suspects_query() -> Select[*tuple[Any, ...]]:
    person, link = AgencyPerson, PersonRecordLink
    nothing = cast(null(), String)
    return (
        select(
            literal("PersonRecorded", String),
            person.agency,
            person.person_ref,
            TimelineEntry.occurred_at,
            nothing,
            nothing,
            nothing,
            nothing,
            *_person_attributes(),
            nothing,
            link.person_id,
            TimelineEntry.handling_code,
            person.handling_code,
        )
        .join(TimelineEntry, TimelineEntry.event_id == person.event_id)
        .outerjoin(link, (link.agency == person.agency) & (link.person_ref == person.person_ref))
        .where(person.role == "SUSPECT", person.retracted.is_(False))
    )


def load_stats_input(engine: Engine) -> StatsInput:
    """Counted records from the view's facts and suspect records, with their persons.

    The database does the joins and extracts the JSON fields (never whole ``details``
    documents); PostgreSQL streams the rows through COPY; DuckDB maps them to measures.
    """
    with Session(engine) as session, session.begin():
        raw = pa.concat_tables(
            [
                _fetch(session, _facts_query()),
                _fetch(session, _suspects_query()),
                _fetch(session, _defendants_query(session.get_bind().dialect.name)),
            ]
        )
        match_run_id = session.scalar(
            select(func.max(MatchRun.id)).where(MatchRun.finished_at.is_not(None))
        )
    return StatsInput(normalise_facts(raw), match_run_id)


def _defendants_query(dialect: str) -> Select[*tuple[Any, ...]]:
    """Each prosecution's defendants (a JSON list in ``details``), one row each."""
    person, link, case, fact = AgencyPerson, PersonRecordLink, AgencyCase, CaseFact
    if dialect == "postgresql":
        listed = func.json_array_elements_text(fact.details["defendant_refs"])
    else:  # SQLite
        listed = func.json_each(fact.details, "$.defendant_refs")
    refs = listed.table_valued("value").alias("defendant")
    nothing = cast(null(), String)
    return (
        select(
            fact.kind,
            fact.agency,
            refs.c.value,
            fact.fact_date,
            nothing,
            nothing,
            nothing,
            nothing,
            *_person_attributes(),
            case.exploitation_types[0].as_string(),
            link.person_id,
            fact.handling_code,
            person.handling_code,
        )
        .select_from(fact)
        .join(refs, true())
        .outerjoin(person, (person.agency == fact.agency) & (person.person_ref == refs.c.value))
        .outerjoin(case, (case.agency == fact.agency) & (case.case_ref == fact.case_ref))
        .outerjoin(link, (link.agency == fact.agency) & (link.person_ref == refs.c.value))
        .where(fact.kind == "ProsecutionStarted", fact.fact_date.is_not(None))
    )


@dataclass(frozen=True)
class Snapshot:
    """A stored run of the statistics."""

    id: int
    report_week: str
    first_week: str
    created_at: datetime
    k: int
    cells: dict[CellKey, int]
    hidden: dict[CellKey, str]
    # The public edition's values, counted without H2 records; None: the same as ``cells``.
    public: dict[CellKey, int] | None = None

    @property
    def public_cells(self) -> dict[CellKey, int]:
        """The figures the public edition is made of (before suppression)."""
        return self.cells if self.public is None else self.public


def store_snapshot(  # noqa: PLR0917 (one snapshot's parts)
    engine: Engine,
    report_week: str,
    first_week: str,
    cells: Mapping[CellKey, int],
    suppression: Suppression,
    stats_input: StatsInput,
    now: datetime,
    public: Mapping[CellKey, int] | None = None,
) -> int:
    """Write the snapshot and all its cells in one transaction; its id.

    ``public``: the public edition's values (without H2 records); None means ``cells``. A cell
    absent from it is not in the public edition (its category exists only in H2 records).
    """
    public = cells if public is None else public
    with Session(engine) as session, session.begin():
        snapshot = StatsSnapshot(
            report_week=report_week,
            first_week=first_week,
            created_at=now,
            k=suppression.k,
            match_run_id=stats_input.match_run_id,
            records=stats_input.records.num_rows,
            cells=len(cells),
            suppressed=len(suppression.hidden),
        )
        session.add(snapshot)
        session.flush()
        rows = [
            {
                "snapshot_id": snapshot.id,
                **key._asdict(),
                "value": cells.get(key, 0),
                "public_value": public.get(key),
                "suppression": suppression.hidden.get(key),
            }
            for key in sorted(set(cells) | set(public))
        ]
        for start in range(0, len(rows), 5000):
            session.execute(insert(StatsCell), rows[start : start + 5000])
        return snapshot.id


def read_snapshot(engine: Engine, snapshot_id: int) -> Snapshot:
    """One stored snapshot with its cells."""
    with Session(engine) as session:
        head = session.get(StatsSnapshot, snapshot_id)
        if head is None:
            raise LookupError(f"no statistics snapshot {snapshot_id}")
        cells: dict[CellKey, int] = {}
        public: dict[CellKey, int] = {}
        hidden: dict[CellKey, str] = {}
        for row in session.scalars(select(StatsCell).where(StatsCell.snapshot_id == snapshot_id)):
            key = CellKey(row.measure, row.view, row.period, row.week, row.dimension, row.category)
            cells[key] = row.value
            if row.public_value is not None:
                public[key] = row.public_value
            if row.suppression is not None:
                hidden[key] = row.suppression
        return Snapshot(
            head.id,
            head.report_week,
            head.first_week,
            head.created_at,
            head.k,
            cells,
            hidden,
            public,
        )


def previous_snapshot_id(engine: Engine, before: int) -> int | None:
    """The latest snapshot stored before snapshot ``before``."""
    with Session(engine) as session:
        return session.scalar(select(func.max(StatsSnapshot.id)).where(StatsSnapshot.id < before))


@dataclass(frozen=True)
class Revision:
    """A figure of an earlier week that changed between two snapshots."""

    key: CellKey
    before: int
    after: int


def revisions(previous: Snapshot, cells: Mapping[CellKey, int]) -> list[Revision]:
    """Weekly totals up to the previous snapshot's report week whose value changed since it."""
    changed = []
    for key in sorted(set(previous.cells) | set(cells)):
        if key.dimension != "total" or key.period != "week" or key.week > previous.report_week:
            continue
        if key.view not in ("uk", "ro", "reconciled"):
            continue
        before, after = previous.cells.get(key, 0), cells.get(key, 0)
        if before != after:
            changed.append(Revision(key, before, after))
    return changed


def public_records(
    snapshot_id: int,
    report_week: str,
    cells: Mapping[CellKey, int],
    suppression: Suppression,
    published_at: datetime,
) -> Iterable[tuple[str, dict[str, Any]]]:
    """(Kafka key, WeeklyStatistic value) per cell, suppressed values as null."""
    rule = disclosure_rule(suppression.k)
    for key, value in sorted(cells.items()):
        yield (
            key.label(),
            {
                "snapshot_id": snapshot_id,
                "report_week": report_week,
                **key._asdict(),
                "value": suppression.public_value(key, value),
                "suppressed": key in suppression.hidden,
                "disclosure_rule": rule,
                "published_at": published_at,
            },
        )

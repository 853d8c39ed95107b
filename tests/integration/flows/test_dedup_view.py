"""De-duplication over a real view (SQLite and PostgreSQL): persons, stable ids, decisions,
explanations, and the Prefect flow once under the test harness."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from consumers.apply import apply_batch
from consumers.handlers import PersonLinks
from consumers.queries import person_view, review_queue
from consumers.view import AgencyCase, JointCase, PersonRecordLink, ViewChange
from flows.dedup import (
    changed_since,
    load_records,
    ordered,
    persist,
    prior_state,
    record_decision,
    run_incremental,
    run_matching,
)
from flows.dedup_flow import dedup_flow
from flows.evaluation import clusters_from_pairs, evaluate
from flows.identity import ChangeKind
from flows.matching import MatchThresholds
from flows.person_links import person_states
from flows.records import record_id
from infra.cli import joint_view_consumer
from infra.settings import Settings
from producers.generate import read_person_truth
from schemas.topics import person_links_topic
from tests.integration.consumers.change_stream import latest_per_key
from tests.integration.flows.conftest import fill_view
from tests.integration.helpers import free_port

pytestmark = pytest.mark.integration

CASESYNC = str(Path(sys.executable).with_name("casesync"))

THRESHOLDS = MatchThresholds(link=0.95, review=0.5)


def _run(engine: Engine) -> tuple[int, dict[str, str], list[ChangeKind]]:
    run = run_matching(load_records(engine), prior_state(engine), THRESHOLDS, datetime.now(UTC))
    run_id = persist(engine, run, THRESHOLDS, datetime.now(UTC))
    return run_id, run.assignment.person_of, [c.kind for c in run.assignment.changes]


def test_persons_match_the_ground_truth_and_keep_their_ids(view: Engine, caseload: Path) -> None:
    _first_run, persons, kinds = _run(view)
    truth = {record_id(agency, ref): person for agency, ref, person in read_person_truth(caseload)}

    scores = evaluate(persons, {r: truth[r] for r in persons})
    assert scores.pairwise.f1 >= 0.95
    assert set(kinds) == {ChangeKind.CREATED}
    with Session(view) as session:
        stored = session.scalars(select(PersonRecordLink)).all()
    assert len(stored) == len(persons)

    _second_run, again, changes = _run(view)
    assert again == persons  # the same data: every id kept
    assert changes == []


def test_a_person_shows_its_records_and_the_evidence_that_joined_them(view: Engine) -> None:
    _run_id, persons, _kinds = _run(view)
    sizes: dict[str, int] = {}
    for person in persons.values():
        sizes[person] = sizes.get(person, 0) + 1
    biggest = max(sizes, key=lambda p: sizes[p])

    shown = person_view(view, biggest)

    assert shown is not None
    assert len(shown["records"]) == sizes[biggest]
    assert shown["links"]
    assert all(link["match_probability"] >= THRESHOLDS.link for link in shown["links"])
    assert {"family_name", "date_of_birth"} <= set(shown["links"][0]["evidence"])
    assert shown["history"][0]["kind"] == "created"


def test_review_decisions_are_honoured_by_the_next_run(view: Engine) -> None:
    _run(view)
    queue = review_queue(view, limit=5)
    assert queue["total"] > 0
    pair = queue["pairs"][0]
    left, right = ordered(pair["left_record"], pair["right_record"])

    record_decision(view, left, right, "same", datetime.now(UTC))
    _run_id, persons, _kinds = _run(view)
    assert persons[left] == persons[right]

    record_decision(view, left, right, "not_same", datetime.now(UTC))
    run = run_matching(load_records(view), prior_state(view), THRESHOLDS, datetime.now(UTC))
    persist(view, run, THRESHOLDS, datetime.now(UTC))
    assert (left, right) not in run.links
    # Apart, unless other links still join them (the decision removes this link only).
    others = clusters_from_pairs(run.assignment.person_of, run.links)
    together = run.assignment.person_of[left] == run.assignment.person_of[right]
    assert together == (others[left] == others[right])
    assert review_queue(view, limit=500)["total"] == queue["total"] - 1


def test_an_unknown_pair_or_decision_is_refused(view: Engine) -> None:
    with pytest.raises(LookupError, match="no scored pair"):
        record_decision(view, "uk-police:X", "uk-sca:Y", "same", datetime.now(UTC))
    with pytest.raises(ValueError, match="decision must be one of"):
        record_decision(view, "a", "b", "maybe", datetime.now(UTC))


def test_the_dedup_flow_runs_under_prefect(
    view: Engine, database_settings: Settings, service_settings: Settings, prefix: str
) -> None:
    settings = database_settings.model_copy(
        update={
            "kafka_bootstrap": service_settings.effective_kafka_bootstrap,
            "schema_registry_url": service_settings.effective_schema_registry_url,
            "topic_prefix": prefix,
        }
    )
    with prefect_test_harness(server_startup_timeout=120):
        summary = dedup_flow(settings=settings)
        again = dedup_flow(mode="incremental", settings=settings)

    assert summary["records"] == len(load_records(view))
    assert isinstance(summary["persons"], int)
    assert 0 < summary["persons"] < len(load_records(view))
    assert summary["created"] == summary["persons"]
    # Nothing changed in between: an incremental run matches nothing and changes no id.
    assert (again["mode"], again["matched"], again["persons"]) == (
        "incremental",
        0,
        summary["persons"],
    )
    # Every person on the compacted topic, readable by a plain deserializer, without names.
    _read, persons = latest_per_key(settings, person_links_topic(prefix), "person_id")
    assert summary["persons_published"] == summary["persons"] == len(persons)
    assert again["persons_published"] == 0
    record = next(iter(persons.values()))["records"][0]
    assert set(record) == {"record_key", "agency", "country", "case_ref", "role"}
    assert len(record["record_key"]) == 64  # an HMAC, not the agency's person reference
    # The consumer applies them: agency cases of one person, in both countries, become joint.
    consumer_settings = settings.model_copy(update={"consumer_group": f"g-{prefix}"})
    stats = joint_view_consumer(consumer_settings, view).run(
        lambda: False, exit_when_caught_up=True
    )
    assert stats.dead_letters == 0
    with Session(view) as session:
        by_person = session.scalars(
            select(JointCase.id).where(JointCase.created_by_event.like("person:%"))
        ).all()
    assert by_person


def test_the_commands_an_operator_and_a_reviewer_use(
    view: Engine,
    database_settings: Settings,
    service_env: dict[str, str],
    prefix: str,
    tmp_path: Path,
) -> None:
    env = {
        **service_env,
        "CASESYNC_TOPIC_PREFIX": prefix,
        "CASESYNC_DATABASE_URL": database_settings.effective_database_url,
        "CASESYNC_STATE_DIR": str(tmp_path),
        "CASESYNC_PREFECT_PORT": str(free_port()),  # no server there: a temporary one is used
        "COLUMNS": "200",
    }

    def casesync(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [CASESYNC, *args], env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    ran = casesync("dedup-run")
    person = json.loads(casesync("view", "person", "P00000001", "--json").stdout)
    queue = json.loads(casesync("review", "list", "--limit", "1", "--json").stdout)
    pair = queue["pairs"][0]
    decided = casesync("review", "decide", pair["left_record"], pair["right_record"], "same")

    assert "created" in ran.stdout
    assert person["person_id"] == "P00000001"
    assert person["records"]
    assert queue["total"] >= 1
    assert "honoured from the next dedup run" in decided.stdout
    again = json.loads(casesync("review", "list", "--limit", "500", "--json").stdout)
    assert again["total"] == queue["total"] - 1


def test_an_incremental_run_matches_new_records_into_existing_persons(
    empty_view: Engine, caseload: Path
) -> None:
    fill_view(empty_view, caseload, ["uk-police", "ro-anitp", "ro-police", "ro-diicot"])
    _first, before, _kinds = _run(empty_view)
    fill_view(empty_view, caseload, ["uk-sca"])  # the NRM referrals arrive later
    prior = prior_state(empty_view)
    records = load_records(empty_view)

    changed = changed_since(empty_view, prior.last_run_started)
    run = run_incremental(records, changed, prior, THRESHOLDS, datetime.now(UTC))

    assert run is not None
    new = {r.record_id for r in records} - set(before)
    assert new
    assert set(run.rescored) == new  # only the new records were matched
    # Existing records keep their person, unless a new record bridged two persons: then the
    # younger id was merged into the older one, and the history says so.
    merged = {
        (absorbed, change.person_id)
        for change in run.assignment.changes
        if change.kind == ChangeKind.MERGED
        for absorbed in change.others
    }
    moved = {(p, run.assignment.person_of[r]) for r, p in before.items()}
    assert {(old, new) for old, new in moved if old != new} <= merged
    kinds = {c.kind for c in run.assignment.changes}
    assert ChangeKind.GREW in kinds  # referrals of people already known
    assert kinds <= {ChangeKind.GREW, ChangeKind.CREATED, ChangeKind.MERGED}
    persist(empty_view, run, THRESHOLDS, datetime.now(UTC))
    truth = {record_id(agency, ref): person for agency, ref, person in read_person_truth(caseload)}
    scores = evaluate(run.assignment.person_of, {r: truth[r] for r in run.assignment.person_of})
    assert scores.pairwise.f1 >= 0.95


def test_an_incremental_run_before_any_full_run_does_a_full_one(view: Engine) -> None:
    prior = prior_state(view)

    assert run_incremental(load_records(view), set(), prior, THRESHOLDS, datetime.now(UTC)) is None


def _joint_of_cases(engine: Engine) -> dict[tuple[str, str], int | None]:
    with Session(engine) as session:
        return {
            (c.agency, c.case_ref): c.joint_case_id for c in session.scalars(select(AgencyCase))
        }


def test_persons_found_across_countries_join_their_cases_in_the_view(view: Engine) -> None:
    run = run_matching(load_records(view), prior_state(view), THRESHOLDS, datetime.now(UTC))
    run_id = persist(view, run, THRESHOLDS, datetime.now(UTC))
    states = person_states(
        run.assignment, run.records, run_id=run_id, key=b"k", now=datetime.now(UTC), everyone=True
    )
    before = _joint_of_cases(view)
    links = [
        PersonLinks(state, "casesync.person-links", 0, n, datetime.now(UTC))
        for n, state in enumerate(states)
    ]

    apply_batch(view, [], links)
    apply_batch(view, [], links)  # a repeat changes nothing (a union is idempotent)

    after = _joint_of_cases(view)
    spanning = [item.cases() for item in links if len(item.cases()) > 1]
    assert spanning
    for cases in spanning:
        assert len({after[case] for case in cases}) == 1
        assert after[cases[0]] is not None
    unjoined_before = sum(joint is None for joint in before.values())
    unjoined_after = sum(joint is None for joint in after.values())
    assert unjoined_after < unjoined_before
    with Session(view) as session:
        created_by = set(session.scalars(select(JointCase.created_by_event)))
        pending = session.scalars(select(ViewChange.event_type)).all()
    assert any(by.startswith("person:P") for by in created_by)
    assert "PersonLinksChanged" in pending  # the change stream hears of it too

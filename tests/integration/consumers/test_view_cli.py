"""`casesync view ...` on a real (SQLite) view, as JSON a script would read."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from consumers.apply import apply_batch
from consumers.database import upgrade
from consumers.handlers import AppliedEvent
from infra.database import make_engine
from infra.settings import Settings
from schemas.examples import example_event

pytestmark = pytest.mark.integration

CASESYNC = str(Path(sys.executable).with_name("casesync"))


@pytest.fixture
def view_env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'view.db'}"
    engine = make_engine(Settings(state_dir=tmp_path, database_url=url))
    upgrade(engine)
    now = datetime.now(UTC)
    uk = example_event("CaseOpened", agency="UK_POLICE", case_ref="UKP-9", country="GB")
    ro = example_event(
        "CaseOpened",
        event_id=uuid.uuid4(),
        agency="RO_POLICE",
        case_ref="ROP-9",
        country="RO",
        case_type="CRIMINAL_INVESTIGATION",
    )
    alone = example_event(
        "CaseOpened", event_id=uuid.uuid4(), agency="RO_ANITP", case_ref="ANITP-9", country="RO"
    )
    person = example_event("PersonRecorded", agency="RO_POLICE", case_ref="ROP-9", sequence=2)
    link = example_event(
        "CrossBorderLinkAsserted",
        agency="UK_POLICE",
        case_ref="UKP-9",
        country="GB",
        sequence=2,
        counterpart_agency="RO_POLICE",
        counterpart_country="RO",
        counterpart_case_ref="ROP-9",
    )
    events = [uk, ro, alone, person, link]
    apply_batch(engine, [AppliedEvent(e, "t", 0, i, now) for i, e in enumerate(events)])
    return {
        "PATH": "/usr/bin:/bin",
        "CASESYNC_DATABASE_URL": url,
        "CASESYNC_STATE_DIR": str(tmp_path),
    }


def _view(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(
        [CASESYNC, "view", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_view_joint_shows_both_countries_and_one_merged_timeline(view_env: dict[str, str]) -> None:
    case = _view(view_env, "case", "uk-police:UKP-9")
    joint = _view(view_env, "joint", str(case["case"]["joint_case_id"]))

    assert joint["countries"] == ["GB", "RO"]
    assert {c["case_ref"] for c in joint["cases"]} == {"UKP-9", "ROP-9"}
    assert [p["person_ref"] for p in joint["persons"]] == ["ANITP-P-000123"]
    assert {t["case_ref"] for t in joint["timeline"]} == {"UKP-9", "ROP-9"}


def test_view_unmatched_lists_cases_known_to_one_side_only(view_env: dict[str, str]) -> None:
    result = _view(view_env, "unmatched", "--country", "RO")

    assert [c["case_ref"] for c in result["cases"]] == ["ANITP-9"]
    assert result["total"] == 1


def test_view_persons_of_a_case(view_env: dict[str, str]) -> None:
    (person,) = _view(view_env, "persons", "--case", "ro-police:ROP-9")

    assert person["family_name"] == "Popescu"
    assert person["date_of_birth"]["year"] == 1994


def test_an_unknown_case_exits_1(view_env: dict[str, str]) -> None:
    done = subprocess.run(
        [CASESYNC, "view", "case", "uk-police:NOPE"],
        env=view_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert "not found" in done.stdout

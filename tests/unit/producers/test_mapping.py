"""Declarative adapters: mapping files are checked on load, rows map to events or named rejects."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.errors import ExportRowError, MappingError
from producers.agencies import adapter_for
from producers.identity import event_id
from producers.mapping import load_mapping
from schemas.events import PersonRecorded, RecordRetracted
from schemas.vocabulary import Agency

NOMINAL = {
    "force_ref": "UKP-1",
    "entry_no": "3",
    "entry_type": "NOMINAL",
    "entry_id": "UKN1",
    "entry_version": "2",
    "recorded": "04/11/2026 10:00",
    "occurred": "03/11/2026 09:00",
    "handling": "H1",
    "grading": "B2",
    "nominal_ref": "UKP-1/N/1",
    "nominal_name": "POPESCU, Ioana Maria",
    "nominal_dob": "15/03/1994",
    "nominal_sex": "F",
    "nationality": "RO",
    "passport_no": "055 512 345",
    "phone": "+40 721 234 567",
    "nominal_role": "V",
}


def test_a_uk_police_nominal_becomes_a_person_record() -> None:
    (event,) = adapter_for("uk-police").to_events(NOMINAL)

    assert isinstance(event, PersonRecorded)
    assert event.event_id == event_id(Agency.UK_POLICE, "UKN1", 2)
    assert (event.case_ref, event.sequence) == ("UKP-1", 3)
    assert (event.family_name, event.given_names) == ("POPESCU", ("Ioana", "Maria"))
    assert event.date_of_birth is not None
    assert (event.date_of_birth.year, event.date_of_birth.month, event.date_of_birth.day) == (
        1994,
        3,
        15,
    )
    assert event.phones == ("+40721234567",)
    assert event.identifiers[0].value == "055512345"
    assert (event.source_reliability, event.information_accuracy) == ("B", 2)
    assert event.occurred_at.utcoffset() is not None


def test_a_retraction_row_points_at_the_event_id_of_the_withdrawn_version() -> None:
    row = {
        **NOMINAL,
        "entry_type": "DELETE",
        "entry_id": "UKE9",
        "entry_version": "1",
        "target_id": "UKN1",
        "target_version": "2",
        "reason": "ERROR",
    }

    (event,) = adapter_for("uk-police").to_events(row)

    assert isinstance(event, RecordRetracted)
    assert event.retracted_event_id == event_id(Agency.UK_POLICE, "UKN1", 2)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"entry_type": "TELEPORT"}, "entry_type"),
        ({"nominal_dob": "31/02/1990"}, "date_of_birth"),
        ({"nominal_sex": "X"}, "sex"),
        ({"phone": "12"}, "phones"),
        ({"entry_no": ""}, "sequence"),
        ({"entry_no": "0"}, "sequence"),
    ],
)
def test_bad_values_are_rejected_naming_the_field(change: dict[str, str], field: str) -> None:
    with pytest.raises(ExportRowError) as caught:
        adapter_for("uk-police").to_events({**NOMINAL, **change})

    assert caught.value.field == field


def test_a_new_export_format_needs_only_a_mapping_file(tmp_path: Path) -> None:
    mapping = tmp_path / "kent-police.toml"
    mapping.write_text(
        """
agency = "uk-police"
format = "csv"
delimiter = ";"
kind_column = "type"
[record]
case_ref = "crn"
sequence = "seq"
record_id = "id"
version = "v"
[envelope]
occurred_at = { column = "when", parse = "datetime", formats = ["%Y-%m-%d %H:%M"] }
recorded_at = { column = "when", parse = "datetime", formats = ["%Y-%m-%d %H:%M"] }
handling_code = { value = "H0" }
[kinds.CASE]
event = "CaseOpened"
[kinds.CASE.fields]
case_type = { value = "CRIMINAL_INVESTIGATION" }
exploitation_country = { value = "GB" }
exploitation_locality = { column = "town" }
""",
        encoding="utf-8",
    )
    export = tmp_path / "kent.csv"
    export.write_text("crn;seq;id;v;type;when;town\nKP-9;1;K1;1;CASE;2026-11-02 10:00;Maidstone\n")
    adapter = adapter_for("uk-police", mapping)

    ((number, row),) = list(adapter.rows(export))
    (event,) = adapter.to_events(row)

    assert number == 2
    assert event.case_ref == "KP-9"
    assert event.exploitation_locality == "Maidstone"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('agency = "uk-police"\nformat = "xml"', "format"),
        ('agency = "nowhere"', "unknown agency code"),
        (
            'agency = "uk-police"\nformat = "csv"\nkind_column = "k"\n'
            '[record]\ncase_ref = "a"\nsequence = "b"\nrecord_id = "c"\nversion = "d"\n'
            '[kinds.X]\nevent = "CaseOpened"\n[kinds.X.fields]\ncolour = { value = "blue" }',
            "CaseOpened has no field 'colour'",
        ),
    ],
)
def test_invalid_mapping_files_are_refused_naming_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)

    with pytest.raises(MappingError, match=problem):
        load_mapping(path)


def test_a_mapping_for_another_agency_is_refused(tmp_path: Path) -> None:
    from producers.agencies import bundled_mapping  # noqa: PLC0415

    anitp = bundled_mapping("ro-anitp")
    assert anitp is not None

    with pytest.raises(MappingError, match="is for agency ro-anitp, not uk-police"):
        adapter_for("uk-police", anitp)

"""`casesync generate`: each agency's export of a synthetic cross-border caseload, plus truth.

The true world (producers/world.py) is rendered as each agency would write it: UK records drop
diacritics, upper-case surnames, anglicise given names, swap given and family name, mistype;
Romanian records keep diacritics (sometimes as old cedilla letters) and carry CNPs; dates of
birth are swapped, year-only or estimated; passports and phones are formatted differently on
each side; some person records are corrected (version 2) or retracted; some rows arrive late
(recorded weeks after the fact, at the end of the export); a few rows are broken on purpose and
listed in ground_truth/bad_rows.csv. Deterministic for a given seed and size.
"""

from __future__ import annotations

import csv
import json
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import phonenumbers
import pycountry

from producers.world import Case, Person, iter_cases

# The file each agency's export is written to (and read from by the demo and the benchmarks).
EXPORT_FILES = {
    "uk-police": "uk-police.csv",
    "uk-sca": "uk-sca.json",
    "ro-anitp": "ro-anitp.csv",
    "ro-police": "ro-police.jsonl",
    "ro-diicot": "ro-diicot.csv",
}
DEFAULT_UNTIL = date(2026, 11, 29)  # a Sunday: the caseload ends with ISO week 2026-W48

ENGLISH_VARIANTS = {
    "Ștefan": "Stephen",
    "Ioan": "John",
    "Ion": "John",
    "Gheorghe": "George",
    "Mihai": "Michael",
    "Ioana": "Joana",
    "Maria": "Mary",
    "Andrei": "Andrew",
    "Alexandru": "Alexander",
    "Elena": "Helen",
    "Nicolae": "Nicholas",
}
CEDILLA = str.maketrans({"ș": "ş", "ț": "ţ", "Ș": "Ş", "Ț": "Ţ"})
RO_CITIZENSHIP = {"RO": "română", "GB": "britanică", "AL": "albaneză", "VN": "vietnameză"}
RO_EXPLOITATION = {
    "LABOUR": "muncă",
    "SEXUAL": "sexuală",
    "CRIMINAL": "infracțiuni",
    "DOMESTIC_SERVITUDE": "servitute domestică",
}
NRM_EXPLOITATION = {
    "LABOUR": "Labour",
    "SEXUAL": "Sexual",
    "CRIMINAL": "Criminal",
    "DOMESTIC_SERVITUDE": "Domestic servitude",
}
UK_POLICE_EXPLOITATION = {
    "LABOUR": "LAB",
    "SEXUAL": "SEX",
    "CRIMINAL": "CRIM",
    "DOMESTIC_SERVITUDE": "DOM",
}
NRM_FIRST_RESPONDERS = [
    ("Police", "Metropolitan Police Service"),
    ("Police", "West Midlands Police"),
    ("Local authority", "Leicester City Council"),
    ("NGO", "The Salvation Army"),
    ("Home Office", "UK Border Force"),
]
RO_REFERRERS = [
    ("poliție", "IPJ Dolj"),
    ("ONG", "Fundația Open Door"),
    ("ANITP", "Centrul Regional Craiova"),
    ("consulat", "Ambasada României la Londra"),
]

UK_POLICE_COLUMNS = [
    "force_ref",
    "entry_no",
    "entry_type",
    "entry_id",
    "entry_version",
    "recorded",
    "occurred",
    "handling",
    "grading",
    "nominal_ref",
    "nominal_name",
    "nominal_dob",
    "nominal_sex",
    "nationality",
    "passport_no",
    "phone",
    "nominal_role",
    "offence",
    "partner_agency",
    "partner_ref",
    "location",
    "exploitation",
    "target_id",
    "target_version",
    "reason",
    "event_day",
]
ANITP_COLUMNS = [
    "nr_dosar",
    "nr_modificare",
    "tip_inregistrare",
    "id_inregistrare",
    "versiune",
    "data_inregistrarii",
    "data_faptei",
    "cod_tratare",
    "id_persoana",
    "prenume",
    "nume",
    "data_nasterii",
    "sex",
    "cetatenie",
    "cnp",
    "nr_pasaport",
    "telefon",
    "categorie_varsta",
    "forme_exploatare",
    "tara_exploatare",
    "localitate_exploatare",
    "localitate_recrutare",
    "institutie",
    "tip_institutie",
    "data",
    "rezultat",
    "id_tinta",
    "versiune_tinta",
    "motiv",
]
DIICOT_COLUMNS = [
    "numar_dosar",
    "nr_act",
    "tip_act",
    "id_act",
    "versiune",
    "data_act",
    "data_inregistrare",
    "cod_tratare",
    "id_inculpat",
    "nume_inculpat",
    "cnp",
    "data_nasterii",
    "sex",
    "cetatenie",
    "infractiune",
    "instanta",
    "solutie",
    "pedeapsa_luni",
    "inculpati",
    "data",
]


def fold(text: str) -> str:
    """Drop diacritics (as UK systems often do)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def typo(rng: random.Random, text: str) -> str:
    """Swap two adjacent letters or drop one (never the first)."""
    if len(text) < 4:
        return text
    i = rng.randint(1, len(text) - 2)
    if rng.random() < 0.5:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i + 1 :]


def national_phone(e164: str) -> str:
    """``0721 234 567`` style (how each side writes its own numbers)."""
    number = phonenumbers.parse(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def international_phone(e164: str) -> str:
    """``+40 721 234 567`` style (how each side writes the other's numbers)."""
    number = phonenumbers.parse(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@dataclass
class Export:
    """One agency's export file being written; counts rows and collects late ones."""

    agency: str
    path: Path
    columns: list[str] | None  # None: JSONL
    handle: IO[str]
    writer: Any = None
    rows_written: int = 0
    late: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)

    def next_sequence(self, case_ref: str) -> int:
        """The agency case's next change number."""
        self.sequences[case_ref] = self.sequences.get(case_ref, 0) + 1
        return self.sequences[case_ref]


@dataclass
class Truth:
    """Ground-truth writers."""

    persons: Any
    cases: Any
    bad_rows: Any


class Caseload:
    """Renders cases into the five exports; call `add(case)` then `close()`."""

    def __init__(self, out: Path, rng: random.Random, until: date, bad_row_rate: float) -> None:
        self.out, self.rng, self.until, self.bad_row_rate = out, rng, until, bad_row_rate
        (out / "ground_truth").mkdir(parents=True, exist_ok=True)
        self.exports = {
            "uk-police": self._csv("uk-police", EXPORT_FILES["uk-police"], UK_POLICE_COLUMNS),
            "ro-anitp": self._csv("ro-anitp", EXPORT_FILES["ro-anitp"], ANITP_COLUMNS),
            "ro-diicot": self._csv("ro-diicot", EXPORT_FILES["ro-diicot"], DIICOT_COLUMNS),
            "ro-police": Export(
                "ro-police",
                out / EXPORT_FILES["ro-police"],
                None,
                self._open(EXPORT_FILES["ro-police"]),
            ),
        }
        self.nrm = self._open(EXPORT_FILES["uk-sca"])
        self.nrm.write('{"export": "NRM referrals (synthetic)", "referrals": [\n')
        self.nrm_count = 0
        self.truth = Truth(
            self._truth("persons.csv", ["agency", "person_ref", "true_person_id", "role"]),
            self._truth("cases.csv", ["agency", "case_ref", "true_case_id"]),
            self._truth("bad_rows.csv", ["agency", "file", "row", "field"]),
        )
        self.counters: dict[str, int] = {}

    # -- plumbing ---------------------------------------------------------------------------
    def _open(self, name: str) -> IO[str]:
        return (self.out / name).open("w", encoding="utf-8", newline="")

    def _csv(self, agency: str, name: str, columns: list[str]) -> Export:
        handle = self._open(name)
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        return Export(agency, self.out / name, columns, handle, writer)

    def _truth(self, name: str, columns: list[str]) -> Any:
        writer = csv.writer(
            (self.out / "ground_truth" / name).open("w", encoding="utf-8", newline="")
        )
        writer.writerow(columns)
        return writer

    def _ref(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]:07d}"

    def _when(self, day: date, late_allowed: bool = True) -> tuple[datetime, datetime, bool]:
        """(occurred, recorded, late): recorded hours or, for late rows, weeks after the fact."""
        day = min(day, self.until)
        occurred = datetime(
            day.year,
            day.month,
            day.day,
            self.rng.randint(8, 18),
            self.rng.randint(0, 59),
            tzinfo=UTC,
        )
        late = late_allowed and self.rng.random() < 0.05
        delay = (
            timedelta(days=self.rng.randint(21, 42))
            if late
            else timedelta(hours=self.rng.randint(1, 48))
        )
        end_of_range = datetime(
            self.until.year, self.until.month, self.until.day, 23, 0, tzinfo=UTC
        )
        return occurred, min(occurred + delay, end_of_range), late

    def _write(
        self, export: Export, row: dict[str, Any], late: bool, bad_field: str | None = None
    ) -> None:
        if late:
            export.late.append((row, bad_field))
            return
        self._emit(export, row, bad_field)

    def _emit(self, export: Export, row: dict[str, Any], bad_field: str | None) -> None:
        export.rows_written += 1
        # Row numbers are file line numbers: the CSV header is line 1.
        line = export.rows_written + (1 if export.columns else 0)
        if export.columns:
            export.writer.writerow(row)
        else:
            export.handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        if bad_field:
            self.truth.bad_rows.writerow([export.agency, export.path.name, line, bad_field])

    def _clamp(self, day: date) -> date:
        """No fact happens after the caseload's last day."""
        return min(day, self.until)

    def _bad(self) -> bool:
        return self.rng.random() < self.bad_row_rate

    def close(self) -> None:
        """Write late rows at the end of each export and close every file."""
        for export in self.exports.values():
            for row, bad_field in export.late:
                self._emit(export, row, bad_field)
            export.handle.close()
        self.nrm.write("\n]}\n")
        self.nrm.close()

    # -- noisy renderings of a person -------------------------------------------------------
    def _uk_name(self, person: Person) -> tuple[str, list[str]]:
        given = list(person.given_names)
        if self.rng.random() < 0.15:
            given = [ENGLISH_VARIANTS.get(g, g) for g in given]
        family = person.family_name
        if self.rng.random() < 0.8:
            given, family = [fold(g) for g in given], fold(family)
        if self.rng.random() < 0.08:
            family = typo(self.rng, family)
        if self.rng.random() < 0.1:  # recorded the wrong way round
            given, family = [family], " ".join(given)
        return family, given

    def _ro_name(self, person: Person) -> tuple[str, list[str]]:
        given, family = list(person.given_names), person.family_name
        if self.rng.random() < 0.3:
            given, family = [g.translate(CEDILLA) for g in given], family.translate(CEDILLA)
        if self.rng.random() < 0.03:
            family = typo(self.rng, family)
        return family, given

    def _dob(self, born: date, fmt: str, consistent: bool) -> str:
        """A date of birth as written: exact, or (unless a CNP must agree) swapped/partial."""
        roll = self.rng.random()
        if not consistent and roll < 0.05 and born.day <= 12 and born.day != born.month:
            return date(born.year, born.day, born.month).strftime(fmt)
        if roll < 0.10:
            return str(born.year)
        if not consistent and roll < 0.15:
            return f"~{born.year + self.rng.choice([-1, 1])}"
        return born.strftime(fmt)

    def _truth_person(self, agency: str, ref: str, person: Person) -> None:
        self.truth.persons.writerow([agency, ref, person.person_id, person.role])

    # -- the agencies -----------------------------------------------------------------------
    def add(self, case: Case) -> None:
        """Render one true case into every agency that knows of it."""
        rng = self.rng
        uk_police = rng.random() < 0.6
        ro_police = rng.random() < 0.5
        uk_ref = self._uk_police(case) if uk_police else None
        ro_ref = self._ro_police(case, uk_ref) if ro_police else None
        if ro_ref is not None and rng.random() < 0.5:
            self._ro_diicot(case)
        if uk_ref is not None and ro_ref is not None and rng.random() < 0.7:
            self._uk_partner_link(uk_ref, ro_ref, case)
        for victim in case.victims:
            # ANITP records Romanian victims; everyone exploited in the UK may be referred there.
            uk_sca = rng.random() < 0.8
            ro_anitp = victim.nationality == "RO" and rng.random() < 0.7
            if not uk_sca and not ro_anitp:
                uk_sca = True
            if uk_sca:
                self._uk_sca(case, victim)
            if ro_anitp:
                self._ro_anitp(case, victim)

    def _uk_row(
        self, case_ref: str, entry_type: str, day: date, **values: Any
    ) -> tuple[dict[str, Any], bool]:
        export = self.exports["uk-police"]
        occurred, recorded, late = self._when(day)
        row = {
            "force_ref": case_ref,
            "entry_no": export.next_sequence(case_ref),
            "entry_type": entry_type,
            "entry_id": values.pop("entry_id", self._ref("UKE")),
            "entry_version": values.pop("entry_version", 1),
            "recorded": recorded.strftime("%d/%m/%Y %H:%M"),
            "occurred": occurred.strftime("%d/%m/%Y %H:%M"),
            "handling": self.rng.choice(["H0", "H0", "H1", "H2"]),
            "grading": f"{self.rng.choice('ABC')}{self.rng.randint(1, 3)}",
            **values,
        }
        return row, late

    def _uk_police(self, case: Case) -> str:
        ref = self._ref("UKP-2026-")
        self.truth.cases.writerow(["uk-police", ref, case.case_id])
        export = self.exports["uk-police"]
        day = self._clamp(case.started + timedelta(days=self.rng.randint(10, 40)))
        types = UK_POLICE_EXPLOITATION[case.exploitation]
        row, late = self._uk_row(
            ref, "OCCURRENCE", day, location=case.exploitation_locality, exploitation=types
        )
        self._write(export, row, late)
        row, late = self._uk_row(
            ref,
            "INVESTIGATION",
            day + timedelta(days=2),
            offence="MSA 2015 s.1;MSA 2015 s.2",
            event_day=self._clamp(day + timedelta(days=2)).strftime("%d/%m/%Y"),
        )
        self._write(export, row, late)
        for person in case.victims + case.suspects:
            self._uk_nominal(ref, person, day + timedelta(days=self.rng.randint(1, 20)))
        for suspect in case.suspects:
            if self.rng.random() < 0.5:
                charge_day = day + timedelta(days=self.rng.randint(20, 60))
                if charge_day <= self.until:
                    row, late = self._uk_row(
                        ref,
                        "CHARGE",
                        charge_day,
                        nominal_ref=f"{ref}/N/{suspect.person_id}",
                        offence="MSA 2015 s.2",
                        event_day=charge_day.strftime("%d/%m/%Y"),
                    )
                    self._write(export, row, late)
        if self.rng.random() < 0.1:
            closed = min(day + timedelta(days=self.rng.randint(30, 80)), self.until)
            row, late = self._uk_row(ref, "FILED", closed, reason="NFA")
            self._write(export, row, late)
        return ref

    def _uk_nominal(self, case_ref: str, person: Person, day: date) -> None:
        export = self.exports["uk-police"]
        nominal_ref = f"{case_ref}/N/{person.person_id}"
        self._truth_person("uk-police", nominal_ref, person)
        entry_id = self._ref("UKN")
        family, given = self._uk_name(person)
        phone = ""
        if person.uk_phone and self.rng.random() < 0.7:
            phone = national_phone(person.uk_phone)
        elif person.ro_phone and self.rng.random() < 0.4:
            phone = international_phone(person.ro_phone)
        passport = (
            person.passport
            if self.rng.random() < 0.5
            else f"{person.passport[:3]} {person.passport[3:6]} {person.passport[6:]}"
        )
        values = {
            "nominal_ref": nominal_ref,
            "nominal_name": f"{family.upper()}, {' '.join(given)}",
            "nominal_dob": self._dob(person.born, "%d/%m/%Y", consistent=False),
            "nominal_sex": {"MALE": "M", "FEMALE": "F"}[person.sex],
            "nationality": person.nationality,
            "passport_no": passport if self.rng.random() < 0.6 else "",
            "phone": phone,
            "nominal_role": {"VICTIM": "V", "SUSPECT": "S"}[person.role],
            "exploitation": "",
        }
        corrected = self.rng.random() < 0.08
        bad_field = None
        if self._bad():
            values["nominal_dob"], bad_field = "31/02/1990", "date_of_birth"
        elif corrected:
            values["nominal_dob"] = str(person.born.year)  # v1 knew only the year
        row, late = self._uk_row(case_ref, "NOMINAL", day, entry_id=entry_id, **values)
        self._write(export, row, late, bad_field)
        if corrected and bad_field is None:
            fixed = {**values, "nominal_dob": person.born.strftime("%d/%m/%Y")}
            row, late = self._uk_row(
                case_ref,
                "NOMINAL",
                day + timedelta(days=3),
                entry_id=entry_id,
                entry_version=2,
                **fixed,
            )
            self._write(export, row, late)
        if bad_field is None and self.rng.random() < 0.01:
            row, late = self._uk_row(
                case_ref,
                "DELETE",
                day + timedelta(days=5),
                target_id=entry_id,
                target_version=1,
                reason="ERROR",
                nominal_ref=nominal_ref,
            )
            self._write(export, row, late)

    def _uk_partner_link(self, uk_ref: str, ro_ref: str, case: Case) -> None:
        export = self.exports["uk-police"]
        day = case.started + timedelta(days=self.rng.randint(40, 70))
        row, late = self._uk_row(
            uk_ref, "PARTNER_LINK", day, partner_agency="RO_POLICE", partner_ref=ro_ref
        )
        self._write(export, row, late)

    def _uk_sca(self, case: Case, victim: Person) -> None:
        ref = self._ref("NRM-2026-")
        self.truth.cases.writerow(["uk-sca", ref, case.case_id])
        pv_ref = f"{ref}/PV"
        self._truth_person("uk-sca", pv_ref, victim)
        referred = self._clamp(case.started + timedelta(days=self.rng.randint(5, 30)))
        occurred, recorded, _late = self._when(referred, late_allowed=False)
        family, given = self._uk_name(victim)
        responder_type, organisation = self.rng.choice(NRM_FIRST_RESPONDERS)
        age = (case.started - victim.born).days // 365
        decisions = []
        rg_day = referred + timedelta(days=self.rng.randint(3, 10))
        seq = 4
        if rg_day <= self.until:
            decisions.append(
                {
                    "decision_id": f"{ref}/RG",
                    "seq": seq,
                    "stage": "RG",
                    "outcome": "Positive" if self.rng.random() < 0.9 else "Negative",
                    "date": rg_day.isoformat(),
                }
            )
            seq += 1
            cg_day = rg_day + timedelta(days=self.rng.randint(45, 120))
            if decisions[0]["outcome"] == "Positive" and cg_day <= self.until:
                decisions.append(
                    {
                        "decision_id": f"{ref}/CG",
                        "seq": seq,
                        "stage": "CG",
                        "outcome": "Positive" if self.rng.random() < 0.85 else "Negative",
                        "date": cg_day.isoformat(),
                    }
                )
        phones = [national_phone(victim.uk_phone)] if victim.uk_phone else []
        country = pycountry.countries.get(alpha_2=victim.nationality)
        country_name = country.name if country is not None else victim.nationality
        referral = {
            "nrm_ref": ref,
            "handling": self.rng.choice(["H0", "H1", "H1", "H2"]),
            "submitted": occurred.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "recorded": recorded.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "first_responder": {"type": responder_type, "organisation": organisation},
            "potential_victim": {
                "pv_ref": pv_ref,
                "version": 1,
                "seq": 2,
                "forenames": " ".join(given).upper()
                if self.rng.random() < 0.5
                else " ".join(given),
                "surname": family.upper() if self.rng.random() < 0.5 else family,
                "dob": self._dob(victim.born, "%Y-%m-%d", consistent=False),
                "gender": victim.sex.title(),
                "nationalities": [country_name],
                "phones": phones,
                "passport": victim.passport if self.rng.random() < 0.5 else None,
            },
            "exploitation": {
                "types": [NRM_EXPLOITATION[case.exploitation]],
                "age_at_exploitation": "Child" if age < 18 else "Adult",
                "location": case.exploitation_locality,
                "country": "United Kingdom",
            },
            "decisions": decisions,
        }
        self.nrm.write(
            ("" if self.nrm_count == 0 else ",\n") + json.dumps(referral, ensure_ascii=False)
        )
        self.nrm_count += 1

    def _anitp_row(
        self, case_ref: str, kind: str, day: date, **values: Any
    ) -> tuple[dict[str, Any], bool]:
        export = self.exports["ro-anitp"]
        occurred, recorded, late = self._when(day)
        row = {
            "nr_dosar": case_ref,
            "nr_modificare": export.next_sequence(case_ref),
            "tip_inregistrare": kind,
            "id_inregistrare": values.pop("id_inregistrare", self._ref("ANR")),
            "versiune": values.pop("versiune", 1),
            "data_inregistrarii": recorded.strftime("%d.%m.%Y %H:%M"),
            "data_faptei": occurred.strftime("%d.%m.%Y %H:%M"),
            "cod_tratare": self.rng.choice(["H0", "H1", "H1", "H2"]),
            **values,
        }
        return row, late

    def _ro_anitp(self, case: Case, victim: Person) -> None:
        export = self.exports["ro-anitp"]
        ref = self._ref("ANITP-")
        self.truth.cases.writerow(["ro-anitp", ref, case.case_id])
        person_ref = f"{ref}/V"
        self._truth_person("ro-anitp", person_ref, victim)
        day = self._clamp(case.started + timedelta(days=self.rng.randint(20, 60)))
        forms = RO_EXPLOITATION[case.exploitation]
        row, late = self._anitp_row(
            ref,
            "DOSAR",
            day,
            forme_exploatare=forms,
            tara_exploatare="GB",
            localitate_exploatare=case.exploitation_locality,
            localitate_recrutare=case.recruitment_locality,
        )
        self._write(export, row, late)
        family, given = self._ro_name(victim)
        phone = national_phone(victim.ro_phone) if victim.ro_phone else ""
        age = (case.started - victim.born).days // 365
        values = {
            "id_persoana": person_ref,
            "prenume": " ".join(given),
            "nume": family,
            "data_nasterii": self._dob(victim.born, "%d.%m.%Y", consistent=victim.cnp is not None),
            "sex": {"MALE": "M", "FEMALE": "F"}[victim.sex],
            "cetatenie": RO_CITIZENSHIP[victim.nationality],
            "cnp": victim.cnp or "",
            "nr_pasaport": victim.passport if self.rng.random() < 0.4 else "",
            "telefon": phone,
            "categorie_varsta": "minor" if age < 18 else "adult",
            "forme_exploatare": forms,
        }
        bad_field = None
        if victim.cnp and self._bad():
            wrong = victim.cnp[:-1] + str((int(victim.cnp[-1]) + 1) % 10)
            values["cnp"], bad_field = wrong, "identifiers.0"
        row, late = self._anitp_row(
            ref, "VICTIMA", day + timedelta(days=1), id_inregistrare=person_ref, **values
        )
        self._write(export, row, late, bad_field)
        referrer_type, referrer = self.rng.choice(RO_REFERRERS)
        row, late = self._anitp_row(
            ref,
            "SESIZARE",
            day,
            id_persoana=person_ref,
            institutie=referrer,
            tip_institutie=referrer_type,
            data=day.strftime("%d.%m.%Y"),
            categorie_varsta=values["categorie_varsta"],
            forme_exploatare=forms,
        )
        self._write(export, row, late)
        decided = day + timedelta(days=self.rng.randint(10, 40))
        if decided <= self.until:
            row, late = self._anitp_row(
                ref,
                "IDENTIFICARE",
                decided,
                id_persoana=person_ref,
                rezultat="pozitiv" if self.rng.random() < 0.92 else "negativ",
                data=decided.strftime("%d.%m.%Y"),
            )
            self._write(export, row, late)
        if bad_field is None and self.rng.random() < 0.01:
            row, late = self._anitp_row(
                ref,
                "RETRAGERE",
                day + timedelta(days=4),
                id_persoana=person_ref,
                id_tinta=person_ref,
                versiune_tinta=1,
                motiv="ERASURE_REQUEST",
            )
            self._write(export, row, late)

    def _ro_police(self, case: Case, uk_ref: str | None) -> str:
        export = self.exports["ro-police"]
        ref = f"{self._ref('ROP-')}/P/2026"
        self.truth.cases.writerow(["ro-police", ref, case.case_id])
        day = self._clamp(case.started + timedelta(days=self.rng.randint(15, 50)))

        def line(kind: str, when: date, **values: Any) -> None:
            occurred, recorded, late = self._when(when)
            row = {
                "tip": kind,
                "nr_dosar": ref,
                "nr_modificare": export.next_sequence(ref),
                "id": values.pop("id", self._ref("ROR")),
                "versiune": 1,
                "data_faptei": occurred.isoformat(),
                "data_inregistrarii": recorded.isoformat(),
                "cod_tratare": self.rng.choice(["H0", "H1", "H2", "H3"]),
                **values,
            }
            if row["cod_tratare"] == "H3":
                row["restrictie"] = "Doar pentru echipa comună de anchetă"
            self._write(export, row, late)

        line(
            "dosar",
            day,
            infractiuni=["art. 210 CP"],
            localitate_recrutare=case.recruitment_locality,
            localitate_exploatare=case.exploitation_locality,
            tara_exploatare="GB",
        )
        line(
            "urmarire",
            day + timedelta(days=1),
            infractiuni=["art. 210 CP", "art. 367 CP"],
            unitate="BCCO Craiova",
            data=self._clamp(day + timedelta(days=1)).isoformat(),
        )
        for person in case.suspects + [v for v in case.victims if self.rng.random() < 0.4]:
            person_ref = f"{ref}/PERS/{person.person_id}"
            self._truth_person("ro-police", person_ref, person)
            family, given = self._ro_name(person)
            line(
                "persoana",
                day + timedelta(days=self.rng.randint(2, 25)),
                id=person_ref,
                calitate={"SUSPECT": "suspect", "VICTIM": "persoana_vatamata"}[person.role],
                prenume=given,
                nume=family,
                cnp=person.cnp if self.rng.random() < 0.9 else None,
                data_nasterii=person.born.isoformat()
                if person.cnp or self.rng.random() < 0.5
                else str(person.born.year),
                sex={"MALE": "M", "FEMALE": "F"}[person.sex],
                cetatenie=[person.nationality],
                telefoane=[national_phone(person.ro_phone)] if person.ro_phone else [],
                pasaport=person.passport if self.rng.random() < 0.3 else None,
            )
        if uk_ref is not None and self.rng.random() < 0.5:
            line(
                "legatura",
                day + timedelta(days=30),
                agentie="UK_POLICE",
                referinta=uk_ref,
                temei="SIENA_EXCHANGE",
            )
        return ref

    def _ro_diicot(self, case: Case) -> None:
        export = self.exports["ro-diicot"]
        ref = f"DIICOT-{self._ref('')}/D/P/2026"
        self.truth.cases.writerow(["ro-diicot", ref, case.case_id])
        day = self._clamp(case.started + timedelta(days=self.rng.randint(7, 25)))

        def act(kind: str, when: date, **values: Any) -> None:
            occurred, recorded, late = self._when(when)
            row = {
                "numar_dosar": ref,
                "nr_act": export.next_sequence(ref),
                "tip_act": kind,
                "id_act": values.pop("id_act", self._ref("DA")),
                "versiune": 1,
                "data_act": occurred.strftime("%d.%m.%Y %H:%M"),
                "data_inregistrare": recorded.strftime("%d.%m.%Y %H:%M"),
                "cod_tratare": self.rng.choice(["H0", "H1", "H1"]),
                **values,
            }
            self._write(export, row, late)

        act("DOSAR", day)
        defendants = []
        for suspect in case.suspects:
            person_ref = f"{ref}/INC/{suspect.person_id}"
            defendants.append(person_ref)
            self._truth_person("ro-diicot", person_ref, suspect)
            family, given = self._ro_name(suspect)
            act(
                "INCULPAT",
                day + timedelta(days=1),
                id_act=person_ref,
                id_inculpat=person_ref,
                nume_inculpat=f"{family.upper()} {' '.join(given)}",
                cnp=suspect.cnp or "",
                data_nasterii=suspect.born.strftime("%d.%m.%Y"),
                sex={"MALE": "M", "FEMALE": "F"}[suspect.sex],
                cetatenie=suspect.nationality,
            )
            charged = day + timedelta(days=self.rng.randint(3, 12))
            if charged <= self.until:
                act(
                    "PUNERE_IN_MISCARE",
                    charged,
                    id_inculpat=person_ref,
                    infractiune="art. 210 CP",
                    data=charged.strftime("%d.%m.%Y"),
                )
        indicted = day + timedelta(days=self.rng.randint(14, 35))
        if indicted <= self.until:
            act(
                "RECHIZITORIU",
                indicted,
                inculpati=";".join(defendants),
                infractiune="art. 210 CP",
                instanta="Tribunalul Dolj",
                data=indicted.strftime("%d.%m.%Y"),
            )
            for person_ref in defendants:
                decided = indicted + timedelta(days=self.rng.randint(10, 30))
                if decided <= self.until and self.rng.random() < 0.6:
                    solution = self.rng.choices(
                        ["condamnare", "achitare", "incetare"], [0.75, 0.15, 0.1]
                    )[0]
                    act(
                        "HOTARARE",
                        decided,
                        id_inculpat=person_ref,
                        infractiune="art. 210 CP",
                        solutie=solution,
                        pedeapsa_luni=self.rng.randint(36, 120) if solution == "condamnare" else "",
                        data=decided.strftime("%d.%m.%Y"),
                    )


@dataclass(frozen=True)
class GenerateSummary:
    """What `generate` wrote."""

    cases: int
    victims: int
    rows: dict[str, int]


def read_person_truth(folder: Path) -> list[tuple[str, str, str]]:
    """``ground_truth/persons.csv``: (agency code, person ref, true person id) per record."""
    with (folder / "ground_truth" / "persons.csv").open(newline="", encoding="utf-8") as handle:
        return [
            (row["agency"], row["person_ref"], row["true_person_id"])
            for row in csv.DictReader(handle)
        ]


def generate(
    out: Path,
    *,
    weeks: int,
    victims: int,
    seed: int,
    until: date = DEFAULT_UNTIL,
    bad_row_rate: float = 0.002,
) -> GenerateSummary:
    """Write the five exports and the ground truth into ``out``."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    caseload = Caseload(out, rng, until, bad_row_rate)
    count = 0
    for case in iter_cases(rng, victims, weeks, until):
        caseload.add(case)
        count += 1
    caseload.close()
    rows = {agency: export.rows_written for agency, export in caseload.exports.items()}
    rows["uk-sca"] = caseload.nrm_count
    return GenerateSummary(count, victims, rows)

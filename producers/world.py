"""The true world behind the synthetic caseload: real people and real cases, before any agency
writes them down. Pure and deterministic given a seeded ``random.Random``."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import phonenumbers
from stdnum.ro import cnp

RO_MALE = [
    "Ion",
    "Ioan",
    "Gheorghe",
    "Mihai",
    "Andrei",
    "Alexandru",
    "Nicolae",
    "Ștefan",
    "Florin",
    "Marian",
    "Constantin",
    "Vasile",
    "Adrian",
    "Cristian",
    "Dumitru",
    "Ionuț",
    "Răzvan",
    "Bogdan",
    "Petru",
    "Costel",
]
RO_FEMALE = [
    "Maria",
    "Ioana",
    "Elena",
    "Andreea",
    "Mihaela",
    "Ana",
    "Alexandra",
    "Cristina",
    "Gabriela",
    "Florentina",
    "Nicoleta",
    "Daniela",
    "Ștefania",
    "Larisa",
    "Roxana",
    "Alina",
    "Georgiana",
    "Oana",
    "Simona",
    "Iuliana",
]
RO_FAMILY = [
    "Popescu",
    "Ionescu",
    "Popa",
    "Stan",
    "Dumitru",
    "Stoica",
    "Gheorghe",
    "Matei",
    "Ciobanu",
    "Rusu",
    "Constantin",
    "Marin",
    "Munteanu",
    "Lungu",
    "Tănase",
    "Șerban",
    "Căpraru",
    "Bălan",
    "Dobre",
    "Neagu",
    "Țurcanu",
    "Moldovan",
    "Vasilescu",
    "Niță",
    "Drăgan",
    "Pîrvu",
    "Ștefănescu",
    "Răducanu",
    "Oprea",
    "Bărbulescu",
]
GB_MALE = ["James", "John", "Daniel", "Thomas", "Michael", "David", "Lee", "Craig"]
GB_FEMALE = ["Sarah", "Emma", "Laura", "Claire", "Gemma", "Kelly"]
GB_FAMILY = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Walker"]
OTHER_NATIONALS = {
    "AL": (
        ["Arben", "Ermal", "Besnik"],
        ["Elira", "Mirela", "Anila"],
        ["Hoxha", "Shehu", "Dervishi"],
    ),
    "VN": (["Minh", "Duc", "Tuan"], ["Lan", "Huong", "Mai"], ["Nguyen", "Tran", "Le"]),
}
# Recruitment localities with their county's CNP code.
RO_LOCALITIES = [
    ("Craiova", "16"),
    ("Iași", "22"),
    ("Bacău", "04"),
    ("Galați", "17"),
    ("Constanța", "13"),
    ("Brăila", "09"),
    ("Târgu Jiu", "18"),
    ("Slatina", "28"),
    ("Botoșani", "07"),
    ("Suceava", "33"),
]
UK_LOCALITIES = [
    "Leicester",
    "Birmingham",
    "London",
    "Peterborough",
    "Bradford",
    "Manchester",
    "Kent",
    "Boston",
    "Luton",
    "Nottingham",
]
EXPLOITATION = ["LABOUR", "SEXUAL", "CRIMINAL", "DOMESTIC_SERVITUDE"]
EXPLOITATION_WEIGHTS = [0.45, 0.3, 0.15, 0.1]


@dataclass(frozen=True)
class Person:
    """A real person as they are, before any agency records them."""

    person_id: str
    role: str  # VICTIM or SUSPECT
    given_names: tuple[str, ...]
    family_name: str
    sex: str
    born: date
    nationality: str
    cnp: str | None
    passport: str
    ro_phone: str | None
    uk_phone: str | None


@dataclass
class Case:
    """A real exploitation case: who was exploited, by whom, where and when."""

    case_id: str
    exploitation: str
    recruitment_locality: str
    county: str
    exploitation_locality: str
    started: date
    victims: list[Person] = field(default_factory=list)
    suspects: list[Person] = field(default_factory=list)


def make_cnp(rng: random.Random, born: date, sex: str, county: str) -> str:
    """A valid CNP for a person born in the 1900s or 2000s."""
    century_male, century_female = ("1", "2") if born.year < 2000 else ("5", "6")
    first = century_male if sex == "MALE" else century_female
    body = f"{first}{born:%y%m%d}{county}{rng.randint(1, 999):03d}"
    return body + cnp.calc_check_digit(body)


def make_phone(rng: random.Random, country: str) -> str:
    """A valid mobile number in E.164."""
    while True:
        number = (
            f"+407{rng.randint(2, 8)}{rng.randint(0, 9_999_999):07d}"
            if country == "RO"
            else (f"+447{rng.choice('4579')}{rng.randint(0, 99_999_999):08d}")
        )
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def make_person(
    rng: random.Random, *, person_id: str, role: str, nationality: str, county: str, until: date
) -> Person:
    """One person with a consistent identity."""
    sex = rng.choice(["MALE", "FEMALE"])
    if nationality == "RO":
        given_pool, family_pool = (RO_MALE if sex == "MALE" else RO_FEMALE), RO_FAMILY
    elif nationality == "GB":
        given_pool, family_pool = (GB_MALE if sex == "MALE" else GB_FEMALE), GB_FAMILY
    else:
        male, female, family_pool = OTHER_NATIONALS[nationality]
        given_pool = male if sex == "MALE" else female
    count = 2 if rng.random() < 0.25 else 1
    given = tuple(rng.sample(given_pool, count))
    age_days = (
        rng.randint(16 * 365, 55 * 365) if role == "VICTIM" else rng.randint(20 * 365, 60 * 365)
    )
    born = until - timedelta(days=age_days)
    return Person(
        person_id=person_id,
        role=role,
        given_names=given,
        family_name=rng.choice(family_pool),
        sex=sex,
        born=born,
        nationality=nationality,
        cnp=make_cnp(rng, born, sex, county) if nationality == "RO" else None,
        passport=f"{rng.randint(0, 999_999_999):09d}",
        ro_phone=make_phone(rng, "RO") if nationality == "RO" or rng.random() < 0.3 else None,
        uk_phone=make_phone(rng, "GB") if rng.random() < 0.6 else None,
    )


def iter_cases(rng: random.Random, victims: int, weeks: int, until: date) -> Iterator[Case]:
    """Cases holding ``victims`` victims in all, one to three suspects each, made one at a time."""
    made = 0
    number = 0
    first_day = until - timedelta(weeks=weeks) + timedelta(days=1)
    while made < victims:
        number += 1
        locality, county = rng.choice(RO_LOCALITIES)
        started = first_day + timedelta(days=rng.randint(0, weeks * 7 - 1))
        case = Case(
            case_id=f"TC{number:07d}",
            exploitation=rng.choices(EXPLOITATION, EXPLOITATION_WEIGHTS)[0],
            recruitment_locality=locality,
            county=county,
            exploitation_locality=rng.choice(UK_LOCALITIES),
            started=started,
        )
        for _ in range(min(rng.randint(1, 5), victims - made)):
            made += 1
            nationality = rng.choices(["RO", "GB", "AL", "VN"], [0.78, 0.08, 0.09, 0.05])[0]
            case.victims.append(
                make_person(
                    rng,
                    person_id=f"TP{made:08d}",
                    role="VICTIM",
                    nationality=nationality,
                    county=county,
                    until=until,
                )
            )
        for index in range(rng.randint(1, 3)):
            nationality = "RO" if rng.random() < 0.7 else "GB"
            person_id = f"TS{number:07d}{index}"
            suspect = make_person(
                rng,
                person_id=person_id,
                role="SUSPECT",
                nationality=nationality,
                county=county,
                until=until,
            )
            case.suspects.append(suspect)
        yield case

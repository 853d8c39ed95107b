"""One frozen pydantic model per event; `schemas/contract.py` proves each equals its `.avsc`."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from schemas.validation import (
    cnp_birth_date,
    cnp_sex,
    country_code,
    e164_phone,
    not_future_date,
    not_future_timestamp,
    valid_cnp,
)
from schemas.vocabulary import (
    AgeGroup,
    Agency,
    CaseType,
    ClosedStatus,
    ClosureReason,
    CourtOutcome,
    DecisionOutcome,
    DecisionStage,
    ExploitationType,
    FirstResponderType,
    HandlingCode,
    IdentifierType,
    LinkBasis,
    PersonRole,
    ReferralKind,
    RetractionReason,
    Sex,
    SourceReliability,
)

CountryCode = Annotated[str, AfterValidator(country_code)]
PastTimestamp = Annotated[datetime, AfterValidator(not_future_timestamp)]
PastDate = Annotated[date, AfterValidator(not_future_date)]
E164Phone = Annotated[str, AfterValidator(e164_phone)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=200)]


# The largest value an Avro long holds: a bigger sequence could not be put on the wire.
AVRO_LONG_MAX = 2**63 - 1


class ContractModel(BaseModel):
    """Immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Envelope(ContractModel):
    """Fields every event carries, in this order, at the start of its record."""

    event_id: UUID
    agency: Agency
    country: CountryCode
    case_ref: Reference
    sequence: int = Field(ge=1, le=AVRO_LONG_MAX)
    occurred_at: PastTimestamp
    recorded_at: PastTimestamp
    handling_code: HandlingCode
    handling_restriction: Text | None = None
    source_reliability: SourceReliability | None = None
    information_accuracy: int | None = Field(default=None, ge=1, le=4)

    @model_validator(mode="after")
    def _envelope_is_consistent(self) -> Self:
        if self.country != self.agency.country:
            raise ValueError(
                f"country {self.country} does not match agency {self.agency.code} "
                f"({self.agency.country})"
            )
        if self.handling_code == HandlingCode.H3 and not self.handling_restriction:
            raise ValueError("handling_code H3 requires handling_restriction (the stated rule)")
        return self

    @classmethod
    def event_type(cls) -> str:
        """The Avro record name of this event."""
        return cls.__name__


class CaseOpened(Envelope):
    """An agency opened a case."""

    case_type: CaseType
    recruitment_country: CountryCode | None = None
    recruitment_locality: Text | None = None
    exploitation_country: CountryCode | None = None
    exploitation_locality: Text | None = None
    exploitation_types: tuple[ExploitationType, ...] = ()


class PartialDate(ContractModel):
    """A date that may lack its day or month."""

    year: int = Field(ge=1900, le=9999)
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    estimated: bool = False

    @model_validator(mode="after")
    def _is_a_real_past_date(self) -> Self:
        if self.day is not None and self.month is None:
            raise ValueError("day given without month")
        if self.month is not None and self.day is not None:
            last = calendar.monthrange(self.year, self.month)[1]
            if self.day > last:
                raise ValueError(f"{self.year}-{self.month:02d} has no day {self.day}")
        not_future_date(date(self.year, self.month or 1, self.day or 1))
        return self

    def agrees_with(self, full: date) -> bool:
        """True if every part this date has equals that part of ``full``."""
        return (
            self.year == full.year
            and self.month in (None, full.month)
            and self.day in (None, full.day)
        )


class PersonIdentifier(ContractModel):
    """An identity document or number."""

    type: IdentifierType
    value: Reference
    issuing_country: CountryCode | None = None

    @model_validator(mode="after")
    def _cnp_is_valid(self) -> Self:
        if self.type == IdentifierType.CNP:
            valid_cnp(self.value)
            if self.issuing_country not in (None, "RO"):
                raise ValueError(f"a CNP is issued by RO, not {self.issuing_country}")
        return self


class PersonRecorded(Envelope):
    """An agency-local person record in a case, re-sent in full on every change."""

    person_ref: Reference
    role: PersonRole
    given_names: tuple[Text, ...] = ()
    family_name: Text | None = None
    aliases: tuple[Text, ...] = ()
    name_as_written: Text | None = None
    date_of_birth: PartialDate | None = None
    sex: Sex = Sex.UNKNOWN
    nationalities: tuple[CountryCode, ...] = ()
    identifiers: tuple[PersonIdentifier, ...] = ()
    phones: tuple[E164Phone, ...] = ()
    age_group: AgeGroup = AgeGroup.UNKNOWN
    exploitation_types: tuple[ExploitationType, ...] = ()
    consent_to_share: bool | None = None

    @model_validator(mode="after")
    def _cnp_agrees_with_birth_date_and_sex(self) -> Self:
        for identifier in self.identifiers:
            if identifier.type != IdentifierType.CNP:
                continue
            born = cnp_birth_date(identifier.value)
            dob = self.date_of_birth
            if dob is not None and not dob.estimated and not dob.agrees_with(born):
                raise ValueError(
                    f"identifiers: CNP encodes birth date {born.isoformat()}, "
                    "which disagrees with date_of_birth"
                )
            encoded = cnp_sex(identifier.value)
            if encoded is not None and self.sex in (Sex.MALE, Sex.FEMALE) and self.sex != encoded:
                raise ValueError(f"identifiers: CNP encodes sex {encoded}, record says {self.sex}")
        return self


class ReferralMade(Envelope):
    """A potential victim was referred (UK NRM, or Romanian identification referral)."""

    person_ref: Reference
    referral_kind: ReferralKind
    first_responder_type: FirstResponderType
    first_responder_organisation: Text | None = None
    referred_on: PastDate
    age_group: AgeGroup = AgeGroup.UNKNOWN
    exploitation_types: tuple[ExploitationType, ...] = ()


class IdentificationDecided(Envelope):
    """A reasonable-grounds, conclusive-grounds or Romanian formal identification decision."""

    person_ref: Reference
    stage: DecisionStage
    outcome: DecisionOutcome
    decided_on: PastDate


class InvestigationOpened(Envelope):
    """A criminal investigation was opened."""

    investigation_ref: Reference
    offences: tuple[Text, ...] = ()
    opened_on: PastDate
    lead_unit: Text | None = None


class SuspectCharged(Envelope):
    """A suspect was charged or indicted."""

    person_ref: Reference
    offence: Text
    charged_on: PastDate


class ProsecutionStarted(Envelope):
    """A prosecution started."""

    prosecution_ref: Reference
    defendant_refs: tuple[Reference, ...] = ()
    offences: tuple[Text, ...] = ()
    started_on: PastDate
    court: Text | None = None


class CourtOutcomeRecorded(Envelope):
    """A court outcome for one defendant."""

    prosecution_ref: Reference
    person_ref: Reference
    outcome: CourtOutcome
    offence: Text
    sentence_months: int | None = Field(default=None, ge=0, le=1200)
    sentence_description: Text | None = None
    decided_on: PastDate


class CrossBorderLinkAsserted(Envelope):
    """This agency's case corresponds to a counterpart's case in the other country."""

    counterpart_agency: Agency
    counterpart_country: CountryCode
    counterpart_case_ref: Reference
    basis: LinkBasis

    @model_validator(mode="after")
    def _counterpart_is_across_the_border(self) -> Self:
        if self.counterpart_country != self.counterpart_agency.country:
            raise ValueError(
                f"counterpart_country {self.counterpart_country} does not match "
                f"counterpart_agency {self.counterpart_agency.code}"
            )
        if self.counterpart_country == self.country:
            raise ValueError("counterpart_agency must be in the other country")
        return self


class RecordRetracted(Envelope):
    """An earlier event or person record is withdrawn."""

    retracted_event_id: UUID
    person_ref: Reference | None = None
    reason: RetractionReason

    @model_validator(mode="after")
    def _references_another_event(self) -> Self:
        if self.retracted_event_id == self.event_id:
            raise ValueError("retracted_event_id must reference an earlier event, not itself")
        return self


class CaseClosed(Envelope):
    """The agency closed the case."""

    status: ClosedStatus
    reason: ClosureReason
    referred_to: Text | None = None


# Every event type of the contract, by Avro record name: the one place to add an event.
EVENT_TYPES: dict[str, type[Envelope]] = {
    "CaseOpened": CaseOpened,
    "PersonRecorded": PersonRecorded,
    "ReferralMade": ReferralMade,
    "IdentificationDecided": IdentificationDecided,
    "InvestigationOpened": InvestigationOpened,
    "SuspectCharged": SuspectCharged,
    "ProsecutionStarted": ProsecutionStarted,
    "CourtOutcomeRecorded": CourtOutcomeRecorded,
    "CrossBorderLinkAsserted": CrossBorderLinkAsserted,
    "RecordRetracted": RecordRetracted,
    "CaseClosed": CaseClosed,
}


def utc_now() -> datetime:
    """Now, timezone-aware, truncated to milliseconds (Avro timestamp-millis precision)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)

"""Enumerations of the event contract (mirrors of the Avro enums; a test keeps them equal)."""

from __future__ import annotations

from enum import StrEnum


class Agency(StrEnum):
    """Publishing agencies."""

    UK_POLICE = "UK_POLICE"
    UK_SCA = "UK_SCA"
    RO_ANITP = "RO_ANITP"
    RO_POLICE = "RO_POLICE"
    RO_DIICOT = "RO_DIICOT"

    @property
    def code(self) -> str:
        """The agency code used in topic names and CLIs, e.g. ``uk-police``."""
        return self.value.lower().replace("_", "-")

    @property
    def country(self) -> str:
        """The agency's country, ISO 3166-1 alpha-2."""
        return "GB" if self.value.startswith("UK_") else "RO"

    @classmethod
    def from_code(cls, code: str) -> Agency:
        """The agency for a code such as ``ro-anitp``."""
        try:
            return cls(code.upper().replace("-", "_"))
        except ValueError:
            codes = ", ".join(a.code for a in cls)
            raise ValueError(f"unknown agency code {code!r}; expected one of {codes}") from None


class HandlingCode(StrEnum):
    """SIENA handling codes."""

    H0 = "H0"
    H1 = "H1"
    H2 = "H2"
    H3 = "H3"


NOT_FOR_JUDICIAL_USE = "H1: not for judicial use without the provider's permission"
NO_ONWARD_DISSEMINATION = "H2: no onward dissemination without the provider's permission"


def handling_notice(code: str | None, restriction: str | None = None) -> str | None:
    """What a reader must be told next to a record with this handling code (None for H0)."""
    if code == HandlingCode.H1:
        return NOT_FOR_JUDICIAL_USE
    if code == HandlingCode.H2:
        return NO_ONWARD_DISSEMINATION
    if code == HandlingCode.H3:
        return f"H3: {restriction or 'restricted (the provider stated a restriction)'}"
    return None


def onward(code: str | None) -> bool:
    """False for H2 records: they never leave the joint view (downstream topics, public figures)."""
    return code != HandlingCode.H2


class SourceReliability(StrEnum):
    """SIENA source reliability."""

    A = "A"
    B = "B"
    C = "C"
    X = "X"


class CaseType(StrEnum):
    """Kind of agency case."""

    CRIMINAL_INVESTIGATION = "CRIMINAL_INVESTIGATION"
    VICTIM_REFERRAL = "VICTIM_REFERRAL"
    PROSECUTION = "PROSECUTION"


class ExploitationType(StrEnum):
    """HTCDS / UK NRM exploitation types."""

    LABOUR = "LABOUR"
    SEXUAL = "SEXUAL"
    CRIMINAL = "CRIMINAL"
    DOMESTIC_SERVITUDE = "DOMESTIC_SERVITUDE"
    ORGAN_HARVESTING = "ORGAN_HARVESTING"
    UNKNOWN = "UNKNOWN"


class AgeGroup(StrEnum):
    """Age at exploitation."""

    ADULT = "ADULT"
    CHILD = "CHILD"
    UNKNOWN = "UNKNOWN"


class PersonRole(StrEnum):
    """Role of a person in a case."""

    VICTIM = "VICTIM"
    SUSPECT = "SUSPECT"
    WITNESS = "WITNESS"


class Sex(StrEnum):
    """HTCDS gender."""

    MALE = "MALE"
    FEMALE = "FEMALE"
    TRANSGENDER_NONCONFORMING = "TRANSGENDER_NONCONFORMING"
    UNKNOWN = "UNKNOWN"


class IdentifierType(StrEnum):
    """Kind of identifier."""

    CNP = "CNP"
    PASSPORT = "PASSPORT"
    NATIONAL_INSURANCE_NUMBER = "NATIONAL_INSURANCE_NUMBER"
    OTHER = "OTHER"


class ReferralKind(StrEnum):
    """Referral mechanisms."""

    NRM_REFERRAL = "NRM_REFERRAL"
    DUTY_TO_NOTIFY = "DUTY_TO_NOTIFY"
    RO_IDENTIFICATION_REFERRAL = "RO_IDENTIFICATION_REFERRAL"


class FirstResponderType(StrEnum):
    """Type of first-responder organisation."""

    POLICE = "POLICE"
    LOCAL_AUTHORITY = "LOCAL_AUTHORITY"
    IMMIGRATION_AUTHORITY = "IMMIGRATION_AUTHORITY"
    NGO = "NGO"
    HEALTH_OR_SOCIAL_CARE = "HEALTH_OR_SOCIAL_CARE"
    ANTI_TRAFFICKING_AGENCY = "ANTI_TRAFFICKING_AGENCY"
    PROSECUTOR = "PROSECUTOR"
    OTHER = "OTHER"


class DecisionStage(StrEnum):
    """Victim identification decision stages."""

    REASONABLE_GROUNDS = "REASONABLE_GROUNDS"
    CONCLUSIVE_GROUNDS = "CONCLUSIVE_GROUNDS"
    RO_FORMAL_IDENTIFICATION = "RO_FORMAL_IDENTIFICATION"


class DecisionOutcome(StrEnum):
    """Decision outcomes."""

    POSITIVE = "POSITIVE"
    NEGATIVE = "NEGATIVE"


class CourtOutcome(StrEnum):
    """Court outcome for one defendant."""

    CONVICTED = "CONVICTED"
    ACQUITTED = "ACQUITTED"
    DISCONTINUED = "DISCONTINUED"


class LinkBasis(StrEnum):
    """Why two agencies know their cases correspond."""

    SIENA_EXCHANGE = "SIENA_EXCHANGE"
    JOINT_INVESTIGATION_TEAM = "JOINT_INVESTIGATION_TEAM"
    MUTUAL_LEGAL_ASSISTANCE = "MUTUAL_LEGAL_ASSISTANCE"
    LIAISON_OFFICER = "LIAISON_OFFICER"
    OTHER = "OTHER"


class RetractionReason(StrEnum):
    """Why a record is withdrawn."""

    ERROR = "ERROR"
    ERASURE_REQUEST = "ERASURE_REQUEST"
    DUPLICATE = "DUPLICATE"
    OTHER = "OTHER"


class ClosedStatus(StrEnum):
    """HTCDS closed statuses."""

    CLOSED = "CLOSED"
    CLOSED_REFERRED = "CLOSED_REFERRED"


class ClosureReason(StrEnum):
    """Why a case is closed."""

    CONCLUDED = "CONCLUDED"
    NO_FURTHER_ACTION = "NO_FURTHER_ACTION"
    REFERRED_ELSEWHERE = "REFERRED_ELSEWHERE"
    DUPLICATE = "DUPLICATE"
    VICTIM_DISENGAGED = "VICTIM_DISENGAGED"
    OTHER = "OTHER"

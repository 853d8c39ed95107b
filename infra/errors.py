"""The project's exception hierarchy: library errors are wrapped once, at the edge, into these."""

from __future__ import annotations

from typing import Any


class CasesyncError(Exception):
    """Root of every error casesync raises on purpose."""


class InfraError(CasesyncError):
    """A local service or an external tool misbehaved."""


class MissingToolError(InfraError):
    """A program the launcher needs (java, mvn, ...) is not installed or not on PATH."""


class ServiceStartError(InfraError):
    """A service did not start or did not become ready within its deadline."""


class ServiceNotReadyError(InfraError):
    """A service that tests or commands need does not answer."""


class KafkaAuthError(CasesyncError):
    """The broker refused a client's login (no credentials, a wrong password, unknown user)."""


class KafkaAccessError(CasesyncError):
    """The broker refused an operation the client's principal has no ACL for."""


class CodecError(CasesyncError):
    """An event could not be encoded or decoded; the message names topic, type and cause."""


class UnknownEventTypeError(CodecError):
    """The bytes were written with a schema that is not one of casesync's events."""


class PublishError(CasesyncError):
    """An event was not delivered to Kafka; the message names topic and key.

    ``delivered`` holds what did reach the broker before the failure (so nothing is lost silently).
    """

    def __init__(self, message: str, delivered: list[Any] | None = None) -> None:
        super().__init__(message)
        self.delivered = delivered or []


class EventValidationError(CodecError):
    """An event breaks a domain rule; the message names the event type and each failing field."""

    def __init__(self, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or []


class SchemaCompatibilityError(CasesyncError):
    """The registry refused a schema under the subject's compatibility rule."""


class RegistryError(CasesyncError):
    """The schema registry could not be reached or answered with an error."""


class RegistryUnavailableError(RegistryError):
    """The registry did not answer (down, or a server error): retry later; the data is fine."""


class ExportRowError(CasesyncError):
    """One export row cannot become an event; ``field`` names the event field (or column)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"field '{field}': {reason}")
        self.field = field
        self.reason = reason


class MappingError(CasesyncError):
    """A declarative mapping file is invalid; the message names the key."""

"""The project's exception hierarchy: library errors are wrapped once, at the edge, into these."""


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


class CodecError(CasesyncError):
    """An event could not be encoded or decoded; the message names topic, type and cause."""


class UnknownEventTypeError(CodecError):
    """The bytes were written with a schema that is not one of casesync's events."""


class PublishError(CasesyncError):
    """An event was not delivered to Kafka; the message names topic and key."""


class EventValidationError(CodecError):
    """An event breaks a domain rule; the message names the event type and each failing field."""


class SchemaCompatibilityError(CasesyncError):
    """The registry refused a schema under the subject's compatibility rule."""


class RegistryError(CasesyncError):
    """The schema registry could not be reached or answered with an error."""

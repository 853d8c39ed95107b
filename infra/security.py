"""Broker identities: one SCRAM principal per role, its secret, and the client config it implies.

Locally `casesync infra up` creates every principal's password once in a 0600 credentials file;
a deployment sets ``CASESYNC_KAFKA_USERNAME`` / ``CASESYNC_KAFKA_PASSWORD`` per process instead.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)
from pydantic import SecretStr

from infra.errors import InfraError
from infra.settings import Settings

SCRAM_MECHANISM = "SCRAM-SHA-512"
SCRAM_ITERATIONS = 8192
PRINCIPAL_PREFIX = "casesync-"
ADMIN_ROLE = "admin"
JOINT_VIEW_ROLE = "joint-view"
FLOWS_ROLE = "flows"
DOWNSTREAM_ROLE = "downstream"
# The broker's own controller connections (SASL/PLAIN, static, never used by clients).
CONTROLLER_ROLE = "controller"


def agency_role(agency_code: str) -> str:
    """The role an agency's adapter publishes as, e.g. ``agency-uk-police``."""
    return f"agency-{agency_code}"


def principal_name(role: str) -> str:
    """The SCRAM user name of a role, e.g. ``casesync-agency-uk-police``."""
    return f"{PRINCIPAL_PREFIX}{role}"


def principal(role: str) -> str:
    """The ACL principal of a role, e.g. ``User:casesync-joint-view``."""
    return f"User:{principal_name(role)}"


@dataclass(frozen=True)
class Credentials:
    """A SCRAM user and its password (the password never appears in repr or logs)."""

    username: str
    password: SecretStr


def ensure_credentials_file(path: Path, roles: Iterable[str]) -> dict[str, SecretStr]:
    """Passwords per role from ``path`` (0600), adding a random one for any role it lacks."""
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [role for role in roles if role not in stored]
    if missing:
        stored.update({role: secrets.token_urlsafe(24) for role in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(stored, handle, indent=1, sort_keys=True)
        partial.replace(path)
    return {role: SecretStr(password) for role, password in stored.items()}


def read_credentials_file(path: Path) -> dict[str, SecretStr]:
    """Passwords per role from ``path``; empty if the file does not exist."""
    if not path.exists():
        return {}
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InfraError(f"cannot read the broker credentials file {path}: {exc}") from exc
    return {role: SecretStr(str(password)) for role, password in stored.items()}


def credentials_for(settings: Settings, role: str) -> Credentials | None:
    """Who a client of ``role`` authenticates as: the configured user, else the local file's."""
    if settings.kafka_username is not None:
        password = settings.kafka_password or SecretStr("")
        return Credentials(settings.kafka_username, password)
    password_of = read_credentials_file(settings.resolved_kafka_credentials_file)
    if role not in password_of:
        return None
    return Credentials(principal_name(role), password_of[role])


def sasl_config(credentials: Credentials | None) -> dict[str, Any]:
    """librdkafka settings for SASL/SCRAM over plaintext; empty (no auth) without credentials."""
    if credentials is None:
        return {}
    return {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": SCRAM_MECHANISM,
        "sasl.username": credentials.username,
        "sasl.password": credentials.password.get_secret_value(),
    }


def upsert_scram_users(admin: AdminClient, password_of: Mapping[str, SecretStr]) -> None:
    """Create or update the SCRAM credential of every role in ``password_of`` (idempotent)."""
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    upserts = [
        UserScramCredentialUpsertion(
            principal_name(role), info, password.get_secret_value().encode()
        )
        for role, password in password_of.items()
    ]
    if not upserts:
        return
    alterations: list[UserScramCredentialAlteration] = list(upserts)
    for user, future in admin.alter_user_scram_credentials(alterations).items():
        try:
            future.result()
        except KafkaException as exc:
            raise InfraError(f"could not set the SCRAM credential of {user}: {exc}") from exc


@dataclass(frozen=True)
class Grant:
    """One ACL rule: ``role`` may do ``operation`` on a topic or group name (or name prefix)."""

    role: str
    resource: ResourceType
    name: str
    operation: AclOperation
    prefixed: bool = False

    def binding(self) -> AclBinding:
        """The Kafka ACL binding of this rule (allow, from any host)."""
        pattern = ResourcePatternType.PREFIXED if self.prefixed else ResourcePatternType.LITERAL
        return AclBinding(
            self.resource,
            self.name,
            pattern,
            principal(self.role),
            "*",
            self.operation,
            AclPermissionType.ALLOW,
        )


def apply_grants(admin: AdminClient, grants: Iterable[Grant]) -> int:
    """Create the ACL bindings of ``grants`` (creating an existing one is a no-op)."""
    bindings = [grant.binding() for grant in grants]
    if not bindings:
        return 0
    for binding, future in admin.create_acls(bindings).items():
        try:
            future.result()
        except KafkaException as exc:
            raise InfraError(f"could not create ACL {binding}: {exc}") from exc
    _wait_until_visible(admin, bindings)
    return len(bindings)


def _wait_until_visible(
    admin: AdminClient, bindings: list[AclBinding], timeout_s: float = 15.0
) -> None:
    """Return once the broker's authorizer answers with every binding (creation is
    acknowledged by the controller first; a client right after could still be refused)."""
    anything: Any = None  # a filter's None matches any name, principal or host
    everything = AclBindingFilter(
        ResourceType.ANY,
        anything,
        ResourcePatternType.ANY,
        anything,
        anything,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    deadline = time.monotonic() + timeout_s
    wanted = {str(binding) for binding in bindings}
    while True:
        try:
            known = {str(b) for b in admin.describe_acls(everything).result()}
        except KafkaException as exc:
            raise InfraError(f"could not list the broker's ACLs: {exc}") from exc
        if wanted <= known:
            return
        if time.monotonic() > deadline:
            raise InfraError(f"{len(wanted - known)} ACL(s) not visible after {timeout_s:.0f}s")
        time.sleep(0.1)
